"""A QR poster to print and put on the wall: one A4 page for a donation point or a project,
its QR code leading to the donate page with that point or project chosen."""

import io

from flask import send_file
from flask_babel import gettext as _

from app.auth.roles import Role
from app.pdf import render_pdf
from app.receipts.render import qr_data_uri
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


def render(fund, point=None, designation=None) -> bytes:
    url = donate_url(fund, point, designation)
    return render_pdf("giving/poster_pdf.html", "../giving/poster.css", fund=fund, point=point,
                      designation=designation, url=url, qr=qr_data_uri(url),
                      supervisor_phone=supervisor_phone(fund))


def response(fund, point=None, designation=None):
    subject = designation.name if designation else point.name if point else fund.name
    return send_file(io.BytesIO(render(fund, point, designation)), mimetype="application/pdf",
                     download_name=f"{subject}-{_('Donation poster')}.pdf")
