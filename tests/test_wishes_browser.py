"""微心愿 on phones, in Chinese: the 社工 posts a wish, the chair approves it, a villager claims
it on the wall with the SMS code from the fake endpoint, the 社工 records the hand-over, the
wall shows it fulfilled and the donor's receipt exists.

Screenshots: test-artifacts/screenshots/wishes-NN-<step>.jpg.
"""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.funds.models import Fund
from app.receipts.models import Receipt
from app.wishes.models import Wish
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, SHOTS, no_sideways_scroll, received, shot

pytestmark = pytest.mark.browser

FUND = "donggangcun"
WISH = "一个保温饭盒"
VILLAGER = ("何小满", "13612345678")


class Phones:
    """Each person in a browser context of their own, on a phone, in Chinese."""

    def __init__(self, browser, base: str):
        self.browser, self.base, self.contexts, self.step = browser, base, [], 0

    def page(self, login: str | None = None):
        context = self.browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10000)
        self.contexts.append(context)
        page = context.new_page()
        if login:
            page.goto(f"{self.base}/auth/login")
            page.locator("input[name=login]").fill(login)
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))
        return page

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"wishes-{self.step:02d}-{name}")
        assert no_sideways_scroll(page), f"{name}: wider than the phone"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_wish_from_collection_to_fulfilment_on_phones(sms_app, fake_sms, live_server, browser):
    base = f"{live_server}/f/{FUND}/wishes"
    phones = Phones(browser, live_server)
    try:
        worker = phones.page(LOGINS["social_worker"])
        worker.goto(f"{base}/new")
        worker.get_by_label("心愿内容").fill(WISH)
        worker.get_by_label("估计价值（元）").fill("68")
        worker.get_by_label("实现方式").select_option("goods")
        worker.get_by_label("村民小组（公开）").fill("四组")
        worker.get_by_label("心愿人姓名（保密）").fill("欧阳春花")
        worker.get_by_label("年龄（公开）").fill("9")
        worker.get_by_label("家庭情况（保密）").fill("父母在外地打工")
        phones.shot(worker, "collect")
        worker.get_by_role("button", name="提交审核").click()
        worker.wait_for_url(re.compile(r"/wishes/\d+/manage$"))
        manage = worker.url
        assert "待审核" in worker.content()
        phones.shot(worker, "collected")

        chair = phones.page(LOGINS["chair"])
        chair.goto(manage)
        chair.get_by_role("button", name="通过并发布").click()
        chair.get_by_text("心愿已上墙").first.wait_for()
        phones.shot(chair, "approved")

        villager = phones.page()
        villager.goto(f"{base}/")
        card = villager.locator(".wish-card", has_text=WISH)
        assert "欧*" in card.inner_text() and "欧阳春花" not in villager.content()
        phones.shot(villager, "wall")
        card.get_by_role("link", name=WISH).click()
        villager.get_by_label("您的姓名").fill(VILLAGER[0])
        villager.get_by_label("手机号", exact=True).fill(VILLAGER[1])
        villager.get_by_role("button", name="获取验证码").click()
        villager.get_by_text("验证码已发送到").wait_for()
        [sms] = [m for m in received(fake_sms) if m["phone"].endswith(VILLAGER[1])]
        villager.get_by_label("短信验证码").fill(sms["params"][1])
        phones.shot(villager, "claim")
        villager.get_by_role("button", name="确认认领").click()
        villager.wait_for_url(re.compile(r"/wishes/claims/"))
        assert "取消认领" in villager.content()
        phones.shot(villager, "claimed")

        worker.goto(manage)
        assert worker.get_by_role("link", name=VILLAGER[1]).get_attribute("href") == \
            f"tel:{VILLAGER[1]}"  # the 社工 calls the donor from the page
        worker.get_by_label("确认人").select_option("guardian")
        worker.get_by_role("button", name="登记交付").click()
        worker.get_by_text("心愿已实现").first.wait_for()
        phones.shot(worker, "handed-over")

        villager.goto(f"{base}/?show=fulfilled")
        card = villager.locator(".wish-card", has_text=WISH)
        assert f"感谢 {VILLAGER[0]}" in card.inner_text()
        phones.shot(villager, "fulfilled")

        worker.get_by_role("link", name=re.compile("及其收据")).click()
        worker.wait_for_url(re.compile(r"/donations/\d+"))
        phones.shot(worker, "gift-and-receipt")

        villager.goto(f"{live_server}/f/{FUND}/public")
        section = villager.locator("#wishes")
        assert "看看心愿，认领一个" in section.inner_text()
        phones.shot(villager, "board")
        section.screenshot(path=str(SHOTS / "wishes-board-section.png"))
        township = phones.page(LOGINS["this_township_admin"])
        township.goto(f"{live_server}/t/luwan/wishes")
        assert "东港村社区慈善基金" in township.content()
        phones.shot(township, "township")
    finally:
        phones.close()

    with sms_app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            wish = db.session.scalar(select(Wish).where(Wish.title == WISH))
            assert wish.status == "fulfilled"
            receipt = db.session.scalar(select(Receipt).where(
                Receipt.donation_id == wish.donation_id, Receipt.status == "valid"))
            assert receipt is not None and receipt.name == VILLAGER[0]
        db.session.remove()
