"""志愿服务证明: a certificate of a volunteer's confirmed hours, issued free by the fund that
keeps the record (民政部令第67号). Like a receipt: a number from the fund's counter for the
year in the same transaction, the PDF rendered first, its bytes and sha256 stored, triggers
refusing change, a QR code to a public check page stating the same hours."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import counters, pdf, qr
from app.auth.models import User
from app.clock import local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.privacy import mask_id_number
from app.receipts.services import settings as receipt_settings
from app.urls import external_url
from app.validation import Invalid

from . import services
from .models import Certificate, CertificateCounter, Volunteer


def issue(volunteer: Volunteer, user: User | None = None,
          now: datetime | None = None) -> Certificate:
    lock(volunteer)  # two presses of the button make one number each, never the same one
    lines = services.service_lines(volunteer)
    if not lines:
        raise Invalid({"certificate": _l("This volunteer has no confirmed hours to certify "
                                         "yet.")})
    fund = db.session.get(Fund, volunteer.fund_id)
    issued_on = local_today(now)
    sequence = counters.bump(CertificateCounter, fund.id, issued_on.year)
    certificate = Certificate(
        fund_id=fund.id, year=issued_on.year, sequence=sequence,
        number=f"{fund.receipt_prefix}-ZY-{issued_on.year}-{sequence:05d}",
        token=secrets.token_urlsafe(18), volunteer_id=volunteer.id, name=volunteer.name,
        id_masked=mask_id_number(volunteer.id_number),
        total_minutes=sum(minutes for _, _, minutes in lines),
        services=[[day.isoformat(), title, minutes] for day, title, minutes in lines],
        issued_on=issued_on, issued_at=now or utcnow(), issued_by_id=user.id if user else None,
        pdf_sha256="")
    data = render_pdf(certificate, fund)
    certificate.pdf, certificate.pdf_sha256 = data, hashlib.sha256(data).hexdigest()
    db.session.add(certificate)
    db.session.flush()
    return certificate


def render_pdf(certificate: Certificate, fund: Fund) -> bytes:
    url = external_url("volunteers.check_certificate", cert_token=certificate.token)
    seal = receipt_settings(fund.id).seal_png
    html = render_template(
        "volunteers/pdf/certificate.html", certificate=certificate, fund=fund, check_url=url,
        qr=qr.png_data_uri(url), hours=services.hours_text,
        seal=seal and "data:image/png;base64," + base64.b64encode(seal).decode())
    return pdf.document(html).write_pdf()


def of_volunteer(volunteer_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(
        Certificate.volunteer_id == volunteer_id).order_by(Certificate.id.desc())))


def by_token(token: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.token == token))
