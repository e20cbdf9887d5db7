"""Donor portal pages (/portal): sign in with a link or a receipt's code, the donor's receipts
(every fund after a link, one fund after a code), their PDFs, sign out.

Not staff accounts: a donor has no password and no Flask-Login session. Signing in stores
what it proved (services.Identity: an email address, or one donor of one fund for a receipt's
code) and the time in the signed session cookie; it lapses after PORTAL_SESSION_MAX_AGE
seconds. Every route is open_access(PUBLIC) for the tenancy layer (no fund in the URL); the
pages behind sign-in check the portal session themselves. The emailed link is built on
PUBLIC_URL, never on the Host header the request came with.
"""

import io
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _

from app.auth.roles import PUBLIC
from app.auth.services import mask_contact, normalize_email, normalize_phone
from app.extensions import db, limiter
from app.governance.labels import gov_label
from app.mail import send_later
from app.payments.browsers import in_wechat
from app.rendering import render
from app.urls import external_url
from app.validation import REFUSED, attempt
from tenants.access import open_access

from . import services
from .forms import CodeForm, ConfirmForm, LinkForm

bp = Blueprint("portal", __name__, url_prefix="/portal")
SESSION_KEY = "portal"
SESSION_MAX_AGE = 3600  # seconds a portal sign-in lasts


def _ip_limit() -> str:
    return current_app.config.get("PORTAL_RATE_LIMIT", "10 per minute;50 per hour")


def _contact_limit() -> str:
    return current_app.config.get("PORTAL_CONTACT_RATE_LIMIT", "5 per 15 minutes;20 per day")


def _email_key() -> str:
    """Link requests count per address too: nobody floods one inbox from many machines."""
    return "portal-email:" + normalize_email(request.form.get("email", ""))[:254]


def _phone_key() -> str:
    """Code attempts count per number too: guessing one donor's code from many machines."""
    typed = request.form.get("phone", "")
    return "portal-phone:" + (normalize_phone(typed) or typed.strip()[:20])


def signed_in() -> services.Identity | None:
    data = session.get(SESSION_KEY)
    if not data:
        return None
    max_age = current_app.config.get("PORTAL_SESSION_MAX_AGE", SESSION_MAX_AGE)
    if not isinstance(data, dict) or time.time() - data.get("since", 0) > max_age:
        session.pop(SESSION_KEY, None)
        flash(_("Your receipts session has ended. Sign in again."), "info")
        return None
    identity = services.Identity(data.get("kind"), data.get("value"), data.get("fund"),
                                 data.get("donor"))
    if identity.kind not in ("email", "phone") or (
            identity.scoped and (identity.fund_id is None or identity.donor_id is None)):
        session.pop(SESSION_KEY, None)  # not a session this version signed in
        return None
    return identity


def _sign_in(identity: services.Identity) -> None:
    """The session keeps what the sign-in proved: an address, or one donor of one fund."""
    data = {"kind": identity.kind, "value": identity.value, "since": int(time.time())}
    if identity.scoped:
        data.update(fund=identity.fund_id, donor=identity.donor_id)
    session[SESSION_KEY] = data


def _identity_or_sign_in():
    identity = signed_in()
    if identity is None:
        return None, redirect(url_for("portal.start"))
    return identity, None


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"  # a donor's receipts stay off shared caches
    return response


def _start_page(http_status: int = 200, link_form=None, code_form=None):
    return render("portal/start.html", http_status=http_status,
                  link_form=link_form or LinkForm(formdata=None),
                  code_form=code_form or CodeForm(formdata=None),
                  minutes=int(services.LINK_MAX_AGE.total_seconds() // 60))


@bp.route("/")
@open_access(PUBLIC)
def start():
    if signed_in() is not None:
        return redirect(url_for("portal.receipts"))
    return _start_page()


@bp.route("/link", methods=["POST"])
@open_access(PUBLIC)
@limiter.limit(_ip_limit)
@limiter.limit(_contact_limit, key_func=_email_key)
def link():
    form = LinkForm()
    token = attempt(form, lambda: services.request_link(form.email.data))
    if token is REFUSED:
        return _start_page(422, link_form=form)
    if token is not None:
        minutes = int(services.LINK_MAX_AGE.total_seconds() // 60)
        send_later(
            normalize_email(form.email.data),
            _("Shanlin: sign in to see your donation receipts"),
            _("Open this link within %(minutes)d minutes to see your donation receipts. It "
              "works once.\n\n%(link)s\n\nIf you did not ask for it, ignore this email: "
              "nobody can sign in without it.",
              minutes=minutes, link=external_url("portal.enter", token=token)),
        )
        db.session.commit()
    # The same answer whether or not a donor has this address: no fishing for donors.
    flash(_("If a donor of a fund on Shanlin has this address, a sign-in link is on its way "
            "to it. Open it on this device."), "info")
    return redirect(url_for("portal.start"))


@bp.route("/code", methods=["POST"])
@open_access(PUBLIC)
@limiter.limit(_ip_limit)
@limiter.limit(_contact_limit, key_func=_phone_key)
def code():
    form = CodeForm()
    identity = attempt(form, lambda: services.use_code(form.phone.data, form.code.data))
    if identity is REFUSED:
        return _start_page(422, code_form=form)
    _sign_in(identity)
    return redirect(url_for("portal.receipts"))


@bp.route("/in/<token>", methods=["GET", "POST"])
@open_access(PUBLIC)
@limiter.limit(_ip_limit, methods=["POST"])
def enter(token: str):
    """Opening the link shows a button; only pressing it spends the link, so a mail
    scanner that fetches links ahead of the donor does not use it up."""
    token = token if len(token) <= 100 else ""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        identity = services.use_link(token)
        db.session.commit()
        if identity is not None:
            _sign_in(identity)
            return redirect(url_for("portal.receipts"))
    elif request.method == "GET" and services.link_is_usable(token):
        return render("portal/enter.html", form=form, token=token)
    flash(_("This sign-in link has expired or was already used. Ask for a new one."), "error")
    return redirect(url_for("portal.start"))


@bp.route("/receipts")
@open_access(PUBLIC)
def receipts():
    identity, away = _identity_or_sign_in()
    if away:
        return away
    return render("portal/receipts.html", identity=identity, mask=mask_contact(identity.value),
                  funds=services.receipts_of(identity), gov_label=gov_label,
                  form=ConfirmForm(formdata=None),
                  in_wechat=in_wechat(request.headers.get("User-Agent", "")))


@bp.route("/receipts/<int:receipt_id>/pdf")
@open_access(PUBLIC)
def pdf(receipt_id: int):
    identity, away = _identity_or_sign_in()
    if away:
        return away
    found = services.receipt_pdf(identity, receipt_id)
    if found is None:
        abort(404)  # not this person's receipt: the same answer as no receipt at all
    number, data, sha256 = found
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{number}.pdf", etag=sha256)


@bp.route("/receipts/<int:receipt_id>/png")
@open_access(PUBLIC)
@limiter.limit("20 per minute")
def image(receipt_id: int):
    """The stored PDF as a picture, for WeChat's browser (app/pdf_image.py)."""
    from app.pdf_image import png

    identity, away = _identity_or_sign_in()
    if away:
        return away
    found = services.receipt_pdf(identity, receipt_id)
    if found is None:
        abort(404)
    number, data, sha256 = found
    return send_file(io.BytesIO(png(data)), mimetype="image/png",
                     download_name=f"{number}.png", etag=sha256)


@bp.route("/out", methods=["POST"])
@open_access(PUBLIC)
def sign_out():
    form = ConfirmForm()
    if form.validate_on_submit():
        session.pop(SESSION_KEY, None)
        flash(_("You have signed out of your receipts."), "info")
    return redirect(url_for("portal.start"))
