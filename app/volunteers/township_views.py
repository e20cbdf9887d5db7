"""The township's view of volunteering: confirmed hours per fund, and activities whose hours
nobody has confirmed a week after they ended."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from app.db_types import utcnow
from app.extensions import db
from app.rendering import render
from tenants.access import township_access

from . import bp, services
from .models import Activity, HourEntry, Volunteer

OVERDUE = timedelta(days=7)


@bp.route("/t/<township_slug>/volunteers")
@township_access()
def township():
    funds = sorted(g.township.funds, key=lambda f: f.id)
    minutes = dict(db.session.execute(select(HourEntry.fund_id, func.sum(HourEntry.minutes))
                                      .group_by(HourEntry.fund_id)).all())
    people = dict(db.session.execute(select(Volunteer.fund_id, func.count(Volunteer.id))
                                     .group_by(Volunteer.fund_id)).all())
    activities = dict(db.session.execute(select(Activity.fund_id, func.count(Activity.id))
                                         .group_by(Activity.fund_id)).all())
    names = {f.id: f.name for f in funds}
    overdue = services.unconfirmed_since(utcnow() - OVERDUE)
    return render("volunteers/township.html", funds=funds, minutes=minutes, people=people,
                  activities=activities, overdue=overdue, names=names)
