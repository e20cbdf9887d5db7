"""A campaign in 芦湾镇 for the campaign tests: three villages, the township fund matching."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.campaigns import services as campaigns
from app.campaigns.models import CampaignFund
from app.clock import local_today
from app.db_types import utcnow
from app.donations import services as donations
from app.donations.models import Donation
from app.extensions import db
from app.funds.models import Fund, Township
from app.ledger import services as ledger
from tenants import fund_scope, using

VILLAGES = ("DGC", "NTC", "XBC")
SPONSOR = "BSSQ"  # a fund of the township in no demo campaign: its entries are the test's
ADMIN_PHONE = "13900000001"


def funds() -> dict[str, Fund]:
    return {f.receipt_prefix: f for f in db.session.scalars(select(Fund))}


def fund_money(prefix: str, fen: int) -> None:
    """Unrestricted money in a fund, so it can pledge a match."""
    fund = funds()[prefix]
    with using(fund_scope(fund.id)):
        ledger.post("donation", fen, f"test-seed:{prefix}:{fen}:{utcnow().timestamp()}",
                    fund_id=fund.id)


def make_campaign(*, purpose="重阳节联合劝募", cap=1_000_000, per_gift=50_000,
                  per_donor_day=None, offline_counts=False, ratio=(1, 1), goal=3_000_000,
                  window=None):
    """In the township's scope: a campaign of three villages with the township's pledge."""
    township = db.session.scalar(select(Township).where(Township.slug == "luwan"))
    by_prefix = funds()
    now = utcnow()
    starts, ends = window or (now - timedelta(hours=1), now + timedelta(days=1))
    pledge = campaigns.PledgeInput(
        sponsor_fund_id=by_prefix[SPONSOR].id, sponsor_name="芦湾镇", ratio_num=ratio[0],
        ratio_den=ratio[1], cap_fen=cap, per_gift_fen=per_gift, per_donor_day_fen=per_donor_day,
        starts_at=starts, ends_at=ends, offline_counts=offline_counts)
    data = campaigns.CampaignInput(
        title="重阳敬老 联合劝募", story="为三个村的老人助餐筹款。", starts_on=local_today(),
        ends_on=local_today() + timedelta(days=7), host_charity="苏州市吴江区慈善总会",
        purpose=purpose, goals={by_prefix[p].id: goal for p in VILLAGES}, pledge=pledge)
    admin = db.session.scalar(select(User).where(User.phone == ADMIN_PHONE))
    return campaigns.create(township, data, admin)


def part(campaign, prefix: str) -> CampaignFund:
    fund = funds()[prefix]
    return db.session.scalar(select(CampaignFund).where(
        CampaignFund.campaign_id == campaign.id, CampaignFund.fund_id == fund.id))


def give(campaign, prefix: str, fen: int, *, donor_id=None, online=True):
    """A confirmed campaign gift to a village, as the gateway's notification books it."""
    fund = funds()[prefix]
    designation_id = part(campaign, prefix).designation_id
    with using(fund_scope(fund.id)):
        gift = donations.start_online(fen, gateway="wechatpay" if online else None,
                                      donor_id=donor_id, designation_id=designation_id,
                                      message="", received_on=local_today(), channel="wechat")
        if not online:
            gift.reference = f"offline-{gift.id}"
        donations.confirm(gift)
        return gift


def refund(gift, fen: int, reference: str):
    """Give part of a gift back; ``gift`` may be a row an earlier scope let go of."""
    with using(fund_scope(gift.fund_id)):
        gift = db.session.get(Donation, gift.id)
        donations.record_refund(gift, fen, reference, reason="test")
        return gift
