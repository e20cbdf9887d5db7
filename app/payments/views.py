"""The public donation page, its return page, the gateways' webhooks and the refund action."""

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import PUBLIC
from app.donations.models import Donation, DonationPoint
from app.donations.services import COUNTED
from app.extensions import csrf, db, limiter
from app.money import fen_to_input, yuan
from app.rendering import render, render_form
from app.urls import external_url
from app.validation import REFUSED, Invalid, attempt
from tenants.access import fund_access, open_access

from . import services
from .forms import DonateForm, RefundForm
from .gateway import GATEWAYS, BadWebhook, GatewayError, get_gateway, online_gateway

bp = Blueprint("payments", __name__)


def refused_by_gateway(action):
    """The action, with the gateway's refusal said above the form like any other Invalid."""
    def run():
        try:
            return action()
        except GatewayError as error:
            raise Invalid({"": str(error)}) from error
    return run


def _donation(donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id)  # the fund's scope hides other funds' gifts
    if donation is None:
        abort(404)
    return donation


@bp.route("/f/<fund_slug>/donate", methods=["GET", "POST"])
@fund_access("public")
# Each POST opens a payment at the gateway. Per minute, not per hour: a whole village may
# share one mobile-network address when a collection drive goes out on WeChat.
@limiter.limit("30 per minute", methods=["POST"])
def donate():
    gateway = online_gateway()
    if gateway is None or not g.fund.is_active:
        points = db.session.scalars(select(DonationPoint).where(DonationPoint.active)
                                    .order_by(DonationPoint.id)).all()
        return render("payments/offline.html", fund=g.fund, points=points)
    form = DonateForm(services.open_designations())

    @refused_by_gateway
    def start():
        donation, payment = services.start_gift(services.GiftInput(
            amount=form.amount_text, name=form.name.data, phone=form.phone.data,
            email=form.email.data, anonymity=form.anonymity.data,
            designation_id=form.designation.data or None, message=form.message.data,
            locale=str(get_locale())), gateway)
        return donation, gateway.checkout(payment)

    started = attempt(form, start) if form.is_submitted() else REFUSED
    if started is not REFUSED:
        donation, checkout = started
        db.session.commit()
        status_url = external_url("payments.status", fund_slug=g.fund.slug,
                                  donation_id=donation.id)
        response = render(checkout.template, fund=g.fund, donation=donation,
                          return_url=status_url, **checkout.context)
        if checkout.csp:  # only the page that takes the payment loads the gateway's script
            response.headers["Content-Security-Policy"] = checkout.csp
        return response
    return render_form("payments/donate.html", form, block="form", fund=g.fund)


@bp.route("/f/<fund_slug>/donate/<int:donation_id>/status")
@fund_access("public")
def status(donation_id: int):
    """Where the donor lands after paying. It shows what the webhook has recorded, and htmx
    asks again every two seconds while the gift is pending. No donor details: anyone may
    guess the URL, so only online gifts are shown: offline gifts are no one's business here."""
    donation = _donation(donation_id)
    if donation.gateway is None:
        abort(404)
    return render("payments/status.html", block="status", fund=g.fund, donation=donation)


@bp.route("/payments/<gateway_name>/webhook", methods=["POST"])
@open_access(PUBLIC)
@csrf.exempt
@limiter.exempt
def webhook(gateway_name: str):
    """The gateway's signed events. 2xx tells the gateway to stop sending this event; any
    other answer makes it send the event again later."""
    if gateway_name not in GATEWAYS:
        abort(404)
    gateway = get_gateway(gateway_name)
    try:
        event = gateway.parse_webhook(request.get_data(), request.headers)
        outcome = services.handle_event(gateway, event)
    except BadWebhook as error:
        current_app.logger.warning("%s webhook refused: %s", gateway_name, error)
        return {"error": "bad signature"}, 400
    except GatewayError as error:
        db.session.rollback()
        current_app.logger.warning("%s webhook: %s", gateway_name, error)
        return {"error": "gateway unreachable, send again"}, 503
    except Invalid as error:
        db.session.rollback()
        current_app.logger.warning("%s event %s not applied yet: %s", gateway_name,
                                   event.id, error)
        return {"error": "not applicable yet, send again"}, 409
    db.session.commit()
    current_app.logger.info("%s event %s (%s): %s", gateway_name, event.id, event.type, outcome)
    return {"received": True, "outcome": outcome}


@bp.route("/f/<fund_slug>/donations/<int:donation_id>/refund", methods=["GET", "POST"])
@fund_access("donation.refund")
def refund(donation_id: int):
    donation = _donation(donation_id)
    form = RefundForm()
    if request.method == "GET":
        form.amount.data = fen_to_input(donation.net_fen)
    refunded = attempt(form, refused_by_gateway(lambda: services.refund(
        get_gateway(donation.gateway), donation, form.amount.data, form.reason.data,
        current_user))) if form.is_submitted() else REFUSED
    if refunded is not REFUSED:
        db.session.commit()
        flash(_("Refunded. %(yuan)s yuan of this donation is still in the fund.",
                yuan=yuan(donation.net_fen)), "info")
        return redirect(url_for("donations.detail", donation_id=donation.id))
    return render_form("payments/refund.html", form, block="form", fund=g.fund,
                       donation=donation, refundable=donation.status in COUNTED)
