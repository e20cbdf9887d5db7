"""A new township's first day, on a phone in Chinese (issue 16's "done when"): the township
creates a fund in the wizard and staffs it (a chair, a treasurer and four members, new people
known only by their mobile numbers), the staff page shows each person's invitation, each
opens it in their own browser and sets a password, the treasurer records a gift, a member
proposes a project and the chair opens a vote, every member finds it in 待我处理 and has an
SMS at the fake endpoint (tests/fake_sms.py), and they vote.

Notices are delivered as the request commits (HUEY_IMMEDIATE). Screenshots:
test-artifacts/screenshots/first-day-NN-<step>.jpg.
"""

import re

import pytest

from .browser_steps import sign_in
from .conftest import LOGINS, PHONE, no_sideways_scroll, received, shot

pytestmark = pytest.mark.browser

TOWNSHIP = "luwan"
FUND_NAME = "青石村社区慈善基金"
NEW_PASSWORD = "qingshi-first-day"
CHAIR = ("13600000001", "林秋生", "chair")
TREASURER = ("13600000002", "吴翠英", "treasurer")
MEMBERS = [("13600000003", "郑德明", "member"), ("13600000004", "钱玉兰", "member"),
           ("13600000005", "孙建国", "member"), ("13600000006", "周小燕", "member")]
# The wizard seats all but the last member; the staff page appoints the last one.
IN_WIZARD = [CHAIR, TREASURER, *MEMBERS[:3]]
LATER = MEMBERS[3]
PROJECT = "村道路灯"


class Day:
    """Each person in a browser context of their own, on a phone, in Chinese."""

    def __init__(self, browser, base: str):
        self.browser, self.base = browser, base
        self.contexts = []
        self.step = 0

    def page(self):
        context = self.browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10000)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"first-day-{self.step:02d}-{name}")
        assert no_sideways_scroll(page), f"{name}: wider than the phone"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_new_townships_first_day(sms_app, fake_sms, live_server, browser):
    sms_app.config["PUBLIC_URL"] = live_server  # invitations and SMS links point here
    day = Day(browser, live_server)
    try:
        # --- 1. the township creates the fund and seats its first people --------------------
        township = day.page()
        sign_in(township, live_server, LOGINS["this_township_admin"])
        township.goto(f"{live_server}/t/{TOWNSHIP}/")
        township.get_by_role("link", name="新建基金").click()
        township.get_by_label("基金名称").fill(FUND_NAME)
        township.get_by_label("村（社区）").fill("青石村")
        township.get_by_label("依托慈善组织").fill("芦湾镇慈善会")
        township.get_by_label("收据编号前缀").fill("QSC")
        for n, (phone, name, role) in enumerate(IN_WIZARD):
            township.locator(f"input[name=committee-{n}-login]").fill(phone)
            township.locator(f"input[name=committee-{n}-name]").fill(name)
            township.locator(f"select[name=committee-{n}-role]").select_option(role)
        day.shot(township, "wizard")
        township.get_by_role("button", name="创建基金").click()
        township.wait_for_url(re.compile(r"/funds/\d+/staff$"))
        assert FUND_NAME in township.locator(".flash").first.inner_text()
        day.shot(township, "fund-created")

        # --- 2. the last member is appointed on the staff page ------------------------------
        phone, name, role = LATER
        township.get_by_label("手机号或邮箱").fill(phone)
        township.locator("input[name=name]").fill(name)
        township.locator("select[name=role]").select_option(role)
        township.get_by_role("button", name="任命并生成邀请").click()
        township.wait_for_url(re.compile(r"/funds/\d+/staff#m\d+$"))
        # Every appointment's link and QR code, still shown to the one who made them.
        links = {}
        for phone, name, _role in [*IN_WIZARD, LATER]:
            card = township.locator("li.card", has_text=name)
            assert card.locator("figure.invitation img").count() == 1, f"no QR code for {name}"
            links[phone] = card.locator("figure.invitation a").get_attribute("href")
            assert re.fullmatch(re.escape(live_server) + r"/invite/[\w-]+", links[phone])
        day.shot(township, "staff-with-invitations")

        # --- 3. each opens their invitation on their own phone and sets a password ----------
        people = {}
        for phone, name, _role in [CHAIR, TREASURER, *MEMBERS]:
            page = day.page()
            page.goto(links[phone])
            assert FUND_NAME in page.locator("dl.facts").inner_text()
            assert name in page.locator("dl.facts").inner_text()
            page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
            page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
            if phone == CHAIR[0]:
                day.shot(page, "invitation")
            page.get_by_role("button", name="设置密码并登录").click()
            page.wait_for_url(re.compile(r"/f/[\w-]+/$"))
            assert "欢迎" in page.locator(".flash").first.inner_text()
            people[phone] = page
        fund_url = people[CHAIR[0]].url
        day.shot(people[CHAIR[0]], "chair-is-in")

        # --- 4. the treasurer records the first gift ----------------------------------------
        treasurer = people[TREASURER[0]]
        treasurer.get_by_role("link", name="录入一笔捐赠").click()
        treasurer.get_by_label("捐赠人（不填为匿名）").fill("许阿公")
        treasurer.get_by_label("金额（元）").fill("500")
        day.shot(treasurer, "gift-form")
        treasurer.get_by_role("button", name="录入", exact=True).click()
        treasurer.wait_for_url(re.compile(r"/donations/\d+$"))
        assert treasurer.get_by_text("捐赠已录入并计入基金。").is_visible()
        day.shot(treasurer, "gift-recorded")

        # --- 5. a member proposes a project; the chair opens the vote -----------------------
        proposer = people[MEMBERS[0][0]]
        proposer.get_by_role("link", name="项目申请").first.click()
        proposer.get_by_role("link", name="新建项目申请").first.click()
        proposer.locator("input[name=title]").fill(PROJECT)
        proposer.locator("select[name=category]").select_option(index=1)
        proposer.locator("textarea[name=description]").fill("村北主路没有路灯，晚上老人出门不便。")
        proposer.locator("input[name=requested]").fill("3000")
        day.shot(proposer, "proposal-form")
        proposer.get_by_role("button", name="提交", exact=True).click()
        proposer.wait_for_url(re.compile(r"/proposals/\d+$"))
        proposal_url = proposer.url

        chair = people[CHAIR[0]]
        chair.goto(proposal_url)
        chair.get_by_text("提交表决").click()
        day.shot(chair, "put-to-vote")
        chair.get_by_role("button", name="开始表决").click()
        chair.wait_for_url(re.compile(r"/motions/\d+$"))
        motion_url = chair.url
        told = chair.locator(".flash").first.inner_text()
        assert "已短信通知 5 位" in told, told  # the chair and the four members
        day.shot(chair, "vote-opened")

        # --- 6. every member finds it in 待我处理 and has an SMS; two taps to vote -----------
        texts = {m["phone"]: m for m in received(fake_sms)}
        for n, (phone, _name, _role) in enumerate(MEMBERS):
            assert "+86" + phone in texts, f"no SMS for {phone}"
            _fund, title, _deadline, link = texts["+86" + phone]["params"]
            assert PROJECT in title and link == motion_url  # the SMS's link opens the vote
            member = people[phone]
            member.goto(fund_url)
            assert member.locator(".todo-count").inner_text() == "1"
            waiting = member.locator("section.todo a.todo-item", has_text="待您投票的表决")
            if n == 0:
                day.shot(member, "member-todo")
            waiting.click()
            assert member.url == motion_url
            member.locator("label.choice-yes").click()
            member.locator("#cast").click()
            member.locator("#my-vote[data-choice=yes]").wait_for()
            if n == 0:
                day.shot(member, "member-voted")
            member.goto(fund_url)  # nothing waits any more
            assert member.locator(".todo-count").count() == 0
            assert member.locator("a.todo-item").count() == 0

        # --- 7. the chair votes last, closes the vote, and the count shows -------------------
        chair.reload()
        assert "5 名有表决权委员中已有 4 人投票。" in chair.locator("#tally").inner_text()
        chair.locator("label.choice-yes").click()
        chair.locator("#cast").click()
        chair.locator("#my-vote[data-choice=yes]").wait_for()
        chair.reload()
        assert "5 名有表决权委员中已有 5 人投票。" in chair.locator("#tally").inner_text()
        chair.get_by_role("button", name="全部委员已投票：结束表决").click()
        chair.wait_for_url(re.compile(r"/resolutions/\d+$"))
        day.shot(chair, "resolution")
        chair.goto(motion_url)
        assert chair.locator("#count-yes").inner_text() == "5"
        assert chair.locator("#count-no").inner_text() == "0"
        day.shot(chair, "count")
    finally:
        day.close()
