"""The annual summary of every fund of a township, as one XLSX for the civil-affairs office
(民政部门): opening balance, income by channel, spending, closing balance, donors, receipts."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import case, extract, func, select

from app.donations.models import Channel, Donation
from app.extensions import db
from app.funds.models import Fund
from app.labels import label
from app.receipts.models import Receipt

from .models import LedgerMonth

OTHER = ""  # income with no gift behind it (none today; kept apart if it ever appears)
GIVEN = ("confirmed", "partially_refunded", "refunded", "reversed")  # money that came in


@dataclass
class YearRow:
    fund: Fund
    opening_fen: int = 0
    income_fen: dict[str, int] = field(default_factory=dict)  # channel -> net income
    spending_fen: int = 0
    closing_fen: int = 0
    donors: int = 0
    receipts_issued: int = 0
    receipts_voided: int = 0

    @property
    def income_total_fen(self) -> int:
        return sum(self.income_fen.values())


def annual_rows(funds: list[Fund], year: int) -> list[YearRow]:
    """One row per fund for the year (Beijing months), from the ledger summary and grouped
    counts; closing is summed separately, so opening + income - spending = closing checks."""
    rows = {f.id: YearRow(f) for f in funds}
    this_year = year * 100  # the year's total rows (YYYY00), see LedgerMonth
    for fund_id, opening, closing in db.session.execute(
            select(LedgerMonth.fund_id,
                   func.sum(case((LedgerMonth.month < this_year, LedgerMonth.amount_fen),
                                 else_=0)),
                   func.sum(LedgerMonth.amount_fen))
            .where(LedgerMonth.month > 0, LedgerMonth.month % 100 == 0,
                   LedgerMonth.month <= this_year)
            .group_by(LedgerMonth.fund_id)):
        if row := rows.get(fund_id):
            row.opening_fen, row.closing_fen = int(opening or 0), int(closing or 0)
    for fund_id, flow, channel, amount in db.session.execute(
            select(LedgerMonth.fund_id, LedgerMonth.flow, LedgerMonth.channel,
                   LedgerMonth.amount_fen).where(LedgerMonth.month == this_year)):
        if row := rows.get(fund_id):
            if flow == "out":
                row.spending_fen -= int(amount)
            else:
                row.income_fen[channel] = row.income_fen.get(channel, 0) + int(amount)
    given_in_year = extract("year", Donation.received_on) == year
    for fund_id, donors in db.session.execute(
            select(Donation.fund_id, func.count(func.distinct(Donation.donor_id)))
            .where(given_in_year, Donation.status.in_(GIVEN)).group_by(Donation.fund_id)):
        if row := rows.get(fund_id):
            row.donors = donors
    for fund_id, issued, voided in db.session.execute(
            select(Receipt.fund_id, func.count(),
                   func.sum(case((Receipt.status == "void", 1), else_=0)))
            .where(extract("year", Receipt.issued_on) == year).group_by(Receipt.fund_id)):
        if row := rows.get(fund_id):
            row.receipts_issued, row.receipts_voided = issued, int(voided or 0)
    return list(rows.values())


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _text(value: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def xlsx(township, rows: list[YearRow], year: int) -> bytes:
    channels = list(Channel.values())
    if any(OTHER in r.income_fen for r in rows):
        channels.append(OTHER)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Annual summary %(year)d", year=year)
    sheet.append([_text(_("%(township)s: annual summary of the community charity funds, "
                          "%(year)d", township=township.name, year=year))])
    sheet.append([_("Amounts in yuan. Income is net of refunds and corrections.")])
    header = [_("Fund"), _("Village or community"), _("Host charity"), _("Status"),
              _("Opening balance")]
    header += [_("Income: %(channel)s", channel=label("channel", c) if c else _("other"))
               for c in channels]
    header += [_("Income in total"), _("Spending"), _("Closing balance"), _("Donors"),
               _("Receipts issued"), _("of which voided")]
    sheet.append(header)
    totals = [0] * (len(header) - 4)
    for r in rows:
        figures = [r.opening_fen, *(r.income_fen.get(c, 0) for c in channels),
                   r.income_total_fen, r.spending_fen, r.closing_fen]
        counts = [r.donors, r.receipts_issued, r.receipts_voided]
        sheet.append([_text(r.fund.name), _text(r.fund.village), _text(r.fund.host_charity),
                      str(label("fund_status", r.fund.status)),
                      *(_yuan(f) for f in figures), *counts])
        totals = [t + v for t, v in zip(totals, figures + counts, strict=True)]
    money = len(totals) - 3
    sheet.append([_("Total"), "", "", "", *(_yuan(t) for t in totals[:money]), *totals[money:]])
    for row in sheet.iter_rows(min_row=4, min_col=5, max_col=4 + money):
        for cell in row:
            cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
