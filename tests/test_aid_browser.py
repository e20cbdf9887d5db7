"""关爱发放 on a phone, in Chinese (issue 22's check): the 社工 proposes three old people for the
¥80 voucher, the committee approves them (one member recused for a relative), the month's
entitlements appear, two sign on the phone, the shop's page redeems one voucher, the third
shows 未领取, the payout to the shop is approved by two keys, and the public page shows
3 people and ¥240 without a name.

Screenshots: test-artifacts/screenshots/aid-NN-<step>.jpg."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.aid import services
from app.aid.models import Programme, Shop
from app.auth.models import User
from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions
from app.governance.committees import voters_on
from app.governance.models import Motion
from app.payouts import services as payouts
from app.payouts.models import Payout

from .aid_setup import running_programme
from .browser_steps import sign_in
from .conftest import LOGINS, PHONE, no_sideways_scroll, shot
from .helpers import person
from .races_setup import FUND, dgc

pytestmark = pytest.mark.browser

PEOPLE = [("钱阿婆", "110105194912240017", "一组"), ("沈老伯", "320500194501021230", "二组"),
          ("陆阿姨", "320500193807155675", "二组")]


class Phone:
    def __init__(self, browser):
        self.browser, self.contexts, self.step = browser, [], 0

    def page(self):
        context = self.browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10000)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"aid-{self.step:02d}-{name}")
        assert no_sideways_scroll(page), f"{name}: wider than the phone"

    def close(self):
        for context in self.contexts:
            context.close()


def sign(page) -> None:
    """A finger's stroke on the signature pad."""
    pad = page.locator("#signature-pad[data-ready]")
    pad.wait_for()  # the pad's script has run: a stroke before it would be lost
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 22, box["y"] + 100 - (step % 3) * 25)
    page.mouse.up()


def test_the_voucher_for_old_people_living_alone_on_a_phone(app, live_server, browser):
    with dgc(app) as session:
        programme = running_programme(title="独居老人超市券")
        programme_id = programme.id
        shop_token = services.add_shop("东港惠民超市", "6222020000009999").token
        session.commit()
    base = f"{live_server}/f/{FUND}/aid"
    phones = Phone(browser)
    try:
        # --- the 社工 proposes three people ------------------------------------------------
        worker = phones.page()
        sign_in(worker, live_server, LOGINS["social_worker"])
        for name, id_number, group in PEOPLE:
            worker.goto(f"{base}/{programme_id}/enrol")
            worker.get_by_label("姓名", exact=True).fill(name)
            worker.get_by_label("居民身份证号码").fill(id_number)
            worker.get_by_label("村民小组", exact=True).fill(group)
            worker.get_by_label("困难情况", exact=True).fill("独居，子女在外地")
            if name == PEOPLE[0][0]:
                phones.shot(worker, "propose")
            worker.get_by_role("button", name="提名").click()
            # Wait for the answer (the same page with its flash), not just any loaded page:
            # the next goto would otherwise cancel the POST on a slow machine.
            worker.get_by_text("已提名，管委会将在下一次批量表决中决定。").wait_for()
        # A wrong check digit: refused beside the field, nothing written.
        worker.get_by_label("姓名", exact=True).fill("错号码")
        worker.get_by_label("居民身份证号码").fill("110105194912240018")
        worker.get_by_label("村民小组", exact=True).fill("一组")
        worker.get_by_label("困难情况", exact=True).fill("独居")
        worker.get_by_role("button", name="提名").click()
        worker.locator("#id_number-error").wait_for()
        phones.shot(worker, "wrong-check-digit")

        # --- the chair puts them to one vote; a member recuses for a relative ---------------
        chair = phones.page()
        sign_in(chair, live_server, LOGINS["chair"])
        chair.goto(f"{base}/{programme_id}")
        chair.get_by_role("button", name=re.compile("将 3 名提名对象提交表决")).click()
        chair.wait_for_url(re.compile(r"/motions/\d+"))
        motion_url = chair.url
        member = phones.page()
        sign_in(member, live_server, LOGINS["member"])
        member.goto(motion_url)
        member.get_by_text("我与此事有利益关系（回避）").click()
        member.get_by_label("您的利益关系").fill("钱阿婆是我的姑妈")
        member.get_by_role("button", name="申报并回避本次表决").click()
        member.get_by_text("您已回避本次表决，记录中载明理由。").wait_for()
        phones.shot(member, "recused")
        with dgc(app) as session:
            motion = session.scalar(select(Motion).where(Motion.kind == "enrolment")
                                    .order_by(Motion.id.desc()))
            recused = {e.user_id for e in motions.electorate(motion) if e.recused}
            assert recused == {person("member").id}
            at = utcnow() - timedelta(minutes=1)
            for user_id, _role in voters_on(motion.fund_id, local_today()):
                if user_id not in recused:
                    motions.cast(motion, session.get(User, user_id), "yes", now=at)
            motions.close(motion, person("chair"))
            session.commit()

        # --- the month's entitlements, two signatures on the phone -------------------------
        worker.goto(f"{base}/{programme_id}")
        worker.get_by_role("button", name="生成本期发放名额").click()
        worker.wait_for_url(re.compile(r"/sheet/"))
        assert worker.get_by_text("未领取").count() == 3
        phones.shot(worker, "sheet")
        for n in range(2):
            worker.get_by_role("link", name="发放并签收").first.click()
            sign(worker)
            if n == 0:
                phones.shot(worker, "signing")
            worker.get_by_role("button", name="已领取：保存签名").click()
            worker.get_by_text("已发放").first.wait_for()
            if n == 0:
                phones.shot(worker, "signed-voucher")
            worker.go_back()
            worker.go_back()
            worker.reload()
        assert worker.get_by_text("未领取").count() == 1
        phones.shot(worker, "one-missing")

        # --- the shop's page, no account: one voucher redeemed, then refused ---------------
        with dgc(app):
            rows = services.sheet(db.session.get(Programme, programme_id),
                                  services.periods.period_of("monthly", local_today()))
            serial = next(r.voucher.serial for r in rows if r.handout)
        shop = phones.page()
        shop.goto(f"{base}/shop/{shop_token}")
        shop.get_by_label("券号或扫码内容").fill(serial)
        shop.get_by_role("button", name="核销").click()
        shop.get_by_text("已核销：¥80.00").wait_for()
        phones.shot(shop, "shop-redeemed")
        shop.get_by_label("券号或扫码内容").fill(serial)
        shop.get_by_role("button", name="核销").click()
        shop.get_by_text("此券已核销过").wait_for()
        phones.shot(shop, "shop-refused")

        # --- the payout to the shop, two keys ------------------------------------------------
        worker.goto(f"{base}/{programme_id}")
        worker.get_by_role("button", name="为已发放部分申请拨付").click()
        worker.wait_for_url(re.compile(r"/payouts/\d+"))
        phones.shot(worker, "payout-requested")
        with dgc(app) as session:
            payout = session.scalar(select(Payout).order_by(Payout.id.desc()))
            assert payout.amount_fen == 8000
            assert payout.payee == session.scalar(select(Shop.name).where(
                Shop.token == shop_token))
            payouts.approve(payout, person("chair"))
            payouts.approve(payout, person("supervisor"))
            assert payout.status == "approved"
            session.commit()

        # --- the public page: 3 people, ¥240 a month, no names -------------------------------
        public = phones.page()
        public.goto(f"{base}/public")
        card = public.locator("li.card", has_text="独居老人超市券")
        assert "3 人" in card.inner_text() and "¥240.00" in card.inner_text()
        text = public.content()
        assert not any(name in text or id_number in text for name, id_number, _g in PEOPLE)
        phones.shot(public, "public")
    finally:
        phones.close()
