"""Sign in with a mobile number or email, sign out, reset a forgotten password."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.extensions import db, limiter
from app.mail import send_mail
from app.rendering import render_form
from tenants.access import open_access

from . import services
from .forms import LoginForm, ResetPasswordForm, ResetRequestForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


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
        else:
            session.clear()  # a fresh session on sign-in: nothing planted before survives
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_form("auth/login.html", form, block="form")


@bp.route("/logout", methods=["POST"])
@open_access("public")
def logout():
    logout_user()
    session.clear()
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
            link = url_for("auth.reset_password", token=token, _external=True)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_mail(
                user.email,
                _("Shanlin: reset your password"),
                _(
                    "Hello %(name)s,\n\nOpen this link within %(minutes)d minutes to choose a "
                    "new password. It works once.\n\n%(link)s\n\nIf you did not ask for this, "
                    "ignore this email.",
                    name=user.name, minutes=minutes, link=link,
                ),
            )
        # The same answer whether or not the account exists: no account fishing.
        flash(
            _("If an account with an email address matches, a reset link has been sent to it. "
              "Accounts with only a mobile number: ask your township administrator."),
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
