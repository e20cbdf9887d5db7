"""The fund's WeChat or Alipay bill, imported: money in, matched to the gifts donors reported.

Both apps export their bill as CSV with some lines of summary above a header row. WeChat's
(微信支付账单明细: 交易时间, 交易类型, 交易对方, 商品, 收/支, 金额(元), 支付方式, 当前状态,
交易单号, 商户单号, 备注; UTF-8) and Alipay's (支付宝交易明细: 交易时间, 交易分类, 交易对方,
对方账号, 商品说明, 收/支, 金额, 收/付款方式, 交易状态, 交易订单号, 商家订单号, 备注; GBK), and
the merchant platform's trade bill (values behind a backtick). The header row is found by its
names; each money-in line is kept once by its serial number, so importing the same bill again
adds nothing.

A line confirms a reported gift when the amount is the same, the times are within
MATCH_MINUTES, and either the note names the donor or no other pending gift fits. The rest
wait on one screen for the treasurer to match by hand, or to record as a gift of its own.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.clock import LOCAL
from app.database import lock
from app.donations import services as donations
from app.donations.models import Donation
from app.donors import services as donors
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid

from .models import BillLine, CodeKind, GiftReport
from .services import one_at_a_time

MATCH_MINUTES = 30
MAX_LINES = 5000
MAX_BYTES = 5 * 1024 * 1024
COLUMNS = {
    "time": ("交易时间", "付款时间", "交易创建时间"),
    "amount": ("金额(元)", "金额（元）", "金额", "应结订单金额", "订单金额"),
    "serial": ("交易单号", "交易订单号", "交易号", "微信订单号"),
    "direction": ("收/支",),
    "payer": ("交易对方", "用户标识"),
    "note": ("备注", "商户数据包"),
    "status": ("当前状态", "交易状态"),
}
INCOME = ("收入", "")  # the merchant bill has no 收/支 column: every line is money in
NOT_MONEY_IN = re.compile(r"退款|关闭|失败|撤销|REFUND|REVOKED|CLOSED", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    serial: str
    paid_at: datetime
    amount_fen: int
    payer: str
    note: str


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid({"file": _l("The file is neither UTF-8 nor GBK text: export the bill as CSV "
                              "again.")})


def _clean(value: str) -> str:
    return (value or "").strip().lstrip("`").strip().replace("\t", "")


def parse(data: bytes) -> list[Line]:
    """The money-in lines of a bill; Invalid when the file is not such a bill."""
    rows = list(csv.reader(io.StringIO(_text(data))))
    for header_at, row in enumerate(rows):  # noqa: B007 (the header's line, used below)
        names = [_clean(cell) for cell in row]
        where = {key: next((names.index(n) for n in options if n in names), None)
                 for key, options in COLUMNS.items()}
        if None not in (where["time"], where["amount"], where["serial"]):
            break
    else:
        raise Invalid({"file": _l("No bill found in this file: its header row (交易时间, 金额, "
                                  "交易单号 …) is missing.")})
    lines = []
    for row in rows[header_at + 1:]:
        cell = {key: _clean(row[i]) if i is not None and i < len(row) else ""
                for key, i in where.items()}
        if not cell["serial"] or not re.match(r"\d{4}", cell["time"]):
            continue  # a summary line under the table
        if cell["direction"] not in INCOME or NOT_MONEY_IN.search(cell["status"]):
            continue
        try:
            amount_fen = parse_amount(cell["amount"])
        except AmountError:
            continue
        paid_at = _moment(cell["time"])
        if paid_at is None:
            continue
        note = "" if cell["note"] == "/" else cell["note"]
        payer = "" if cell["payer"] == "/" else cell["payer"]
        lines.append(Line(cell["serial"][:100], paid_at, amount_fen, payer[:100], note[:200]))
        if len(lines) > MAX_LINES:
            raise Invalid({"file": _l("A bill of at most 5,000 lines at once: export a "
                                      "shorter period.")})
    return lines


def _moment(text: str) -> datetime | None:
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=LOCAL)
        except ValueError:
            continue
    return None


@dataclass
class Imported:
    added: int  # new lines
    matched: int  # of them, confirmed a reported gift
    known: int  # already imported before


def import_bill(kind: str, data: bytes, user) -> Imported:
    """Keep the bill's new money-in lines and match each to a reported gift if one fits."""
    if kind not in CodeKind.values():
        raise Invalid({"kind": _l("Choose WeChat or Alipay.")})
    if not data:
        raise Invalid({"file": _l("Choose the bill's file.")})
    if len(data) > MAX_BYTES:
        raise Invalid({"file": _l("The file is larger than 5 MB: export a shorter period.")})
    lines = parse(data)
    one_at_a_time()
    seen = set(db.session.scalars(select(BillLine.serial).where(
        BillLine.kind == kind, BillLine.serial.in_([line.serial for line in lines]))))
    added = []
    for line in lines:
        if line.serial in seen:
            continue
        seen.add(line.serial)
        row = BillLine(kind=kind, serial=line.serial, paid_at=line.paid_at,
                       amount_fen=line.amount_fen, payer=line.payer, note=line.note,
                       imported_by_id=user.id if user else None)
        db.session.add(row)
        added.append(row)
    db.session.flush()
    matched = sum(1 for row in sorted(added, key=lambda r: r.paid_at) if _auto_match(row, user))
    return Imported(len(added), matched, len(lines) - len(added))


def _auto_match(line: BillLine, user) -> bool:
    window = timedelta(minutes=MATCH_MINUTES)
    candidates = [report for report in db.session.scalars(
        select(GiftReport).join(Donation, (Donation.id == GiftReport.donation_id)
                                & (Donation.fund_id == GiftReport.fund_id))
        .where(GiftReport.kind == line.kind, Donation.status == "pending",
               Donation.amount_fen == line.amount_fen,
               GiftReport.paid_at.between(line.paid_at - window, line.paid_at + window)))]
    named = [r for r in candidates if r.name in line.note
             or (r.phone_last4 and r.phone_last4 in line.note)]
    chosen = named if named else candidates
    if len(chosen) != 1:
        return False  # none, or several alike: the treasurer decides
    confirm_with(line, chosen[0].donation_id, user)
    return True


def confirm_with(line: BillLine, donation_id: int, user) -> Donation:
    """The line is the reported gift's money: the gift is confirmed, its donor kept."""
    lock(line)
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise Invalid({"donation": _l("Choose a reported gift of this fund.")})
    lock(donation)
    report = db.session.scalar(select(GiftReport).where(GiftReport.donation_id == donation.id))
    if line.donation_id is not None:
        raise Invalid({"donation": _l("This line of the bill already confirms a gift.")})
    if report is None or donation.status != "pending":
        raise Invalid({"donation": _l("This gift is no longer waiting for the bill.")})
    if donation.amount_fen != line.amount_fen or report.kind != line.kind:
        raise Invalid({"donation": _l("The amount or the code is not the same as the bill's.")})
    if donation.donor_id is None:
        donation.donor_id = donors.create_donor(donors.DonorInput(name=report.name)).id
    _confirm(donation, line, user)
    return donation


def record_as_gift(line: BillLine, user) -> Donation:
    """Money in that nobody reported: a gift of its own, named after the payer if known."""
    lock(line)
    if line.donation_id is not None:
        raise Invalid({"donation": _l("This line of the bill already confirms a gift.")})
    donation = Donation(amount_fen=line.amount_fen, channel=line.kind, status="pending",
                        received_on=line.paid_at.astimezone(LOCAL).date(),
                        message=line.note, fund_id=line.fund_id)
    db.session.add(donation)
    db.session.flush()
    _confirm(donation, line, user)
    return donation


def _confirm(donation: Donation, line: BillLine, user) -> None:
    if db.session.scalar(select(Donation.id).where(
            Donation.channel == line.kind, Donation.reference == line.serial)) is not None:
        raise Invalid({"donation": _l("A gift with this serial number is already recorded.")})
    donation.reference = line.serial
    donation.handler_id = user.id if user else None
    line.donation_id = donation.id
    donations.confirm(donation, user)
    db.session.flush()


def reject_report(donation: Donation) -> None:
    """The bill shows no such money: the reported gift is marked failed, never counted."""
    lock(donation)
    if donation.status != "pending":
        raise Invalid({"donation": _l("This gift is no longer waiting for the bill.")})
    donations.fail(donation)


def unmatched_lines() -> list[BillLine]:
    return list(db.session.scalars(select(BillLine).where(BillLine.donation_id.is_(None))
                                   .order_by(BillLine.paid_at.desc(), BillLine.id)))
