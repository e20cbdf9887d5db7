"""Giving by Alipay, through python-alipay-sdk against tests/fake_alipay.py running as a process
of its own: it checks the app's RSA2 signature on every call and on the order the donor's
browser brings, signs its answers, and posts notifications signed with Alipay's key to the
app on its live port. A gift counts only once such a notification (or the signed answer to an
order query) says it is paid."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from sqlalchemy import select

from app.donations.models import Donation, PaymentEvent

from .conftest import LOGINS
from .payment_fakes import DESKTOP, PHONE, WECHAT, give, ledger, looking, newest, row

FUND = "donggangcun"
WEBHOOK = "/payments/alipay/webhook"


def outcomes(app) -> list[str]:
    with looking(app) as session:
        return list(session.scalars(select(PaymentEvent.outcome).where(
            PaymentEvent.gateway == "alipay").order_by(PaymentEvent.id)))


def to_cashier(app, client, alipay, user_agent=PHONE, **form) -> tuple[Donation, str]:
    """The donor sends the form and is redirected to Alipay with a signed order, which Alipay
    checks and shows as its cashier page."""
    response = give(client, FUND, "alipay", user_agent, **form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.startswith(f"{alipay.fake.base}/gateway.do?")
    donation = newest(app)
    assert (donation.status, donation.gateway, donation.channel) == ("pending", "alipay",
                                                                     "alipay")
    page = requests.get(response.location, timeout=30)
    assert page.status_code == 200 and "确认付款" in page.text, page.text
    return donation, response.location


def test_a_phone_pays_on_alipays_wap_cashier_and_the_notification_confirms(
        app, client, alipay):
    donation, cashier = to_cashier(app, client, alipay)
    order = parse_qs(urlsplit(cashier).query)
    assert order["method"] == ["alipay.trade.wap.pay"]
    with requests.Session() as donor:
        paid = donor.post(f"{alipay.fake.base}/_fake/cashier", allow_redirects=False,
                          data={"out_trade_no": donation.gateway_ref})
    back = paid.headers["Location"]
    assert back.startswith(f"{alipay.url}/f/{FUND}/donate/{donation.id}/status?returned=1&")
    confirmed = row(app, donation.id)
    assert confirmed.status == "confirmed" and confirmed.reference
    assert ledger(app, donation.id) == [("donation", 20000)]
    assert [n["answer"] for n in alipay.fake.notifications()] == ["success"]
    assert outcomes(app) == ["confirmed"]


def test_a_computer_gets_alipays_page_pay(app, client, alipay):
    _, cashier = to_cashier(app, client, alipay, DESKTOP)
    assert parse_qs(urlsplit(cashier).query)["method"] == ["alipay.trade.page.pay"]
    assert alipay.fake.base in client.get(f"/f/{FUND}/donate").headers[
        "Content-Security-Policy"]


def test_a_tampered_order_is_refused_by_alipay(app, client, alipay):
    _, cashier = to_cashier(app, client, alipay)
    tampered = re.sub(r"total_amount%22%3A%22200.00", "total_amount%22%3A%222.00", cashier)
    assert tampered != cashier
    page = requests.get(tampered, timeout=30)
    assert page.status_code == 400 and "验签出错" in page.text


def test_inside_wechat_alipay_is_not_offered(app, client, alipay):
    body = client.get(f"/f/{FUND}/donate", headers={"User-Agent": WECHAT})
    assert 'value="alipay"' not in body.get_data(as_text=True)  # WeChat blocks its pages


def test_a_replayed_or_forged_notification_changes_nothing(app, client, alipay):
    donation, _ = to_cashier(app, client, alipay)
    alipay.fake.pay(donation.gateway_ref, notify=False)
    genuine = alipay.fake.held()[0]["params"]
    for forged in ({**genuine, "total_amount": "2.00"}, {**genuine, "sign": genuine["sign"][:-8]
                                                         + "AAAAAAA="},
                   {k: v for k, v in genuine.items() if k != "sign"}):
        response = client.post(WEBHOOK, data=urlencode(forged),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400 and response.get_data() != b"success"
    assert row(app, donation.id).status == "pending" and outcomes(app) == []
    first = client.post(WEBHOOK, data=urlencode(genuine),
                        content_type="application/x-www-form-urlencoded")
    again = client.post(WEBHOOK, data=urlencode(genuine),
                        content_type="application/x-www-form-urlencoded")
    assert first.get_data() == again.get_data() == b"success"
    assert ledger(app, donation.id) == [("donation", 20000)] and outcomes(app) == ["confirmed"]


def test_a_payment_of_another_amount_is_refused_and_flagged(app, client, alipay):
    donation, _ = to_cashier(app, client, alipay)
    alipay.fake.pay(donation.gateway_ref, amount="20.00")
    assert row(app, donation.id).status == "pending"
    assert ledger(app, donation.id) == [] and outcomes(app) == ["amount_mismatch"]


def test_a_donor_back_before_the_notification_is_confirmed_by_the_order_query(
        app, client, alipay):
    donation, _ = to_cashier(app, client, alipay)
    client.post(f"/f/{FUND}/donate/{donation.id}/check")
    assert row(app, donation.id).status == "pending"  # WAIT_BUYER_PAY: nothing to book
    alipay.fake.pay(donation.gateway_ref, notify=False)
    client.post(f"/f/{FUND}/donate/{donation.id}/check")
    assert row(app, donation.id).status == "confirmed"
    assert alipay.fake.deliver() == [200]
    assert alipay.fake.notifications()[-1]["answer"] == "success"
    assert ledger(app, donation.id) == [("donation", 20000)] and outcomes(app) == ["confirmed"]


def test_an_order_never_opened_or_closed_unpaid(app, client, alipay):
    response = give(client, FUND, "alipay", PHONE)
    with looking(app) as session:
        donation_id = session.scalar(select(Donation.id).order_by(Donation.id.desc()))
    client.post(f"/f/{FUND}/donate/{donation_id}/check")  # ACQ.TRADE_NOT_EXIST
    assert row(app, donation_id).status == "pending"
    requests.get(response.location, timeout=30)  # the donor opens the cashier, then leaves
    alipay.fake.expire(row(app, donation_id).gateway_ref)
    client.post(f"/f/{FUND}/donate/{donation_id}/check")
    assert row(app, donation_id).status == "failed" and ledger(app, donation_id) == []


def test_a_partial_then_full_refund_books_each_once(app, client, auth, alipay):
    donation, _ = to_cashier(app, client, alipay)
    alipay.fake.pay(donation.gateway_ref)
    auth.login(LOGINS["treasurer"])
    url = f"/f/{FUND}/donations/{donation.id}/refund"
    assert client.post(url, data={"amount": "50", "reason": "部分退款"}).status_code == 302
    alipay.fake.wait_for_notifications(2)
    assert (row(app, donation.id).status, row(app, donation.id).refunded_fen) == (
        "partially_refunded", 5000)
    assert client.post(url, data={"amount": "150", "reason": "项目取消"}).status_code == 302
    sent = alipay.fake.wait_for_notifications(3)
    assert [n["answer"] for n in sent] == ["success"] * 3
    assert sent[-1]["params"]["trade_status"] == "TRADE_CLOSED"  # all given back
    done = row(app, donation.id)
    assert (done.status, done.refunded_fen) == ("refunded", 20000)
    assert ledger(app, donation.id) == [("donation", 20000), ("refund", -5000),
                                        ("refund", -15000)]
    assert outcomes(app) == ["confirmed", "refund_already_booked", "refund_already_booked"]
    trade = {t["out_trade_no"]: t for t in alipay.fake.orders()}[donation.gateway_ref]
    assert trade["refunded"] == 20000


def test_a_refund_made_at_alipay_is_booked_from_its_notification(app, client, alipay):
    """The host charity refunds in Alipay's own merchant site: the notification books it."""
    donation, _ = to_cashier(app, client, alipay)
    alipay.fake.pay(donation.gateway_ref)
    with app.app_context():
        from app.payments.gateway import get_gateway

        get_gateway("alipay").client.api_alipay_trade_refund(
            refund_amount="50.00", out_trade_no=donation.gateway_ref,
            out_request_no="MERCHANT-SITE-1")
    alipay.fake.wait_for_notifications(2)
    refunded = row(app, donation.id)
    assert (refunded.status, refunded.refunded_fen) == ("partially_refunded", 5000)
    assert outcomes(app) == ["confirmed", "refund_booked"]
