"""Receipts in Debian's Chromium: a treasurer issues one on a phone, a donor checks it.

Screenshots go to test-artifacts/screenshots/ for a person to look at.
"""

import subprocess

import pytest
from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from app.funds.models import Fund
from app.receipts.models import Receipt
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, SHOTS, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def _unreceipted_gift(app) -> int:
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(fund.id)):
            return db.session.scalar(select(Donation.id).where(
                Donation.status == "confirmed", Donation.donor_id.is_not(None),
                Donation.receipt_waived.is_(False),
                Donation.id.not_in(select(Receipt.donation_id).where(
                    Receipt.donation_id.is_not(None)))).order_by(Donation.id.desc()))


def test_treasurer_issues_a_receipt_on_a_phone_and_the_donor_checks_it(app, live_server,
                                                                        browser):
    gift = _unreceipted_gift(app)
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["treasurer"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")

    page.goto(f"{live_server}/f/donggangcun/donations/{gift}")
    page.get_by_role("link", name="签发收据").click()
    page.get_by_label("收据抬头").fill("芦湾镇东港五金有限公司")
    shot(page, "30-receipt-issue-phone")
    page.get_by_role("button", name="开具收据").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/receipts/*")
    assert page.get_by_text("芦湾镇东港五金有限公司").first.is_visible()
    assert no_sideways_scroll(page)
    shot(page, "31-receipt-detail-phone")

    href = page.get_by_role("link", name="下载 PDF").get_attribute("href")
    pdf = page.request.get(f"{live_server}{href}")
    assert pdf.headers["content-type"] == "application/pdf"
    path = SHOTS / "32-receipt.pdf"
    path.write_bytes(pdf.body())
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(path),
                    str(SHOTS / "32-receipt")], check=True)

    page.get_by_role("link", name="公开查验页").click()
    page.wait_for_url(f"{live_server}/r/*")  # is_visible() does not wait for the new page
    assert page.get_by_text("有效").first.is_visible()
    assert page.get_by_text("芦******司").is_visible()
    assert no_sideways_scroll(page)
    shot(page, "33-receipt-verify-phone")

    page.go_back()
    page.get_by_label("作废原因").fill("抬头应为个人姓名")
    page.get_by_role("button", name="作废").click()
    page.get_by_text("已作废").first.wait_for()
    assert page.get_by_text("已作废").first.is_visible()
    shot(page, "34-receipt-voided-phone")
    page.close()
