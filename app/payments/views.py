"""The public donation page, its return page and order check, the gateways' webhooks, WeChat's
web authorization and the refund action."""

import secrets

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.roles import PUBLIC
from app.donations.models import Donation, DonationPoint
from app.extensions import csrf, db, limiter
from app.giving.services import donate_context
from app.money import fen_to_input, yuan
from app.rendering import leave_for, render, render_form, wants_partial
from app.urls import external_url
from app.validation import REFUSED, Invalid, attempt, int_or_none
from app.wishes import services as wishes
from tenants.access import fund_access, open_access

from . import browsers, credentials, services, wechat
from .forms import DonateForm, RefundForm
from .gateway import (
    GATEWAYS,
    BadWebhook,
    GatewayError,
    Payer,
    csp_with,
    fund_gateway,
    get_gateway,
    online_gateways,
)

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
    user_agent = request.headers.get("User-Agent", "")
    gateways = browsers.offered(online_gateways(township=g.fund.township.slug), user_agent) \
        if g.fund.is_active else []
    if not gateways:
        return render("payments/offline.html", fund=g.fund, points=_points(),
                      **donate_context(g.fund))
    names = [gw.name for gw in gateways]
    if request.method == "GET" and "wechatpay" in names and _wants_openid(user_agent):
        return _ask_wechat_for_openid()
    form = DonateForm(services.open_designations(), gateways, **_presets(gateways, user_agent))

    @refused_by_gateway
    def start():
        chosen = form.method.data if len(names) > 1 else names[0]
        if chosen not in names:
            raise Invalid({"method": _("Choose how to pay.")})
        gateway = gateways[names.index(chosen)]
        # The openid is the deployment's official account's: of no use to another appid.
        openid = session.get(OPENID, "") \
            if getattr(gateway, "appid", None) == current_app.config.get("WECHATPAY_APPID") else ""
        payer = Payer(mode=browsers.mode_for(gateway.name, user_agent, openid),
                      client_ip=request.remote_addr or "", openid=openid)
        donation, payment = services.start_gift(services.GiftInput(
            amount=form.amount_text, name=form.name.data, phone=form.phone.data,
            email=form.email.data, anonymity=form.anonymity.data,
            designation_id=form.designation.data or None, message=form.message.data,
            point_id=int_or_none(form.point.data), locale=str(get_locale())), gateway, payer)
        wishes.link_gift(donation, int_or_none(form.wish.data))
        return gateway, donation, payment

    started = attempt(form, start) if form.is_submitted() else REFUSED
    if started is not REFUSED:
        gateway, donation, payment = started
        # The answer is made before the commit (should the commit fail, none of it is sent):
        # after it, the fund and the gift are expired, and reading them again would cost a
        # second transaction (on SQLite one that takes the write lock again, behind any
        # other writer).
        status_url = external_url("payments.status", fund_slug=g.fund.slug,
                                  donation_id=donation.id, returned=1)
        checkout = gateway.checkout(payment, status_url)
        if checkout.redirect:  # the gateway's own page (Alipay, WeChat H5)
            response = leave_for(checkout.redirect)
        else:
            response = render(checkout.template, fund=g.fund, donation=donation,
                              return_url=status_url, **checkout.context)
        if checkout.csp:  # only the page that takes the payment loads the gateway's script
            response.headers["Content-Security-Policy"] = checkout.csp
        db.session.commit()
        return response
    response = render_form("payments/donate.html", form, block="form", fund=g.fund,
                           **donate_context(g.fund))
    # The form's answer may be a redirect to a gateway's cashier page: CSP's form-action
    # covers where a form submission is redirected too.
    origins = sorted({o for gw in gateways for o in getattr(gw, "page_origins", ())})
    if origins:
        response.headers["Content-Security-Policy"] = csp_with({"form-action": " ".join(origins)})
    return response


def _points():
    return db.session.scalars(select(DonationPoint).where(DonationPoint.active)
                              .order_by(DonationPoint.id)).all()


def _presets(gateways, user_agent: str) -> dict:
    """A poster's or a project's link presets the designation or the donation point."""
    if request.method != "GET":
        return {}
    presets = {"method": browsers.preferred(gateways, user_agent)}
    if designation := int_or_none(request.args.get("designation")):
        presets["designation"] = designation
    if point := int_or_none(request.args.get("point")):
        presets["point"] = str(point)
    if wish := int_or_none(request.args.get("wish")):  # a 微心愿 claimer's link
        presets["wish"] = str(wish)
    return presets


# --- who the donor is inside WeChat (JSAPI needs their openid) ------------------------------

OPENID, STATE, ASKED = "wechat_openid", "wechat_state", "wechat_asked"


def _wants_openid(user_agent: str) -> bool:
    """Inside WeChat, with an official account, once per session (a refusal pays by QR)."""
    return (browsers.in_wechat(user_agent) and wechat.configured()
            and not session.get(OPENID) and not session.get(ASKED))


def _ask_wechat_for_openid():
    session[STATE] = secrets.token_urlsafe(16)
    session[ASKED] = request.full_path if request.query_string else request.path
    back = external_url("payments.wechat_return", fund_slug=g.fund.slug)
    return redirect(wechat.authorize_url(back, session[STATE]))


@bp.route("/f/<fund_slug>/donate/wechat")
@fund_access("public")
def wechat_return():
    """WeChat sends the donor back here with a code for their openid; the state proves the
    round trip began on this session's donate page."""
    state, code = request.args.get("state", ""), request.args.get("code", "")
    expected = session.pop(STATE, None)
    if expected and code and secrets.compare_digest(state, expected):
        try:
            session[OPENID] = wechat.openid_for(code)
        except wechat.WeChatError as error:
            current_app.logger.warning("WeChat web authorization: %s", error)
    asked = session.get(ASKED) or ""
    # Only a path on this site: never a redirect elsewhere from a value in the session.
    return redirect(asked if asked.startswith("/") and not asked.startswith("//")
                    else url_for("payments.donate"))


@bp.route("/f/<fund_slug>/donate/<int:donation_id>/status")
@fund_access("public")
def status(donation_id: int):
    """Where the donor lands after paying. It shows what the gateway has confirmed, and htmx
    asks again every two seconds while the gift is pending. No donor details: anyone may
    guess the URL, so only online gifts are shown: offline gifts are no one's business here.
    Coming back from WeChat Pay or Alipay (?returned=1), the page asks the gateway once
    (a POST): the donor may be faster than the notification."""
    donation = _donation(donation_id)
    if donation.gateway is None:
        abort(404)
    return render("payments/status.html", block="status", fund=g.fund, donation=donation,
                  returned=request.args.get("returned") == "1")


@bp.route("/f/<fund_slug>/donate/<int:donation_id>/check", methods=["POST"])
@fund_access("public")
@limiter.limit("20 per minute")
def check(donation_id: int):
    """Ask the gateway about a pending gift's order and book its (signed) answer."""
    donation = _donation(donation_id)
    if donation.gateway is None:
        abort(404)
    problem = None
    try:
        services.check_payment(fund_gateway(donation.gateway, g.fund), donation)
    except GatewayError as error:
        db.session.rollback()
        problem = str(error)
    db.session.commit()
    if wants_partial():
        return render("payments/status.html", block="status", fund=g.fund,
                      donation=_donation(donation_id), problem=problem)
    if problem:
        flash(problem, "error")
    return redirect(url_for("payments.status", donation_id=donation_id))


@bp.route("/payments/<gateway_name>/webhook", methods=["POST"])
@bp.route("/payments/<gateway_name>/webhook/<township>", methods=["POST"])
@open_access(PUBLIC)
@csrf.exempt
@limiter.exempt
def webhook(gateway_name: str, township: str | None = None):
    """The gateway's signed events. 2xx (for Alipay: the word success) tells the gateway to
    stop sending this event; any other answer makes it send the event again later. A
    township's own merchant account posts to its own address, checked with its keys."""
    if gateway_name not in GATEWAYS or (
            township is not None and not credentials.has_own(current_app.config, township)):
        abort(404)
    gateway = get_gateway(gateway_name, township=township)
    try:
        event = gateway.parse_webhook(request.get_data(), request.headers)
        outcome = services.handle_event(gateway, event)
        db.session.commit()
    except BadWebhook as error:
        current_app.logger.warning("%s webhook refused: %s", gateway_name, error)
        return _failed("bad signature", 400)
    except GatewayError as error:
        db.session.rollback()
        current_app.logger.warning("%s webhook: %s", gateway_name, error)
        return _failed("gateway unreachable, send again", 503)
    except (Invalid, IntegrityError) as error:
        # Invalid: a refund before its payment; IntegrityError: the same event twice at once
        # on a gift we could not lock. Either way the gateway's next try finds it applied.
        db.session.rollback()
        current_app.logger.warning("%s event %s not applied yet: %s", gateway_name,
                                   event.id, error)
        return _failed("not applicable yet, send again", 409)
    current_app.logger.info("%s event %s (%s): %s", gateway_name, event.id, event.type, outcome)
    return gateway.acknowledge() or {"received": True, "outcome": outcome}


def _failed(message: str, http_status: int):
    # {"code": "FAIL", "message"} is what WeChat Pay asks for with a refusal.
    return {"code": "FAIL", "message": message, "error": message}, http_status


@bp.route("/f/<fund_slug>/donations/<int:donation_id>/refund", methods=["GET", "POST"])
@fund_access("donation.refund")
def refund(donation_id: int):
    donation = _donation(donation_id)
    form = RefundForm()
    if request.method == "GET":
        form.amount.data = fen_to_input(donation.net_fen)
    refunded = attempt(form, refused_by_gateway(lambda: services.refund(
        fund_gateway(donation.gateway, g.fund), donation, form.amount.data, form.reason.data,
        current_user))) if form.is_submitted() else REFUSED
    if refunded is not REFUSED:
        db.session.commit()
        flash(_("Refunded. %(yuan)s yuan of this donation is still in the fund.",
                yuan=yuan(donation.net_fen)), "info")
        return redirect(url_for("donations.detail", donation_id=donation.id))
    return render_form("payments/refund.html", form, block="form", fund=g.fund,
                       donation=donation, refundable=donation.counted)
