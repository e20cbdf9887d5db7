"""Demo disclosure: last year's annual report published in a fund (and, for 东港村, a second
version correcting the first, so the notice board shows a 更正说明 and what it changed)."""

from sqlalchemy import select

from app.auth.models import Membership
from app.auth.roles import Role

from . import services
from .reports import Period


def seed_fund(fund, *, corrected: bool = False) -> None:
    from app.clock import local_today
    from app.extensions import db

    treasurer = db.session.scalar(select(Membership).where(
        Membership.fund_id == fund.id, Membership.role == Role.TREASURER)).user
    year = local_today().year - 1
    services.publish(fund, Period("annual", year, 0), treasurer, threshold_fen=500_00)
    if corrected:
        _late_valuation(fund, year, treasurer)
        services.publish(fund, Period("annual", year, 0), treasurer, threshold_fen=500_00,
                         correction_note="第一版漏列一笔物资捐赠的估值，已补入。")


def _late_valuation(fund, year: int, treasurer) -> None:
    """The gift the correction is about: quilts given last December, valued only after the
    first version was out, so the second version's income and balances really differ."""
    from datetime import date

    from app.donations import services as donations
    from app.donors.models import Donor
    from app.extensions import db

    donor = db.session.scalar(select(Donor.id).where(Donor.kind == "organisation")
                              .order_by(Donor.id))
    donations.record_offline(donations.DonationInput(
        amount="3600", channel="in_kind", received_on=date(year, 12, 20), donor_id=donor,
        item_description="棉被", item_quantity="30 床",
        valuation_basis="按供货商发票每床 ¥120.00 计"), treasurer)
