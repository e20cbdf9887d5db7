"""志愿服务 on phones, in Chinese, from start to end: the secretary creates an activity, three
volunteers prove their numbers by SMS code and sign up, check in by the activity's QR link,
the leader marks and confirms the list, the chair confirms the hours, one volunteer gets a
certificate and its QR check page states the same hours as the PDF.

Screenshots: test-artifacts/screenshots/volunteers-NN-<step>.jpg.
"""

import re
import subprocess
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.clock import LOCAL
from app.extensions import db
from app.volunteers.models import Activity, Attendance
from tenants import SYSTEM, using

from .browser_steps import sign_in
from .conftest import LOGINS, PHONE, no_sideways_scroll, received, shot

pytestmark = pytest.mark.browser

FUND = "donggangcun"
TITLE = "敬老院春节联欢"
VOLUNTEERS = [("钱志远", "13700000001"), ("周小梅", "13700000002"), ("顾海峰", "13700000003")]


class Phones:
    def __init__(self, browser):
        self.browser, self.contexts, self.step = browser, [], 0

    def page(self):
        context = self.browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10000)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"volunteers-{self.step:02d}-{name}")
        assert no_sideways_scroll(page), f"{name}: wider than the phone"

    def close(self):
        for context in self.contexts:
            context.close()


def prove(page, fake_sms, phone: str) -> None:
    """The number typed, the code read from the fake SMS endpoint and typed."""
    page.get_by_label("您的手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    code = [m for m in received(fake_sms) if m["phone"].endswith(phone)][-1]["params"][1]
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="继续").click()


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_activity_from_sign_up_to_certificate_on_phones(sms_app, fake_sms, live_server,
                                                          browser, tmp_path):
    sms_app.config["PUBLIC_URL"] = live_server  # QR codes and certificate links point here
    phones = Phones(browser)
    try:
        # 1. The secretary creates the activity: it began two hours ago, ends in an hour.
        secretary = phones.page()
        sign_in(secretary, live_server, LOGINS["secretary"])
        secretary.goto(f"{live_server}/f/{FUND}/volunteers/")
        phones.shot(secretary, "list")
        secretary.get_by_role("link", name="新建活动").click()
        start = datetime.now(LOCAL).replace(second=0, microsecond=0) - timedelta(hours=2)
        secretary.locator("input[name=title]").fill(TITLE)
        secretary.locator("input[name=place]").fill("东港村敬老院")
        secretary.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
        secretary.locator("input[name=ends_at]").fill(
            (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
        secretary.locator("input[name=needed]").fill("3")
        secretary.locator("select[name=leader_id]").select_option(label="孙晓燕")
        secretary.locator("input[name=latitude]").fill("31.2990")  # 东港村敬老院
        secretary.locator("input[name=longitude]").fill("120.5853")
        phones.shot(secretary, "new-activity")
        secretary.get_by_role("button", name="创建活动").click()
        secretary.wait_for_url(re.compile(r"/volunteers/activities/\d+$"))
        check_url = secretary.locator("a[href*='/volunteers/check/']").get_attribute("href")
        phones.shot(secretary, "activity-with-qr")

        # 2. Three volunteers prove their numbers, sign up and check in by the QR link.
        people = []
        for name, phone in VOLUNTEERS:
            page = phones.page()
            # A first visit: no number proved yet on this phone.
            page.goto(f"{live_server}/f/{FUND}/volunteers/me")
            prove(page, fake_sms, phone)
            page.locator("li.card", has_text=TITLE).get_by_role("button", name="报名").click()
            # The phone shares its position, about 100 m from the place (position.js sends it).
            page.context.grant_permissions(["geolocation"], origin=live_server)
            page.context.set_geolocation({"latitude": 31.2999, "longitude": 120.5850})
            page.goto(check_url)
            page.get_by_role("button", name="签到").click()
            page.get_by_role("button", name="签退").wait_for()
            assert page.get_by_text("位置已核实").first.is_visible()
            assert page.get_by_text(name).first.is_visible()
            people.append(page)
        phones.shot(people[0], "checked-in")

        # Two hours pass on site: each check-in moves back to the activity's start.
        with sms_app.app_context(), using(SYSTEM):
            activity = db.session.scalar(select(Activity).where(Activity.title == TITLE))
            db.session.execute(update(Attendance).where(Attendance.activity_id == activity.id)
                               .values(check_in_at=activity.starts_at))
            db.session.commit()
            activity_id = activity.id
            db.session.remove()
        for page in people:
            page.goto(check_url)
            page.get_by_role("button", name="签退").click()
            page.get_by_text("已签退").wait_for()
        phones.shot(people[0], "checked-out")

        # 3. The leader marks the list and confirms it; the chair confirms the hours.
        leader = phones.page()
        sign_in(leader, live_server, LOGINS["social_worker"])
        leader.goto(f"{live_server}/f/{FUND}/volunteers/activities/{activity_id}")
        leader.locator("select[name^=mark-]").nth(1).select_option(label="迟到")
        phones.shot(leader, "leader-marks")
        leader.get_by_role("button", name="确认名单（负责人）").click()
        leader.get_by_text("负责人已确认名单").first.wait_for()
        chair = phones.page()
        sign_in(chair, live_server, LOGINS["chair"])
        chair.goto(f"{live_server}/f/{FUND}/volunteers/activities/{activity_id}")
        chair.get_by_role("button", name="复核时长（第二人）").click()
        chair.get_by_text("已复核：时长已计入").first.wait_for()
        phones.shot(chair, "hours-confirmed")

        # 4. One volunteer gets a certificate; its QR page states the hours of the PDF.
        volunteer = people[0]
        volunteer.goto(f"{live_server}/f/{FUND}/volunteers/me")
        assert volunteer.get_by_text(TITLE).first.is_visible()
        volunteer.get_by_role("button", name="开具我的志愿服务证明（免费）").click()
        link = volunteer.locator("a[href*='/me/certificates/']").first
        phones.shot(volunteer, "my-record")
        response = volunteer.request.get(live_server + link.get_attribute("href"))
        assert response.headers["content-type"] == "application/pdf"
        pdf = tmp_path / "certificate.pdf"
        pdf.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf),
                        "test-artifacts/screenshots/volunteers-certificate"], check=True)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        total = re.search(r"合计\s+([0-9.]+)", text).group(1)
        # The check address is printed in full (it may wrap); the QR code holds the same.
        url = re.search(r"(http://[^\s]+/v/[A-Za-z0-9_-]{24})", re.sub(r"\s+", "", text)).group(1)
        volunteer.goto(url)
        assert volunteer.locator(".total-hours").inner_text().strip() == total
        assert volunteer.get_by_text(TITLE).is_visible()
        phones.shot(volunteer, "certificate-check")
    finally:
        phones.close()
