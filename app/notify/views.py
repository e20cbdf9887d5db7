"""A fund's notices: who was told what, by which channel, and what became of it."""

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.rendering import render
from tenants.access import fund_access

from . import services, sms
from .models import Notice

bp = Blueprint("notify", __name__, url_prefix="/f/<fund_slug>/notices")
SHOWN = 100


@bp.route("/")
@fund_access("notice.read")
def index():
    notices = db.session.scalars(
        select(Notice).options(selectinload(Notice.user)).order_by(Notice.id.desc()).limit(SHOWN)
    ).all()
    return render("notify/index.html", notices=notices, masked=services.masked,
                  words=services.words, sms_ready=sms.configured(), shown=SHOWN)
