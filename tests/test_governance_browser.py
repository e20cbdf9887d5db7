"""A vote on a phone in Chromium: a member votes and changes the vote in two taps; the
chair's page counts it without a reload; another fund's member is kept out."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Motion
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def _login(page, base, login):
    page.goto(f"{base}/auth/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/**")


def test_a_member_votes_on_a_phone_and_the_chair_sees_the_count_move(app, live_server,
                                                                       browser):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            motion_id = db.session.scalar(select(Motion.id).where(Motion.status == "open"))
        db.session.remove()
    url = f"{live_server}/f/donggangcun/motions/{motion_id}"

    chair_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    chair = chair_context.new_page()
    _login(chair, live_server, LOGINS["chair"])
    chair.goto(url)
    # The chair's own ballot; the one recorded at a meeting waits for its member's confirmation.
    assert chair.locator("#count-yes").inner_text() == "1"
    assert chair.locator("#awaiting").is_visible()

    member_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    member = member_context.new_page()
    _login(member, live_server, LOGINS["member"])
    member.goto(f"{live_server}/f/donggangcun/")
    member.locator("a[href$='/motions/']").first.click()
    member.wait_for_url(f"{live_server}/f/donggangcun/motions/")
    member.locator(f"a[href$='/motions/{motion_id}']").first.click()
    member.wait_for_url(url)
    assert no_sideways_scroll(member)
    shot(member, "governance-01-vote-phone")
    member.locator("label.choice-no").click()  # tap one
    member.locator("#cast").click()  # tap two
    member.locator("#my-vote[data-choice=no]").wait_for()
    shot(member, "governance-02-voted-phone")
    member.locator("label.choice-yes").click()
    member.locator("#cast").click()
    member.locator("#my-vote[data-choice=yes]").wait_for()
    assert member.url == url  # htmx swapped the ballot in place; no page load
    shot(member, "governance-03-vote-changed-phone")

    # The chair's page polls its tally: 1 -> 2 without a reload.
    from playwright.sync_api import expect

    expect(chair.locator("#count-yes")).to_have_text("2", timeout=15000)
    assert chair.url == url
    assert chair.locator("#count-no").inner_text() == "1"
    shot(chair, "governance-04-chair-live-tally-phone")

    outsider_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    outsider = outsider_context.new_page()
    _login(outsider, live_server, LOGINS["other_fund_member"])
    response = outsider.goto(url)
    assert response.status in (403, 404)
    for context in (chair_context, member_context, outsider_context):
        context.close()
