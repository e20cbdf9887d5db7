"""Batches (按批次录入): a whole collection entered row by row, then confirmed at once.

A batch closes only when the rows add up to the counted total; closing confirms every row
and writes their ledger entries in one go.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.clock import day_refused
from app.db_types import utcnow
from app.donors import services as donors
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid

from . import services
from .models import OFFLINE_CHANNELS, Batch, Donation, DonationPoint


@dataclass
class BatchInput:
    title: str
    channel: str
    received_on: date | None
    counted_total: str
    point_id: int | None = None


def open_batch(data: BatchInput, user) -> Batch:
    errors = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _l("Name the collection, e.g. 2026年重阳节村民大会募捐.")
    if data.channel not in OFFLINE_CHANNELS:
        errors["channel"] = _l("Choose how the money came in.")
    if data.received_on is None:
        errors["received_on"] = _l("Enter the date the money was received.")
    elif refused := day_refused(data.received_on):
        errors["received_on"] = refused
    if data.point_id and db.session.get(DonationPoint, data.point_id) is None:
        errors["point_id"] = _l("Choose a donation point of this fund.")
    try:
        counted = parse_amount(data.counted_total)
    except AmountError as error:
        errors["counted_total"] = error.args[0]
    if errors:
        raise Invalid(errors)
    batch = Batch(title=title, channel=data.channel, received_on=data.received_on,
                  counted_total_fen=counted, point_id=data.point_id or None,
                  opened_by_id=user.id if user else None)
    db.session.add(batch)
    db.session.flush()
    return batch


@dataclass
class RowInput:
    amount: str
    donor_id: int | None = None
    donor_name: str = ""
    reference: str = ""
    designation_id: int | None = None
    item_description: str = ""
    notes: str = ""


def _require_open(batch: Batch) -> None:
    services.lock(batch)  # a row added while the batch closes must not slip past the totals
    if batch.status != "open":
        raise Invalid({"amount": _l("This batch is closed; its rows can no longer change.")})


def add_row(batch: Batch, row: RowInput, user) -> Donation:
    """One gift of the collection. A typed name that matches no donor becomes a new donor;
    no name at all is an anonymous gift (a donation box)."""
    _require_open(batch)
    donor_id = row.donor_id or None
    name = (row.donor_name or "").strip()
    data = services.DonationInput(
        amount=row.amount, channel=batch.channel, received_on=batch.received_on,
        donor_id=donor_id, reference=row.reference, designation_id=row.designation_id,
        point_id=batch.point_id, handler_id=user.id if user else None,
        item_description=row.item_description or (batch.title if batch.channel == "in_kind"
                                                   else ""),
        notes=row.notes,
    )
    services.check(data)  # every message before anything is written
    data.donor_id = donors.resolve(donor_id, name)
    return services.record_offline(data, user, batch=batch)


def remove_row(batch: Batch, donation: Donation) -> None:
    """A mistyped row of an open batch is taken out before anything is confirmed."""
    _require_open(batch)
    if donation.batch_id != batch.id or donation.status != "pending":
        raise Invalid({"amount": _l("This row is not a pending row of this batch.")})
    db.session.delete(donation)
    db.session.flush()


@dataclass
class Totals:
    rows: int
    entered_fen: int
    counted_fen: int

    @property
    def difference_fen(self) -> int:
        return self.counted_fen - self.entered_fen

    @property
    def balanced(self) -> bool:
        return self.rows > 0 and self.difference_fen == 0


def totals(batch: Batch) -> Totals:
    count, entered = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Donation.amount_fen), 0))
        .where(Donation.batch_id == batch.id)
    ).one()
    return Totals(int(count), int(entered), batch.counted_total_fen)


def close_batch(batch: Batch, user) -> Totals:
    _require_open(batch)
    result = totals(batch)
    if result.rows == 0:
        raise Invalid({"close": _l("The batch has no rows yet.")})
    if not result.balanced:
        raise Invalid({"close": _l(
            "The rows add up to a different sum than the counted total: find the difference "
            "before closing.")})
    rows = db.session.scalars(select(Donation).where(Donation.batch_id == batch.id,
                                                     Donation.status == "pending")).all()
    for donation in rows:
        services.confirm(donation, user)
    batch.status = "closed"
    batch.closed_by_id = user.id if user else None
    batch.closed_at = utcnow()
    db.session.flush()
    return result
