"""A programme's hand-outs as an XLSX, for the 社工, the chair and the supervisor (aid.export):
names, since they may see them, but ID numbers masked (110***********1234), and no
household, situation, phone or signature. Private: never linked from a public page."""

import io

from flask import Response, send_file
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from app.clock import local_day, local_today
from app.extensions import db
from app.money import yuan
from app.privacy import mask_id_number

from .models import Beneficiary, Enrolment, Entitlement, Handout, Programme, Voucher

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def header() -> list[str]:
    return [
        _("Period"),
        _("Name"),
        _("Resident ID number"),
        _("Village group"),
        _("Amount (yuan)"),
        _("State"),
        _("Handed out on"),
        _("Who collected"),
        _("Voucher"),
        _("Voucher used on"),
    ]


def rows(programme: Programme) -> list[list]:
    """One line per entitlement, oldest period first: three queries."""
    from .views import aid_label

    found = db.session.execute(
        select(Entitlement, Beneficiary)
        .join(Enrolment, Enrolment.id == Entitlement.enrolment_id)
        .join(Beneficiary, Beneficiary.id == Enrolment.beneficiary_id)
        .where(Entitlement.programme_id == programme.id)
        .order_by(Entitlement.period, Beneficiary.village_group, Entitlement.id)
    ).all()
    ids = [e.id for e, _b in found]
    handouts = (
        {
            h.entitlement_id: h
            for h in db.session.scalars(select(Handout).where(Handout.entitlement_id.in_(ids)))
        }
        if ids
        else {}
    )
    vouchers = (
        {
            v.entitlement_id: v
            for v in db.session.scalars(select(Voucher).where(Voucher.entitlement_id.in_(ids)))
        }
        if ids
        else {}
    )
    lines = []
    for entitlement, person in found:
        handout, voucher = handouts.get(entitlement.id), vouchers.get(entitlement.id)
        state = (
            "redeemed"
            if voucher is not None and voucher.redeemed_at is not None
            else "handed"
            if handout is not None
            else "missed"
        )
        lines.append(
            [
                _cell(v)
                for v in (
                    entitlement.period,
                    person.name,
                    mask_id_number(person.id_number),
                    person.village_group,
                    yuan(entitlement.amount_fen),
                    aid_label(state),
                    local_day(handout.at).isoformat() if handout else "",
                    aid_label(handout.collector) if handout else "",
                    voucher.serial if voucher else "",
                    local_day(voucher.redeemed_at).isoformat()
                    if voucher and voucher.redeemed_at
                    else "",
                )
            ]
        )
    return lines


def respond(programme: Programme, fund) -> Response:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Hand-outs"))
    sheet.append(header())
    for line in rows(programme):
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    name = f"aid-{fund.slug}-{programme.id}-{local_today().isoformat()}.xlsx"
    return send_file(buffer, as_attachment=True, download_name=name, mimetype=XLSX)
