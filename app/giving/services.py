"""Collection codes (收款码) and the gifts donors report paying to them.

A code's money goes straight to the fund's own account: no gateway tells us about it. So a
donor who paid one may report it (name, amount, time, the last four digits of the phone);
the report is a pending gift until a line of the fund's bill confirms it (app/giving/bills.py).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import uploads
from app.clock import LOCAL, local_today
from app.config import VAR_DIR
from app.db_types import utcnow
from app.donations.models import Designation, Donation
from app.extensions import db
from app.funds.models import Fund
from app.money import AmountError, parse_amount
from app.validation import Invalid
from tenants import current_scope

from .models import CodeKind, CollectionCode, GiftReport

NAME_MAX = 20  # what fits in the note of a transfer beside the village's name
REPORT_DAYS = 30  # a gift reported later than this is for the treasurer to record by hand


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "giving" / str(fund_id)


def codes() -> list[CollectionCode]:
    """The current fund's collection codes, WeChat first."""
    rows = {c.kind: c for c in db.session.scalars(select(CollectionCode))}
    return [rows[kind] for kind in CodeKind.values() if kind in rows]


def code_image(code: CollectionCode) -> bytes | None:
    return uploads.load(_folder(code.fund_id), code.stored_name)


def save_code(kind: str, payee: str, data: bytes, user) -> CollectionCode:
    """Upload (or replace) the fund's code of this kind: a photo, checked by its bytes."""
    errors = {}
    if kind not in CodeKind.values():
        errors["kind"] = _l("Choose WeChat or Alipay.")
    payee = (payee or "").strip()
    if not payee:
        errors["payee"] = _l("Enter the name the code shows when scanned.")
    try:
        content_type = uploads.check(data, "image", allowed={uploads.JPEG, uploads.PNG},
                                     wrong_type=_l("Upload a photo (JPEG or PNG) of the code."))
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    fund_id = one_at_a_time()
    code = db.session.scalar(select(CollectionCode).where(CollectionCode.kind == kind))
    if code is None:
        code = CollectionCode(kind=kind, fund_id=fund_id)
        db.session.add(code)
    code.payee, code.content_type = payee, content_type
    code.uploaded_by_id = user.id if user else None
    code.created_at = utcnow()
    # A new file each time, never overwritten: a rollback leaves the row on its old photo.
    code.stored_name = uploads.store(_folder(fund_id), data)
    db.session.flush()
    return code


def one_at_a_time() -> int:
    """Hold the current fund's row until commit, so that two uploads of a code or two imports
    of a bill run one after the other (the second sees the first's rows) instead of both
    inserting the same one. NO KEY UPDATE: rows referencing the fund are not held up."""
    fund = db.session.get(Fund, current_scope().fund_id)
    db.session.refresh(fund, with_for_update={"key_share": True})
    return fund.id


def remove_code(kind: str) -> None:
    code = db.session.scalar(select(CollectionCode).where(CollectionCode.kind == kind))
    if code is not None:
        db.session.delete(code)
        db.session.flush()


def note_for(fund, name: str = "") -> str:
    """What a donor writes in the transfer's note so the bill shows whose gift it is."""
    place = fund.village or fund.name
    placeholder = _l("your name")
    return f"{place}+{name or placeholder}"


@dataclass
class ReportInput:
    """What a donor typed on the report page; text until checked here."""

    kind: str
    name: str
    amount: str
    paid_on: str  # YYYY-MM-DD
    paid_time: str  # HH:MM
    phone_last4: str = ""
    designation_id: int | None = None
    message: str = ""


def report_gift(data: ReportInput, now: datetime | None = None) -> Donation:
    """A donor says they paid a collection code: a pending gift with the report beside it."""
    now = now or utcnow()
    errors = {}
    if data.kind not in [c.kind for c in codes()]:
        errors["kind"] = _l("Choose the code you paid.")
    name = (data.name or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = _l("Enter your name as you wrote it in the note (at most 20 "
                            "characters).")
    try:
        amount_fen = parse_amount(data.amount)
    except AmountError as error:
        errors["amount"] = error.args[0]
    paid_at = _moment(data.paid_on, data.paid_time)
    if paid_at is None:
        errors["paid_time"] = _l("Enter the day and time you paid, for example 2026-12-01 "
                                 "and 09:30.")
    elif not now - timedelta(days=REPORT_DAYS) <= paid_at <= now + timedelta(minutes=5):
        errors["paid_time"] = _l("A gift can be reported within 30 days of paying, not in "
                                 "the future.")
    last4 = (data.phone_last4 or "").strip()
    if last4 and not re.fullmatch(r"[0-9]{4}", last4):
        errors["phone_last4"] = _l("Enter the last four digits of your mobile number.")
    if data.designation_id:
        designation = db.session.get(Designation, data.designation_id)
        if designation is None or not designation.active:
            errors["designation"] = _l("Choose one of this fund's purposes.")
    if errors:
        raise Invalid(errors)
    donation = Donation(amount_fen=amount_fen, channel=data.kind, status="pending",
                        received_on=paid_at.astimezone(LOCAL).date() if paid_at else
                        local_today(), designation_id=data.designation_id or None,
                        message=(data.message or "").strip()[:500])
    db.session.add(donation)
    db.session.flush()
    db.session.add(GiftReport(donation_id=donation.id, kind=data.kind, name=name,
                              phone_last4=last4, paid_at=paid_at, fund_id=donation.fund_id))
    db.session.flush()
    return donation


def _moment(day: str, clock: str) -> datetime | None:
    """A Beijing day and time as a moment (UTC-aware), or None when it is not one."""
    try:
        naive = datetime.strptime(f"{(day or '').strip()} {(clock or '').strip()}",
                                  "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return naive.replace(tzinfo=LOCAL)


def pending_reports() -> list[tuple[GiftReport, Donation]]:
    """Reports whose gift no bill line has confirmed yet, with the gift, oldest first."""
    return list(db.session.execute(
        select(GiftReport, Donation).join(Donation, (Donation.id == GiftReport.donation_id)
                                          & (Donation.fund_id == GiftReport.fund_id))
        .where(Donation.status == "pending").order_by(GiftReport.paid_at, GiftReport.id)))


def donate_context(fund) -> dict:
    """What the donate page shows beside the gateways: the codes and the note to write."""
    return {"codes": codes(), "code_note": note_for(fund)}
