"""A villager gives from a phone, in Chinese, in Debian's Chromium: from the notice board's
我要捐赠 to the donate page, Alipay chosen, Alipay's cashier (the local fake, reached through
the form's redirect, which the page's CSP must allow), paying, and back to the thank-you page
that shows the gift counted. A computer gets WeChat Pay's QR code. The treasurer's matching
screen on a phone. Screenshots: test-artifacts/screenshots/giving-*.jpg."""

import pytest

from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot
from .payment_fakes import PHONE as PHONE_AGENT

pytestmark = pytest.mark.browser

FUND = "donggangcun"


def phone_page(browser, user_agent=PHONE_AGENT):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=user_agent)
    context.set_default_timeout(15000)
    return context, context.new_page()


def test_a_villager_gives_by_alipay_from_the_board_on_a_phone(browser, alipay, wechatpay):
    context, page = phone_page(browser)
    try:
        page.goto(f"{alipay.url}/f/{FUND}/public")
        page.get_by_role("link", name="我要捐赠").first.click()
        page.wait_for_url(f"**/f/{FUND}/donate")
        assert page.get_by_text("善款由苏州市吴江区慈善总会接收").is_visible()
        page.get_by_label("¥200").check()
        page.get_by_label("支付宝").check()
        page.get_by_label("您的姓名").fill("周慧敏")
        page.get_by_label("手机号", exact=True).fill("13812340001")
        shot(page, "giving-01-donate-phone")
        assert no_sideways_scroll(page)
        page.get_by_role("button", name="下一步：支付").click()
        page.wait_for_url(f"{alipay.fake.base}/gateway.do?**")
        shot(page, "giving-02-alipay-cashier")
        page.get_by_role("button", name="确认付款").click()
        page.wait_for_url(f"**/f/{FUND}/donate/*/status?returned=1**")
        page.get_by_text("已确认").wait_for()
        shot(page, "giving-03-thanks")
        assert no_sideways_scroll(page)
    finally:
        context.close()


def test_a_computer_shows_wechat_pays_qr_code(browser, wechatpay):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{wechatpay.url}/f/{FUND}/donate")
        page.get_by_label("微信支付").check()
        page.get_by_label("您的姓名").fill("周慧敏")
        page.get_by_label("手机号", exact=True).fill("13812340001")
        page.get_by_role("button", name="下一步：支付").click()
        qr = page.get_by_role("img", name="用微信支付 ¥100.00 的二维码")
        qr.wait_for()
        assert qr.evaluate("img => img.naturalWidth") > 100
        shot(page, "giving-04-wechat-native")
    finally:
        context.close()


def test_the_treasurer_matches_the_bill_on_a_phone(browser, live_server):
    context, page = phone_page(browser)
    try:
        page.goto(f"{live_server}/auth/login")
        page.locator("input[name=login]").fill(LOGINS["treasurer"])
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.goto(f"{live_server}/f/{FUND}/giving/bills")
        page.get_by_text("4200002603").wait_for()  # the demo's ¥66 nobody reported
        shot(page, "giving-05-bills-phone")
        assert no_sideways_scroll(page)
        page.goto(f"{live_server}/f/{FUND}/donate")
        page.get_by_text("扫基金的收款码捐赠").wait_for()
        shot(page, "giving-06-codes-on-donate-page")
    finally:
        context.close()
