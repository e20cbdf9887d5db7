"""A QR poster to print and put on the wall: one A4 page for a donation point or a project,
its QR code leading to the donate page with that point or project chosen; and the page and
QR code of any poster (a campaign's: app/campaigns/poster.py)."""

import io

from flask import send_file
from flask_babel import gettext as _

from app import qr
from app.auth.roles import Role
from app.pdf import render_pdf
from app.urls import external_url


def donate_url(fund, point=None, designation=None) -> str:
    return external_url("payments.donate", fund_slug=fund.slug,
                        point=point.id if point else None,
                        designation=designation.id if designation else None)


def supervisor_phone(fund) -> str:
    """The supervisor's (监事) mobile number: whom a villager calls about the fund's money."""
    from app.funds import services as funds

    for membership, user in funds.people_of_fund(fund):
        if membership.role == Role.SUPERVISOR and user.phone:
            return user.phone
    return ""


def render_poster(template: str, url: str, **context) -> bytes:
    """One A4 poster whose QR code leads to ``url``; the template extends
    giving/poster_pdf.html (a campaign's poster does too)."""
    return render_pdf(template, "../giving/poster.css", url=url, qr=qr.png_data_uri(url), **context)


def render(fund, point=None, designation=None) -> bytes:
    return render_poster("giving/poster_pdf.html", donate_url(fund, point, designation),
                         fund=fund, point=point, designation=designation,
                         supervisor_phone=supervisor_phone(fund))


def pdf_response(pdf: bytes, subject: str):
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"{subject}-{_('Donation poster')}.pdf")


def response(fund, point=None, designation=None):
    subject = designation.name if designation else point.name if point else fund.name
    return pdf_response(render(fund, point, designation), subject)
