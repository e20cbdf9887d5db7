"""The foundation in Debian's Chromium: a committee member on a phone, and the main pages.

Screenshots go to test-artifacts/screenshots/ for a person to look at.
"""

import re

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
    page.get_by_role("heading", name="Committee and staff").wait_for()
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
    page.get_by_role("heading", name="本镇基金").wait_for()  # the click navigates: wait for it
    assert no_sideways_scroll(page)
    shot(page, f"12-township-{label}")

    page.goto(f"{live_server}/no/such/page")
    assert page.get_by_text("页面不存在").is_visible()
    shot(page, f"13-not-found-{label}")
    page.close()


def test_treasurer_enters_a_batch_with_the_keyboard_only(live_server, browser):
    """Rows appear without a reload; the donor is picked from suggestions by keyboard."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["treasurer"])
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    page.get_by_role("link", name="批次录入").first.click()
    page.get_by_label("募捐名称").fill("冬至敬老募捐")
    page.get_by_label("清点总额（元）").fill("300")
    page.get_by_role("button", name="开始录入").click()
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    batch_url = page.url

    donor = page.get_by_label("捐赠人（不填为匿名）")
    donor.type("王秀")  # 王秀英 is no donor here, so a few demo donors with 王 may appear
    page.keyboard.type("英")
    page.keyboard.press("Tab")
    page.keyboard.type("200")
    page.keyboard.press("Enter")
    page.locator("#entered", has_text="¥200.00").wait_for()
    assert page.url == batch_url  # no reload, no navigation
    assert page.evaluate("document.activeElement.name") == "donor_name"

    page.keyboard.press("Tab")  # an anonymous gift from the donation box
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    page.locator("#entered", has_text="¥300.00").wait_for()
    assert page.locator("#difference").inner_text() == "¥0.00"
    rows = page.locator("#entry tbody tr")
    assert rows.nth(0).inner_text().split("\t")[1] == "王秀英"
    assert rows.nth(1).inner_text().split("\t")[1] == "匿名"
    shot(page, "20-batch-entry-desktop")
    page.get_by_role("button", name="结束批次并确认全部记录").click()
    page.get_by_text("每一笔都已确认").wait_for()
    shot(page, "21-batch-closed-desktop")
    page.close()


def test_donations_pages_on_a_phone(live_server, browser):
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["treasurer"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    shot(page, "22-fund-workspace-treasurer-phone")
    page.goto(f"{live_server}/f/donggangcun/donations/")
    assert page.get_by_role("heading", name="捐赠").is_visible()
    page.get_by_label("收款方式").select_option("wechat")
    page.locator("#results", has_text="微信转账").wait_for()
    assert no_sideways_scroll(page)
    shot(page, "23-donations-filtered-phone")
    page.goto(f"{live_server}/f/donggangcun/donations/new")
    page.get_by_role("button", name="录入").click()
    page.get_by_text("请输入金额。").wait_for()
    assert no_sideways_scroll(page)
    shot(page, "24-donation-form-errors-phone")
    page.goto(f"{live_server}/f/donggangcun/donate")
    assert no_sideways_scroll(page)
    shot(page, "25-donate-page-phone")
    page.close()


@pytest.mark.config(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x",
                    STRIPE_WEBHOOK_SECRET="whsec_x")
def test_donation_form_on_a_phone(live_server, browser):
    """The public form (the payment step itself needs Stripe.js, which is not reachable here)."""
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{live_server}/f/donggangcun/donate")
    assert no_sideways_scroll(page)
    shot(page, "26-donate-form-phone")
    page.get_by_role("button", name="下一步：支付").click()
    page.locator(".error").first.wait_for()
    assert no_sideways_scroll(page)
    shot(page, "27-donate-form-errors-phone")
    page.close()
