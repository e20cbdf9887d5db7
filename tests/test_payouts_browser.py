"""Money out with two keys in Chromium, on a phone: the treasurer requests a payout and cannot
approve it, the chair and the supervisor approve, the treasurer records the bank's payment,
and it appears on the public notice board and in the ledger."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Proposal
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def _login(page, base, login):
    page.goto(f"{base}/auth/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/**")


def _person(browser, base, key):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    _login(page, base, LOGINS[key])
    return page


def test_two_keys_then_the_board_and_the_ledger(app, live_server, browser):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            from app.payouts.services import project_money

            project = next(p for p in db.session.scalars(select(Proposal).where(
                Proposal.status == "in_progress").order_by(Proposal.id))
                if project_money(p).room_fen >= 6660)
            project_id, title = project.id, project.title
        db.session.remove()
    base = f"{live_server}/f/donggangcun"

    treasurer = _person(browser, live_server, "treasurer")
    treasurer.goto(f"{base}/payouts/")
    treasurer.locator("a[href$='/payouts/new']").first.click()
    treasurer.locator(f"a[href$='/payouts/new?proposal={project_id}']").click()
    treasurer.locator("input[name=amount]").fill("66.60")
    line = treasurer.locator("select[name=budget_line_id]")
    if line.count():  # a project with several lines names the one the money is paid from
        line.select_option(index=line.locator("option").count() - 1)
    treasurer.locator("input[name=payee]").fill("东港村浏览器测试商店")
    treasurer.locator("input[name=payee_account]").fill("6222000011112222")
    treasurer.locator("textarea[name=purpose]").fill("浏览器测试：敬老餐餐盒")
    treasurer.locator("#payout-form button[type=submit]").click()
    treasurer.wait_for_url(re.compile(r"/payouts/\d+$"))
    payout_url = treasurer.url
    assert no_sideways_scroll(treasurer)
    shot(treasurer, "payouts-01-requested-phone")
    # The requester sees why, and no button to approve.
    assert treasurer.locator("#sign-refusal").is_visible()
    assert treasurer.locator("#sign-form").count() == 0

    for key in ("chair", "supervisor"):
        signer = _person(browser, live_server, key)
        signer.goto(payout_url)
        signer.locator("#sign-form button[value=approve]").click()
        signer.wait_for_url(payout_url)
        signer.context.close()

    treasurer.goto(payout_url)
    assert treasurer.locator("#payout-status").inner_text() in ("已批准，待付款",
                                                                "Approved, not paid yet")
    treasurer.locator("input[name=bank_reference]").fill("BROWSER-TEST-0001")
    treasurer.locator("#paid-form button[type=submit]").click()
    treasurer.wait_for_url(payout_url)
    assert treasurer.locator("#payout-status").inner_text() in ("已付款", "Paid")
    shot(treasurer, "payouts-02-paid-phone")

    treasurer.goto(f"{base}/ledger")
    assert "-66.60" in treasurer.content()

    public = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    public.goto(f"{base}/public")
    spending = public.locator("#spending")
    assert "66.60" in spending.inner_text() and title in spending.inner_text()
    assert no_sideways_scroll(public)
    shot(public, "payouts-03-public-board-phone")
