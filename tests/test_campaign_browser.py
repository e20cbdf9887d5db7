"""The issue's giving day, on a phone: the township opens a campaign for three villages with a
1:1 match capped at ¥10,000 and ¥500 per gift; gifts arrive through the WeChat Pay fake; the
leaderboard moves; an ¥800 gift is matched ¥500; the cap runs out and the page says so; a
refund gives the match back; each village's board and ledger agree.
Screenshots: test-artifacts/screenshots/campaign-NN-<step>.jpg."""

import re

import pytest
from sqlalchemy import select

from app.campaigns import services as campaigns
from app.campaigns.models import Campaign, MatchAllocation
from app.clock import local_today
from app.donations.models import Donation
from app.extensions import db
from app.funds.models import Fund
from app.ledger import services as ledger
from tenants import SYSTEM, fund_scope, using

from .browser_steps import sign_in
from .conftest import LOGINS, PHONE, no_sideways_scroll, shot
from .payment_fakes import DESKTOP, give

pytestmark = pytest.mark.browser

TITLE = "九九公益日·三村联合劝募"


def slugs(app) -> dict[str, str]:
    with app.app_context(), using(SYSTEM):
        return {f.receipt_prefix: f.slug for f in db.session.scalars(select(Fund))}


def the_campaign(app):
    with app.app_context(), using(SYSTEM):
        campaign = db.session.scalar(select(Campaign).where(Campaign.title == TITLE))
        figures = campaigns.figures(campaign)
        db.session.expunge(campaign)
        return campaign, figures


def paid(app, client, wechatpay, slug: str, designation_id: int, yuan: int, n: int) -> int:
    """A donor gives through the WeChat Pay fake and pays: the notification books it."""
    page = give(client, slug, "wechatpay", DESKTOP, amount=str(yuan),
                designation=str(designation_id), name=f"村民{n}", phone=f"1381234{n:04d}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    with app.app_context(), using(SYSTEM):
        gift = db.session.scalar(select(Donation).order_by(Donation.id.desc()))
        gift_id, ref = gift.id, gift.gateway_ref
    wechatpay.fake.pay(ref)
    with app.app_context(), using(SYSTEM):
        assert db.session.get(Donation, gift_id).status == "confirmed"
    return gift_id


def matched(app, gift_id: int) -> int:
    with app.app_context(), using(SYSTEM):
        return db.session.scalar(select(MatchAllocation.matched_fen - MatchAllocation.returned_fen)
                                 .where(MatchAllocation.donation_id == gift_id))


def test_a_giving_day_on_a_phone(app, client, wechatpay, browser):
    base = wechatpay.url
    slug = slugs(app)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        # --- the township opens the campaign ---------------------------------------------
        sign_in(page, base, LOGINS["this_township_admin"])
        page.goto(f"{base}/t/luwan/campaigns/new")
        today = local_today().isoformat()
        page.fill("input[name=title]", TITLE)
        page.fill("textarea[name=story]", "东港、南塘、西浜三个村一起为老人助餐筹款。")
        page.fill("input[name=starts_on]", today)
        page.fill("input[name=ends_on]", today)
        page.fill("input[name=purpose]", "九九助老（联合劝募）")
        for n in range(3):  # 东港村, 南塘村, 西浜村; 北舍社区 stays out
            page.fill(f"input[name='goals-{n}-goal']", "20000")
        page.select_option("select[name=sponsor_fund_id]", label="芦湾镇社区慈善基金")
        page.fill("input[name=sponsor_name]", "芦湾镇")
        page.fill("input[name=cap]", "10000")
        page.fill("input[name=per_gift]", "500")
        page.fill("input[name=match_starts_at]", f"{today}T00:00")
        page.fill("input[name=match_ends_at]", f"{today}T23:59")
        assert no_sideways_scroll(page)
        shot(page, "campaign-01-new")
        page.locator("#form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/t/luwan/campaigns/\d+$"))
        campaign, figures = the_campaign(app)
        designation = {p.fund_slug: p.designation_id for p in figures.parts}
        assert len(designation) == 3

        # --- gifts through WeChat Pay: the leaderboard moves; ¥800 is matched ¥500 -------
        public = f"{base}/campaigns/{campaign.id}"
        paid(app, client, wechatpay, slug["NTC"], designation[slug["NTC"]], 300, 1)
        paid(app, client, wechatpay, slug["NTC"], designation[slug["NTC"]], 200, 2)
        page.goto(public)
        assert page.locator("#by-money li").first.inner_text().startswith("南塘村")
        shot(page, "campaign-02-first-gifts")
        big = paid(app, client, wechatpay, slug["DGC"], designation[slug["DGC"]], 800, 3)
        assert matched(app, big) == 50_000
        page.goto(public)
        assert page.locator("#by-money li").first.inner_text().startswith("东港村")
        assert page.locator("#by-donors li").first.inner_text().startswith("南塘村")
        assert "¥9,000.00" in page.locator(".match").inner_text()  # of the match left

        # --- the cap runs out: the page says so at once ---------------------------------
        for n in range(18):
            paid(app, client, wechatpay, slug["XBC"], designation[slug["XBC"]], 600, 10 + n)
        page.goto(public)
        assert page.locator(".match.used-up").is_visible()
        assert "配捐额度已用完" in page.locator(".match").inner_text()
        assert no_sideways_scroll(page)
        shot(page, "campaign-03-match-used-up")

        # --- a refund gives the match back ----------------------------------------------
        treasurer = app.test_client()
        treasurer.post("/auth/login", data={"login": LOGINS["treasurer"],
                                            "password": "demo-password-1"})
        refunded = treasurer.post(f"/f/{slug['DGC']}/donations/{big}/refund",
                                  data={"amount": "800", "reason": "捐赠人申请退款"})
        assert refunded.status_code == 302, refunded.get_data(as_text=True)[:500]
        assert matched(app, big) == 0
        page.goto(public)
        assert not page.locator(".match.used-up").count()
        assert "¥500.00" in page.locator(".match").inner_text()
        shot(page, "campaign-04-after-refund")

        # --- each village's board and ledger agree ---------------------------------------
        _campaign, figures = the_campaign(app)
        with app.app_context(), using(SYSTEM):
            for part in figures.parts:
                with using(fund_scope(part.fund_id)):
                    held = ledger.balances().restricted_fen.get(part.designation_id, 0)
                assert held == part.total_fen, part.name
        for part in figures.parts:
            page.goto(f"{base}/f/{part.fund_slug}/public")
            text = page.locator("#campaigns").inner_text()
            assert TITLE in text and f"{part.matched_fen // 100:,}" in text
        page.goto(f"{base}/f/{slug['XBC']}/public#campaigns")
        page.locator("#campaigns").scroll_into_view_if_needed()
        shot(page, "campaign-05-village-board")
        assert sum(p.matched_fen for p in figures.parts) == 1_000_000 - 50_000
    finally:
        context.close()
