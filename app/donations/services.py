"""The rules of money coming in: recording, confirming, refunding and correcting donations.

A donation counts only once it is confirmed, and confirming is what writes its ledger entry.
Offline money recorded one gift at a time is confirmed at once; rows of a batch wait for the
batch to close; online gifts wait for the payment gateway's webhook.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.clock import day_refused, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.money import AmountError, parse_amount
from app.validation import Invalid, int_or_none

from .models import COUNTED, OFFLINE_CHANNELS, Channel, Designation, Donation, DonationPoint


@dataclass
class DonationInput:
    """What a person typed; every field is text until checked here."""

    amount: str
    channel: str
    received_on: date | None
    donor_id: int | None = None
    reference: str = ""
    designation_id: int | None = None
    point_id: int | None = None
    handler_id: int | None = None
    item_description: str = ""
    item_quantity: str = ""
    valuation_basis: str = ""  # in kind: how the amount was set (an invoice, a market price)
    message: str = ""
    notes: str = ""
    submission_key: str | None = None  # the form's one-time key: a resent form counts once


def check(data: DonationInput, *, today: date | None = None, channels=None) -> dict:
    """Validate a donation; returns the column values or raises Invalid naming each field.
    channels: those allowed here (default: every channel)."""
    errors = {}
    values = {}
    try:
        values["amount_fen"] = parse_amount(data.amount)
    except AmountError as error:
        errors["amount"] = error.args[0]
    if data.channel not in (channels or Channel.values()):
        errors["channel"] = _l("Choose how the money came in.")
    today = today or local_today()
    if data.received_on is None:
        errors["received_on"] = _l("Enter the date the money was received.")
    elif refused := day_refused(data.received_on, today):
        errors["received_on"] = refused
    reference = (data.reference or "").strip() or None
    if reference and data.channel in Channel.values() and _reference_taken(data.channel, reference):
        errors["reference"] = _l("A donation with this reference is already recorded.")
    if data.channel in ("bank", "wechat", "alipay") and not reference:
        errors["reference"] = _l(
            "Enter the transfer's serial number, so it is never counted twice.")
    if data.channel == "in_kind" and not (data.item_description or "").strip():
        errors["item_description"] = _l("Describe what was given.")
    if data.designation_id and db.session.get(Designation, data.designation_id) is None:
        errors["designation_id"] = _l("Choose a purpose of this fund.")
    if data.point_id and db.session.get(DonationPoint, data.point_id) is None:
        errors["point_id"] = _l("Choose a donation point of this fund.")
    if data.submission_key and db.session.scalar(select(Donation.id).where(
            Donation.submission_key == data.submission_key)) is not None:
        errors["amount"] = _l("This form was already sent: the donation is recorded once.")
    if data.donor_id:
        from app.donors.models import Donor

        donor = db.session.get(Donor, data.donor_id)
        if donor is None or donor.merged_into_id:
            errors["donor_id"] = _l("Choose a donor of this fund.")
    if errors:
        raise Invalid(errors)
    values.update(
        channel=data.channel, received_on=data.received_on, reference=reference,
        donor_id=data.donor_id or None, designation_id=data.designation_id or None,
        point_id=data.point_id or None, handler_id=data.handler_id,
        item_description=(data.item_description or "").strip(),
        item_quantity=(data.item_quantity or "").strip(),
        valuation_basis=(data.valuation_basis or "").strip(),
        message=(data.message or "").strip(), notes=(data.notes or "").strip(),
        submission_key=data.submission_key or None,
    )
    return values


def _reference_taken(channel: str, reference: str) -> bool:
    query = select(Donation.id).where(Donation.channel == channel,
                                      Donation.reference == reference)
    return db.session.scalar(query) is not None


def record_offline(data: DonationInput, user, *, batch=None) -> Donation:
    """Money in hand: confirmed at once, unless it is a row of a batch still being entered."""
    values = check(data, channels=OFFLINE_CHANNELS)
    donation = Donation(**values, status="pending", recorded_by_id=user.id if user else None,
                        batch_id=batch.id if batch else None)
    db.session.add(donation)
    db.session.flush()
    if batch is None:
        confirm(donation, user)
    return donation


def confirm(donation: Donation, user=None) -> LedgerEntry:
    # A declined card is not the end of an online gift: the donor may pay the same payment
    # again with another card, so a failed online donation can still be confirmed.
    retried = donation.status == "failed" and donation.gateway is not None
    if donation.status != "pending" and not retried:
        raise Invalid({"status": _l("Only a pending donation can be confirmed.")})
    donation.status = "confirmed"
    donation.confirmed_at = utcnow()
    return ledger.post("donation", donation.amount_fen, f"donation:{donation.id}",
                       donation_id=donation.id, designation_id=donation.designation_id,
                       user=user, fund_id=donation.fund_id)


def fail(donation: Donation) -> None:
    """A payment that did not go through: recorded, never counted."""
    if donation.status == "pending":
        donation.status = "failed"
        db.session.flush()


def check_refund(donation: Donation, amount_fen: int) -> None:
    """May this much of the donation be given back? Asked before any money moves."""
    if donation.status not in COUNTED:
        raise Invalid({"amount": _l("Only a confirmed donation can be refunded.")})
    if amount_fen <= 0 or amount_fen > donation.net_fen:
        raise Invalid({"amount": _l("A refund cannot exceed what is left of the donation.")})


def record_refund(donation: Donation, amount_fen: int, reference: str, *, reason: str = "",
                  user=None) -> LedgerEntry | None:
    """Book money given back. Idempotent by reference: the same refund seen twice (the API's
    answer and the webhook) is booked once; returns None the second time."""
    taken = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "refund",
                                                        LedgerEntry.reference == reference))
    if taken is not None:
        return None
    check_refund(donation, amount_fen)
    donation.refunded_fen += amount_fen
    fully = donation.refunded_fen == donation.amount_fen
    donation.status = "refunded" if fully else "partially_refunded"
    return ledger.post("refund", -amount_fen, reference, donation_id=donation.id,
                       designation_id=donation.designation_id, reason=reason, user=user,
                       fund_id=donation.fund_id)


def record_refund_total(donation: Donation, refunded_total_fen: int, reference: str,
                        user=None) -> LedgerEntry | None:
    """A gateway reports the total refunded so far: book only what is not booked yet."""
    missing = refunded_total_fen - donation.refunded_fen
    if missing <= 0:
        return None
    return record_refund(donation, missing, reference, user=user)


def reverse(donation: Donation, reason: str, user=None) -> LedgerEntry:
    """Cancel a donation booked by mistake (wrong amount, wrong fund): a reversing entry with
    a reason. The treasurer then records it again correctly."""
    if not (reason or "").strip():
        raise Invalid({"reason": _l("Say why this donation is corrected.")})
    lock(donation)  # a refund running at the same time must see the reversal, or wait for it
    if donation.gateway is not None:
        raise Invalid({"reason": _l("An online gift is corrected by refunding it.")})
    if donation.status != "confirmed" or donation.refunded_fen:
        raise Invalid({"reason": _l("Only a confirmed donation without refunds can be corrected.")})
    entry = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.donation_id == donation.id, LedgerEntry.kind == "donation"))
    donation.status = "reversed"
    return ledger.reverse(entry, reason, user)


def start_online(amount_fen: int, *, gateway: str, donor_id: int | None,
                 designation_id: int | None, message: str, received_on: date,
                 channel: str = "card") -> Donation:
    """An online gift the donor has asked to pay: pending until the gateway confirms it."""
    donation = Donation(amount_fen=amount_fen, channel=channel, received_on=received_on,
                        status="pending", gateway=gateway, donor_id=donor_id,
                        designation_id=designation_id, message=message.strip())
    db.session.add(donation)
    db.session.flush()
    return donation


def by_gateway_ref(gateway: str, gateway_ref: str) -> Donation | None:
    return db.session.scalar(select(Donation).where(Donation.gateway == gateway,
                                                    Donation.gateway_ref == gateway_ref))


@dataclass
class DonationFilter:
    """The filters of the donations list; None means no filter."""

    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None
    designation: str | None = None  # a designation id, or "general" for unrestricted gifts
    status: str | None = None
    donor_id: int | None = None
    batch_id: int | None = None
    receipt: str | None = None  # "missing": only the gifts waiting for a receipt


def _conditions(f: DonationFilter) -> list:
    conditions = []
    if f.date_from:
        conditions.append(Donation.received_on >= f.date_from)
    if f.date_to:
        conditions.append(Donation.received_on <= f.date_to)
    if f.channel:
        conditions.append(Donation.channel == f.channel)
    if f.designation == "general":
        conditions.append(Donation.designation_id.is_(None))
    elif designation_id := int_or_none(f.designation):
        conditions.append(Donation.designation_id == designation_id)
    if f.status:
        conditions.append(Donation.status == f.status)
    if f.donor_id:
        conditions.append(Donation.donor_id == f.donor_id)
    if f.receipt == "missing":
        from app.receipts.services import waiting_for_receipt  # receipts imports donations

        conditions.extend(waiting_for_receipt())
    if f.batch_id:
        conditions.append(Donation.batch_id == f.batch_id)
    return conditions


def filtered(f: DonationFilter):
    """The select() of donations matching the filters, newest first."""
    return select(Donation).where(*_conditions(f)).order_by(
        Donation.received_on.desc(), Donation.id.desc())


def filtered_totals(f: DonationFilter) -> tuple[int, int]:
    """(number of donations, net fen counted in the fund) for the same filters, in one pass
    over the covering index ix_donation_fund_id_received_on."""
    from sqlalchemy import case, func

    counted = case((Donation.status.in_(COUNTED), Donation.amount_fen - Donation.refunded_fen),
                   else_=0)
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(counted), 0)).where(*_conditions(f))
    ).one()
    return int(count), int(total)
