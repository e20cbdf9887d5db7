"""Home ("my funds"), the language switch and /healthz."""

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select, text

from app.auth.roles import PUBLIC
from app.extensions import csrf, db, limiter
from app.funds.models import Fund
from app.funds.services import funds_of_user
from app.i18n import LANG_COOKIE
from app.rendering import render
from app.todo import mine
from tenants.access import open_access

bp = Blueprint("main", __name__)



@bp.route("/")
@open_access(PUBLIC)
def home():
    if current_user.is_authenticated:
        townships, funds = funds_of_user(current_user)
        if not townships and len(funds) == 1:  # most members sit in one fund: go straight there
            return redirect(url_for("funds.workspace", fund_slug=funds[0][0].slug))
        return render("main/home.html", townships=townships, funds=funds, todo=mine())
    public_funds = db.session.scalars(
        select(Fund).where(Fund.status != "archived").order_by(Fund.id)
    ).all()
    return render("main/landing.html", public_funds=public_funds)


@bp.route("/lang", methods=["POST"])
@open_access(PUBLIC)
def set_language():
    lang = request.form.get("lang", "")
    target = request.form.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return response


@bp.route("/healthz")
@open_access(PUBLIC)
@csrf.exempt
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # a health check reports, it does not crash
        current_app.logger.error("health check failed: %s", error)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
