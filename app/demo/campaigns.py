"""Demo 联合劝募: 芦湾镇's 重阳节 campaign for three villages, the township fund matching gifts
1:1 with money a local firm gave it; a handful of WeChat Pay gifts already in, one of them
above the per-gift limit. Through the services, as the gateway's notifications book them."""

from datetime import timedelta

from app.campaigns import services
from app.clock import local_today
from app.db_types import utcnow
from app.donations import services as donations
from app.donors.models import Donor
from app.extensions import db
from tenants import fund_scope, using

VILLAGES = {"DGC": 3_000_000, "NTC": 2_000_000, "XBC": 2_000_000}  # goals in fen
# (village, donor, mobile number or None, yuan)
GIFTS = [("DGC", "陈建国", "13800138101", 800), ("DGC", "沈美华", None, 200),
         ("NTC", "顾小平", "13800138102", 300), ("XBC", None, None, 100),
         ("DGC", "钱永林", "13800138103", 500), ("NTC", "吴晓燕", None, 1000)]


def seed(demo) -> None:
    township = demo.townships["luwan"]
    sponsor = demo.funds["LWZ"]
    today = local_today()
    with using(fund_scope(sponsor.id)):
        donations.record_offline(donations.DonationInput(
            amount="20000", channel="bank", received_on=today - timedelta(days=5),
            reference="DEMO-CHONGYANG-MATCH", notes="芦湾镇建材有限公司 重阳节配捐资金"), None)
    now = utcnow()
    campaign = services.create(township, services.CampaignInput(
        title="重阳敬老·联合劝募",
        story="三个村一起为老人助餐筹款：每一元善款都进各村基金的“重阳助老”项目，"
              "镇基金配捐 1:1，每笔最多 500 元。", starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=5), host_charity=sponsor.host_charity,
        purpose="重阳助老（联合劝募）",
        goals={demo.funds[prefix].id: goal for prefix, goal in VILLAGES.items()},
        pledge=services.PledgeInput(
            sponsor_fund_id=sponsor.id, sponsor_name="芦湾镇建材有限公司（经镇基金）",
            ratio_num=1, ratio_den=1, cap_fen=1_000_000, per_gift_fen=50_000,
            per_donor_day_fen=100_000, starts_at=now - timedelta(days=2),
            ends_at=now + timedelta(days=5), offline_counts=False)), None)
    parts = {p.fund_id: p for p in services.figures(campaign).parts}
    for n, (prefix, name, phone, yuan) in enumerate(GIFTS):
        fund = demo.funds[prefix]
        with using(fund_scope(fund.id)):
            donor = None
            if name:
                donor = Donor(name=name, phone=phone)
                db.session.add(donor)
                db.session.flush()
            gift = donations.start_online(
                yuan * 100, gateway="wechatpay", donor_id=donor.id if donor else None,
                designation_id=parts[fund.id].designation_id, message="", received_on=today,
                channel="wechat")
            gift.gateway_ref = f"DEMO-CY-{n}"
            donations.confirm(gift)


def sample() -> int:
    """The demo campaign's id, for the tests' URL samples."""
    from sqlalchemy import select

    from app.campaigns.models import Campaign

    return db.session.scalar(select(Campaign.id).order_by(Campaign.id))
