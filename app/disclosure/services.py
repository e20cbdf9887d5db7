"""Publishing disclosure reports: a frozen version with its PDF; a correction is a new version
with a correction note (更正说明), the old one stays on the board. Exports to XLSX and CSV."""

import csv
import hashlib
import io
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.orm import defer

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
               corrected: list = (), published_at: datetime | None = None) -> bytes:
    """corrected: a correction's changed figures (what, before, after), on its first page."""
    return pdf.render_pdf("disclosure/report_pdf.html", "../disclosure/report.css", data=data,
                          fund=fund, chart=chart(data),
                          version=version, correction_note=correction_note,
                          corrected=corrected, published_at=published_at)


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
    previous = db.session.scalar(select(Report).options(defer(Report.pdf)).where(
        Report.kind == p.kind, Report.year == p.year, Report.quarter == p.quarter)
        .order_by(Report.version.desc()).limit(1))
    latest = previous.version if previous else 0
    if latest and not note:
        raise Invalid({"correction_note": _l(
            "This report is already published: say what the new version corrects (更正说明).")})
    if p.start > now.date():
        raise Invalid({"year": _l("This period has not begun yet.")})
    data = compute(fund, p, threshold_fen)
    if not data.reconciles:  # never publish figures that do not add up
        raise Invalid({"year": _l("The figures do not reconcile with the ledger.")})
    corrected = changes(ReportData.from_json(previous.data), data) if previous else []
    if previous and not corrected:  # a correction that corrects nothing misleads the reader
        raise Invalid({"correction_note": _l(
            "No figure differs from the published version %(v)d: there is nothing to correct.",
            v=latest)})
    body = report_pdf(fund, data, version=latest + 1, correction_note=note, corrected=corrected,
                      published_at=now)
    report = Report(fund_id=fund.id, kind=p.kind, year=p.year, quarter=p.quarter,
                    version=latest + 1, threshold_fen=threshold_fen, data=data.to_json(),
                    pdf=body, sha256=hashlib.sha256(body).hexdigest(), correction_note=note[:1000],
                    published_by_id=user.id if user else None, published_at=now)
    db.session.add(report)
    db.session.flush()
    return report


def published() -> list[Report]:
    """Every published version, newest period and version first (without the PDF bytes)."""
    return list(db.session.scalars(select(Report).options(defer(Report.pdf), defer(Report.data))
                                   .order_by(Report.year.desc(), Report.quarter.desc(),
                                             Report.kind, Report.version.desc())))


# --- spreadsheets ------------------------------------------------------------------------------

YUAN_FORMAT = '"¥"#,##0.00'  # a number an auditor can sum, shown as money


def _y(fen: int) -> Decimal:
    """Fen as yuan, exact: a number in the XLSX, "1204.74" in the CSV."""
    return Decimal(fen).scaleb(-2)


def header() -> list[str]:
    return [_("Section"), _("Item"), _("Amount (yuan)"), _("Income (yuan)"), _("Spending (yuan)")]


def rows(data: ReportData) -> list[list]:
    """The report as rows: section, item, then one column per figure (an amount, or a month's
    income and spending side by side). The same rows make the CSV and the XLSX."""
    out = [[_("Fund"), data.fund], [_("Period"), f"{data.start} – {data.end}"],
           [_("Opening balance"), "", _y(data.opening_fen)]]
    for channel, fen in sorted(data.income_by_channel.items()):
        out.append([_("Income by channel"), str(label("channel", channel)), _y(fen)])
    out.append([_("Income"), "", _y(data.income_fen)])
    for month, income, spending in data.months:
        out.append([_("By month"), month, "", _y(income), _y(spending)])
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
        out.append([_("Donors who asked not to be named"), str(data.anonymous_donors)])
    # 微心愿: a count, not money, so it stands in the item column like the count above.
    for key, what in (("collected", _("Wishes collected")), ("claimed", _("Wishes claimed")),
                      ("fulfilled", _("Wishes fulfilled")), ("expired", _("Claims expired"))):
        if data.wishes:
            out.append([what, str(data.wishes.get(key, 0))])
    if data.volunteering:  # hours and counts in the item column, as the anonymous donors'
        v = data.volunteering
        out.append([_("Volunteering: confirmed hours"), f"{v['minutes'] / 60:.1f}"])
        out.append([_("Volunteering: volunteers who served"), str(v["people"])])
        out.append([_("Volunteering: activities"), str(v["activities"])])
        for name in v["named"]:  # only those who agreed to be named (Volunteer.show_name)
            out.append([_("Volunteering: named with their consent"), name])
    for a in data.aid:  # 关爱发放: people counted, never named
        versions = a.get("versions") or []
        if len(versions) > 1:  # the programme changed: each amount with its periods
            item = _("%(title)s: %(n)d people, %(terms)s", title=a["title"], n=a["people"],
                     terms=_("; ").join(_("¥%(a)s per period in %(periods)s",
                                          a=yuan(v["per_period_fen"]), periods=v["periods"])
                                        for v in versions))
        else:
            item = _("%(title)s: %(n)d people, ¥%(a)s per period", title=a["title"],
                     n=a["people"], a=yuan(a["per_period_fen"]))
        out.append([_("Aid hand-outs (关爱发放)"), item, _y(a["spent_fen"])])
    width = len(header())
    return [[_safe(cell) for cell in row] + [""] * (width - len(row)) for row in out]


def _safe(value):
    """Text a spreadsheet would run as a formula is kept as text; amounts are numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(data: ReportData) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header())
    writer.writerows(rows(data))
    return buffer.getvalue().encode("utf-8")


def as_xlsx(data: ReportData) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Report"))
    sheet.append(header())
    for row in rows(data):
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value):
    if not isinstance(value, Decimal):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = YUAN_FORMAT
    return cell


# --- what a correction changed -----------------------------------------------------------------

def changes(before: ReportData, after: ReportData) -> list[tuple[str, int | None, int | None]]:
    """Each figure that differs between two versions of a report, in the new version's order:
    (what, fen before, fen after), None where a version has no such line (a donor first
    listed). Compared as the spreadsheet's rows, so whatever a reader can see is compared."""
    old, new = _figures(before), _figures(after)
    names = _names(after)
    names.update((key, what) for key, what in _names(before).items() if key not in names)
    return [(what, old.get(key), new.get(key)) for key, what in names.items()
            if old.get(key) != new.get(key)]


def _keyed(data: ReportData):
    """(key, what, amount) for each figure; a key counts repeats (two donors named 爱心人士)."""
    seen: dict = {}
    columns = header()
    for section, item, *amounts in rows(data):
        for column, value in zip(columns[2:], amounts, strict=True):
            if isinstance(value, Decimal):
                base = (section, item, column)
                seen[base] = seen.get(base, 0) + 1
                what = " · ".join(part for part in (
                    section, item, column if column != columns[2] else "") if part)
                yield (*base, seen[base]), what, value


def _figures(data: ReportData) -> dict:
    return {key: int(value.scaleb(2)) for key, _what, value in _keyed(data)}


def _names(data: ReportData) -> dict:
    return {key: what for key, what, _value in _keyed(data)}
