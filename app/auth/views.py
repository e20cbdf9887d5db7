"""Sign in with a mobile number or email, sign out, reset a forgotten password."""

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME

from app import qr
from app.audit import record
from app.db_types import utcnow
from app.extensions import db, limiter
from app.mail import send_later
from app.rendering import render, render_form
from app.urls import external_url
from tenants.access import open_access, township_access

from . import services, totp
from .forms import CodeForm, LoginForm, RequireTwoStepForm, ResetPasswordForm, ResetRequestForm
from .models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")
township_bp = Blueprint("auth_township", __name__, url_prefix="/t/<township_slug>")

PENDING = "two_step"  # the session key of a sign-in waiting for its one-time code
PENDING_MAX_AGE = 300  # seconds to type the code
PENDING_SECRET = "two_step_secret"  # the session key of an enrolment's secret, until confirmed


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _code_limit() -> str:
    return current_app.config.get("TOTP_RATE_LIMIT", "5 per minute;20 per hour")


def _code_key() -> str:
    """Code attempts count per account waiting for its code (and per address otherwise)."""
    pending = session.get(PENDING) or {}
    if pending.get("uid"):
        return f"two-step:{pending['uid']}"
    if current_user.is_authenticated:
        return f"two-step:{current_user.id}"
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after login would be a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@open_access("public")
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong mobile number, email or password."))
        elif user.has_totp:
            # The password was right; the code comes next. Not signed in until then.
            db.session.rollback()
            session.clear()
            session[PENDING] = {"uid": user.id, "remember": bool(form.remember.data),
                                "next": _safe_next(request.args.get("next")),
                                "at": int(time.time())}
            return redirect(url_for("auth.two_step"))
        else:
            _sign_in(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_form("auth/login.html", form, block="form")


def _sign_in(user: User, remember: bool, **how) -> None:
    session.clear()  # a fresh session on sign-in: nothing planted before survives
    login_user(user, remember=remember)
    totp.audit(user, "auth.login", **how)  # sign-ins of those who hold the keys
    db.session.commit()


def _stay_signed_in(user: User) -> None:
    """After the user's sessions were ended (User.session_version), this browser alone goes
    on: its session, and its remember cookie if it had one, carry the new version."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    login_user(user, remember=cookie in request.cookies)


def _pending_user() -> tuple[dict, User | None]:
    pending = session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return pending, None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active or not user.has_totp:
        return pending, None
    return pending, user


@bp.route("/code", methods=["GET", "POST"])
@open_access("public")
@limiter.limit(_code_limit, methods=["POST"], key_func=_code_key)
def two_step():
    """The second step of signing in: the code from the phone, or a recovery code."""
    pending, user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        how = totp.check_code_or_recovery(user, form.code.data)
        if how:
            user.last_login_at = utcnow()
            _sign_in(user, remember=pending.get("remember", False), method=how)
            if how == "recovery":
                flash(_("You signed in with a recovery code; %(left)d remain. Each works once.",
                        left=totp.recovery_codes_left(user)), "info")
            return redirect(_safe_next(pending.get("next")))
        totp.audit(user, "auth.code_failed", always=True, step="sign-in")
        db.session.commit()  # the failure stays on record though the answer is 422
        form.code.errors.append(_("Wrong or expired code. Check the time on your phone."))
    return render_form("auth/two_step.html", form, block="form")


@bp.route("/security", methods=["GET", "POST"])
@open_access("login")
@limiter.limit(_code_limit, methods=["POST"], key_func=_code_key)
def security():
    """Two-step sign-in: enrol (QR code, then a code confirms it) or see that it is on."""
    user = current_user._get_current_object()
    if user.has_totp:
        return render("auth/security.html", user=user, form=CodeForm(),
                      codes_left=totp.recovery_codes_left(user),
                      required=totp.township_requires(user))
    # The pending secret lives in this browser's session until a code confirms it, so a
    # reload shows the same QR code and the page itself writes nothing.
    secret = session.setdefault(PENDING_SECRET, totp.new_secret())
    form = CodeForm()
    if form.validate_on_submit():
        codes = totp.confirm_enrolment(user, secret, form.code.data)
        if codes is None:
            totp.audit(user, "auth.code_failed", always=True, step="enrolment")
            form.code.errors.append(_("Wrong or expired code. Check the time on your phone."))
        else:
            totp.audit(user, "auth.two_step_enabled", always=True)
            session.pop(PENDING_SECRET, None)
            _stay_signed_in(user)
        db.session.commit()
        if codes:
            return render("auth/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(user, secret)
    return render_form("auth/security.html", form, block="form", user=user, uri=uri,
                       secret=secret, qr=qr.svg_data_uri(uri),
                       required=totp.enrolment_required(user))


@bp.route("/security/off", methods=["POST"])
@open_access("login")
@limiter.limit(_code_limit, key_func=_code_key)
def security_off():
    """Turn two-step sign-in off; it takes a current code (or a recovery code)."""
    user = current_user._get_current_object()
    if not user.has_totp:
        return redirect(url_for("auth.security"))
    form = CodeForm()
    if totp.township_requires(user):
        form.code.errors = [_("Your township requires two-step sign-in of its administrators.")]
    elif form.validate_on_submit():
        if totp.check_code_or_recovery(user, form.code.data):
            totp.disable(user)
            totp.audit(user, "auth.two_step_disabled", always=True)
            _stay_signed_in(user)
            db.session.commit()
            flash(_("Two-step sign-in is off."), "info")
            return redirect(url_for("auth.security"))
        totp.audit(user, "auth.code_failed", always=True, step="disable")
        db.session.commit()
        form.code.errors.append(_("Wrong or expired code. Check the time on your phone."))
    return render("auth/security.html", http_status=422, user=user, form=form,
                  codes_left=totp.recovery_codes_left(user), required=False)


def require_enrolment():
    """before_request: a township admin whose township requires two-step sign-in and who has
    not enrolled is sent to enrolment before anything else."""
    if not current_user.is_authenticated:
        return None
    endpoint = request.endpoint or ""
    if endpoint.startswith("auth.") or endpoint in ("static", "main.set_language",
                                                    "main.healthz"):
        return None
    if totp.enrolment_required(current_user):
        flash(_("Your township requires two-step sign-in of its administrators: set it up "
                "to continue."), "info")
        return redirect(url_for("auth.security"))
    return None


@township_bp.route("/security", methods=["GET", "POST"])
@township_access()
def township_security():
    """The township's rule: its admins sign in with a one-time code as well."""
    township = g.township
    form = RequireTwoStepForm()
    if request.method == "GET":
        form.require.data = township.require_admin_2fa
    elif form.validate_on_submit():
        township.require_admin_2fa = bool(form.require.data)
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for("auth_township.township_security"))
    return render_form("auth/township_security.html", form, township=township,
                       people=services.township_people(township))


@township_bp.route("/people/<int:user_id>/sign-out", methods=["POST"])
@township_access()
def sign_out_person(user_id: int):
    """A lost phone, a password told to someone, a member who left: the township's admin
    ends every session of a person who holds or held a role in the township."""
    user = services.township_person(g.township, user_id)
    if user is None:
        abort(404)
    services.end_sessions(user)
    record("auth.sessions_ended", township_id=g.township.id, platform=True,
           subject=("user", user.id), after={"user": user.name})
    db.session.commit()
    flash(_("%(name)s is signed out on every device.", name=user.name), "info")
    return redirect(url_for("auth_township.township_security"))


@bp.route("/logout", methods=["POST"])
@open_access("public")
def logout():
    """Signs out everywhere: a remember cookie or session left on another phone, or copied
    off this one, stops working too."""
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it asks the response to delete the remember cookie
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@open_access("public")
@limiter.limit(_login_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user(form.login.data)
        if user is not None and user.active and user.email:
            token = services.reset_token(user, current_app.config["SECRET_KEY"])
            link = external_url("auth.reset_password", token=token)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            # From a worker once this commits: the answer takes as long whether or not the
            # account exists (no account fishing by timing), and never waits for the server.
            send_later(
                user.email,
                _("Shanlin: reset your password"),
                _(
                    "Hello %(name)s,\n\nOpen this link within %(minutes)d minutes to choose a "
                    "new password. It works once.\n\n%(link)s\n\nIf you did not ask for this, "
                    "ignore this email.",
                    name=user.name, minutes=minutes, link=link,
                ),
            )
        db.session.commit()
        # The same answer whether or not the account exists: no account fishing.
        flash(
            _("If an account with an email address matches, a reset link has been sent to it. "
              "Accounts with only a mobile number: ask your township administrator for a new "
              "invitation, a link or QR code to set a new password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_form("auth/reset_request.html", form, block="form")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@open_access("public")
def reset_password(token: str):
    config = current_app.config
    user = services.user_for_reset_token(
        token, config["SECRET_KEY"], config["PASSWORD_RESET_MAX_AGE"]
    )
    if user is None:
        flash(_("This reset link has expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "info")
        return redirect(url_for("auth.login"))
    return render_form("auth/reset_password.html", form, block="form", token=token)
