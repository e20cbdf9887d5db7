"""The donations list as CSV (Excel opens it in Chinese thanks to the BOM) or XLSX."""

import csv
import io

from flask import Response, send_file
from flask_babel import gettext as _
from openpyxl import Workbook

from app.clock import local_today
from app.labels import label
from app.money import yuan


def _header() -> list[str]:
    return [_("Date received"), _("Donor"), _("Amount (yuan)"), _("Refunded (yuan)"),
            _("Channel"), _("Serial number"), _("Purpose"), _("Donation point"), _("Status"),
            _("Batch"), _("Notes"), _("Number")]


def _cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _rows(donations):
    for d in donations:
        yield [_cell(value) for value in _row(d)]


def _row(d) -> list:
    return [
        d.received_on.isoformat(), d.donor.name if d.donor else _("Anonymous"),
        yuan(d.amount_fen).replace(",", ""), yuan(d.refunded_fen).replace(",", ""),
        str(label("channel", d.channel)), d.reference or "",
        d.designation.name if d.designation else _("The fund in general"),
        d.point.name if d.point else "", str(label("donation_status", d.status)),
        d.batch_id or "", d.notes, d.id,
    ]


def respond(fmt: str, donations, fund) -> Response:
    filename = f"donations-{fund.slug}-{local_today().isoformat()}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(_header())
        writer.writerows(_rows(donations))
        return send_file(io.BytesIO(buffer.getvalue().encode("utf-8")), as_attachment=True,
                         download_name=filename, mimetype="text/csv; charset=utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Donations"))
    sheet.append(_header())
    for row in _rows(donations):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=filename, mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
