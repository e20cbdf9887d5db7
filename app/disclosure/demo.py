"""Demo disclosure: last year's annual report published in a fund (and, for 东港村, a second
version correcting the first, so the notice board shows a 更正说明)."""

from sqlalchemy import select

from app.auth.models import Membership
from app.auth.roles import TREASURER

from . import services
from .reports import Period


def seed_fund(fund, *, corrected: bool = False) -> None:
    from app.clock import local_today
    from app.extensions import db

    treasurer = db.session.scalar(select(Membership).where(
        Membership.fund_id == fund.id, Membership.role == TREASURER)).user
    year = local_today().year - 1
    services.publish(fund, Period("annual", year, 0), treasurer, threshold_fen=500_00)
    if corrected:
        services.publish(fund, Period("annual", year, 0), treasurer, threshold_fen=500_00,
                         correction_note="第一版漏列一笔物资捐赠的估值，已补入。")
