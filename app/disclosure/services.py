"""Publishing disclosure reports: a frozen version with its PDF; a correction is a new version
with a correction note (更正说明), the old one stays on the board. Exports to XLSX and CSV."""

import csv
import hashlib
import io
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, select

from app import pdf
from app.db_types import utcnow
from app.extensions import db
from app.labels import label
from app.money import yuan
from app.validation import Invalid

from . import charts
from .models import Report
from .reports import Period, ReportData, compute


def chart(data: ReportData):
    return charts.monthly_bars(
        [tuple(m) for m in data.months], title=_("Income and spending by month"),
        income_label=_("Income"), spending_label=_("Spending"))


def report_pdf(fund, data: ReportData, *, version: int = 0, correction_note: str = "",
               published_at: datetime | None = None) -> bytes:
    return pdf.render_pdf("disclosure/report_pdf.html", "../disclosure/report.css", data=data,
                          fund=fund, chart=chart(data),
                          version=version, correction_note=correction_note,
                          published_at=published_at)


def versions(p: Period) -> list[Report]:
    return list(db.session.scalars(select(Report).where(
        Report.kind == p.kind, Report.year == p.year, Report.quarter == p.quarter)
        .order_by(Report.version.desc())))


def publish(fund, p: Period, user, *, threshold_fen: int, correction_note: str = "",
            now: datetime | None = None) -> Report:
    """Freeze the period's figures and PDF as the next version. A version after the first is a
    correction and must say what was corrected."""
    now = now or utcnow()
    note = (correction_note or "").strip()
    latest = db.session.scalar(select(func.max(Report.version)).where(
        Report.kind == p.kind, Report.year == p.year, Report.quarter == p.quarter)) or 0
    if latest and not note:
        raise Invalid({"correction_note": _l(
            "This report is already published: say what the new version corrects (更正说明).")})
    if p.start > now.date():
        raise Invalid({"year": _l("This period has not begun yet.")})
    data = compute(fund, p, threshold_fen)
    if not data.reconciles:  # never publish figures that do not add up
        raise Invalid({"year": _l("The figures do not reconcile with the ledger.")})
    body = report_pdf(fund, data, version=latest + 1, correction_note=note, published_at=now)
    report = Report(fund_id=fund.id, kind=p.kind, year=p.year, quarter=p.quarter,
                    version=latest + 1, threshold_fen=threshold_fen, data=data.to_json(),
                    pdf=body, sha256=hashlib.sha256(body).hexdigest(), correction_note=note[:1000],
                    published_by_id=user.id if user else None, published_at=now)
    db.session.add(report)
    db.session.flush()
    return report


def published() -> list[Report]:
    """Every published version, newest period and version first (without the PDF bytes)."""
    from sqlalchemy.orm import defer

    return list(db.session.scalars(select(Report).options(defer(Report.pdf), defer(Report.data))
                                   .order_by(Report.year.desc(), Report.quarter.desc(),
                                             Report.kind, Report.version.desc())))


# --- spreadsheets ------------------------------------------------------------------------------

def _y(fen: int) -> str:
    return yuan(fen).replace(",", "")


def rows(data: ReportData) -> list[list]:
    """The report as rows: (section, item, amount in yuan). The same rows make the CSV and
    the XLSX."""
    out = [[_("Fund"), data.fund, ""], [_("Period"), f"{data.start} – {data.end}", ""],
           [_("Opening balance"), "", _y(data.opening_fen)]]
    for channel, fen in sorted(data.income_by_channel.items()):
        out.append([_("Income by channel"), str(label("channel", channel)), _y(fen)])
    out.append([_("Income"), "", _y(data.income_fen)])
    for month, income, spending in data.months:
        out.append([_("By month"), month, f"{_y(income)} / {_y(spending)}"])
    for project in data.projects:
        out.append([_("Spending by project"), project["title"], _y(project["fen"])])
        for item, fen in project["lines"]:
            out.append([_("Budget line"), f"{project['title']} · {item}", _y(fen)])
    out.append([_("Spending"), "", _y(data.spending_fen)])
    if data.other_fen:
        out.append([_("Other movements"), "", _y(data.other_fen)])
    out.append([_("Closing balance"), "", _y(data.closing_fen)])
    out.append([_("Unrestricted balance"), "", _y(data.unrestricted_fen)])
    for name, fen in data.restricted:
        out.append([_("Restricted balance"), name, _y(fen)])
    for name, fen in data.donors:
        out.append([_("Donors of ¥%(t)s or more", t=yuan(data.threshold_fen)), name, _y(fen)])
    if data.anonymous_donors:
        out.append([_("Donors who asked not to be named"), str(data.anonymous_donors), ""])
    return [[_safe(cell) for cell in row] for row in out]


def _safe(value):
    """Text a spreadsheet would run as a formula is kept as text (a "-5.00" amount too)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(data: ReportData) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_("Section"), _("Item"), _("Amount (yuan)")])
    writer.writerows(rows(data))
    return buffer.getvalue().encode("utf-8")


def as_xlsx(data: ReportData) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Report"))
    sheet.append([_("Section"), _("Item"), _("Amount (yuan)")])
    for row in rows(data):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
