"""The foundation in Debian's Chromium: a committee member on a phone, and the main pages.

Screenshots go to test-artifacts/screenshots/ for a person to look at.
"""

import pytest

from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot

pytestmark = pytest.mark.browser

def test_committee_member_on_a_phone(live_server, browser):
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{live_server}/")
    shot(page, "01-landing-phone")
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("手机号或邮箱").fill(LOGINS["member"])
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("手机号、邮箱或密码错误").is_visible()
    shot(page, "02-login-error-phone")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    assert page.get_by_role("heading", name="东港村社区慈善基金").is_visible()
    assert no_sideways_scroll(page)
    shot(page, "03-fund-workspace-phone")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Committee and staff").is_visible()
    assert no_sideways_scroll(page)
    shot(page, "04-fund-workspace-phone-en")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_text("You have signed out.").is_visible()
    shot(page, "05-signed-out-phone-en")
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
def test_main_pages_fit_the_screen(live_server, browser, viewport):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    label = "phone" if viewport == PHONE else "desktop"
    page.goto(f"{live_server}/f/donggangcun/public")
    assert page.get_by_role("heading", name="基金管理委员会").is_visible()
    assert no_sideways_scroll(page)
    shot(page, f"10-public-{label}")

    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["this_township_admin"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")
    shot(page, f"11-home-township-admin-{label}")
    page.get_by_role("link", name="芦湾镇").click()
    assert page.get_by_role("heading", name="本镇基金").is_visible()
    assert no_sideways_scroll(page)
    shot(page, f"12-township-{label}")

    page.goto(f"{live_server}/no/such/page")
    assert page.get_by_text("页面不存在").is_visible()
    shot(page, f"13-not-found-{label}")
    page.close()
