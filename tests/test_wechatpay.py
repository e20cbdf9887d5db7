"""Giving by WeChat Pay, through the wechatpayv3 SDK against tests/fake_wechatpay.py running as
a process of its own: it checks the merchant's signature on every call, signs its answers and
its notifications with its platform key and encrypts them with the APIv3 key, and posts them
to the app on its live port. A gift counts only once such a notification (or the signed
answer to an order query) says it is paid."""

import base64
import json
import re
import time
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, select

from app.clock import LOCAL
from app.donations.models import Donation, PaymentEvent
from app.extensions import db
from app.funds.models import Fund, Township
from app.ledger.models import LedgerEntry
from app.oversight import anomalies
from app.payments import orders
from tenants import township_scope, using

from .conftest import LOGINS, PASSWORD
from .helpers import fire_calls
from .payment_fakes import DESKTOP, PHONE, WECHAT, give, ledger, looking, newest, row

FUND = "donggangcun"
WEBHOOK = "/payments/wechatpay/webhook"


def events(app) -> list[tuple[str, str]]:
    with looking(app) as session:
        return [(e.event_id, e.outcome) for e in session.scalars(
            select(PaymentEvent).where(PaymentEvent.gateway == "wechatpay")
            .order_by(PaymentEvent.id))]


def native_gift(app, client, **form) -> Donation:
    page = give(client, FUND, "wechatpay", DESKTOP, **form)
    assert page.status_code == 200, page.get_data(as_text=True)
    assert 'src="data:image/svg+xml;' in page.get_data(as_text=True)  # the QR to scan
    donation = newest(app)
    assert (donation.status, donation.gateway, donation.channel) == (
        "pending", "wechatpay", "wechat")
    return donation


def scanned(page: str) -> str:
    """What a phone reads from the pay page's QR code: the image drawn as a browser would
    (WeasyPrint, then PDFium, on white around it) and decoded by OpenCV's QR reader: its
    ArUco-based one, as the classic one missed about one code in forty (4 of 150 random ones,
    and the suite failed on one); this one read all of 705."""
    import cv2
    import numpy
    import pypdfium2
    import weasyprint

    image = re.search(r'<img src="(data:image/svg\+xml;[^"]+)"', page)[1]
    pdf = weasyprint.HTML(string=(
        "<style>@page { size: 400px; margin: 0 }</style>"
        f'<img src="{image}" width="240" height="240" style="margin: 80px">')).write_pdf()
    document = pypdfium2.PdfDocument(pdf)
    try:
        pixels = numpy.array(document[0].render(scale=1).to_pil().convert("L"))
    finally:
        document.close()
    return cv2.QRCodeDetectorAruco().detectAndDecode(pixels)[0]


def post_raw(client, notification: dict, **changes):
    headers = {**notification["headers"], **changes.pop("headers", {})}
    body = changes.pop("body", notification["body"])
    return client.post(WEBHOOK, data=body.encode() if isinstance(body, str) else body,
                       headers=headers, content_type="application/json")


# ---- paying -------------------------------------------------------------------------------

def test_a_native_gift_counts_once_the_signed_notification_arrives(app, client, wechatpay):
    with looking(app) as session:
        fund_id = session.scalar(select(Fund.id).where(Fund.slug == FUND))
    donation = native_gift(app, client, designation="0")
    with app.app_context():  # the order number carries the fund and the gift
        order = orders.parse(donation.gateway_ref)
    assert (order.fund_id, order.donation_id) == (fund_id, donation.id)
    at_gateway = {o["out_trade_no"]: o for o in wechatpay.fake.orders()}[donation.gateway_ref]
    assert json.loads(at_gateway["attach"]) == {"fund": fund_id, "designation": None,
                                                "donation": donation.id}
    assert at_gateway["total"] == 20000 and at_gateway["mode"] == "native"
    assert ledger(app, donation.id) == []

    paid = wechatpay.fake.pay(donation.gateway_ref)
    sent = wechatpay.fake.notifications()
    assert [n["status"] for n in sent] == [200]
    confirmed = row(app, donation.id)
    assert confirmed.status == "confirmed" and confirmed.reference == paid["transaction_id"]
    assert ledger(app, donation.id) == [("donation", 20000)]
    assert events(app) == [(f"pay:{paid['transaction_id']}", "confirmed")]
    status = client.get(f"/f/{FUND}/donate/{donation.id}/status").get_data(as_text=True)
    assert "hx-trigger" not in status


def test_on_a_computer_the_pay_page_shows_the_order_s_code_url_as_a_qr_code(app, client,
                                                                             wechatpay):
    page = give(client, FUND, "wechatpay", DESKTOP)
    assert page.status_code == 200, page.get_data(as_text=True)
    at_gateway = {o["out_trade_no"]: o for o in wechatpay.fake.orders()}[newest(app).gateway_ref]
    # The fake's code_url: WeChat's Native scheme with ten characters of the prepay id.
    assert scanned(page.get_data(as_text=True)) == (
        f"weixin://wxpay/bizpayurl?pr={at_gateway['prepay_id'][2:12]}")


def test_a_gift_to_a_project_carries_its_designation_in_order_and_attach(app, client, wechatpay):
    with looking(app) as session:
        from app.donations.models import Designation

        fund = session.scalar(select(Fund).where(Fund.slug == FUND))
        designation = session.scalar(select(Designation).where(
            Designation.fund_id == fund.id, Designation.active).order_by(Designation.id))
        designation_id = designation.id
    donation = native_gift(app, client, designation=str(designation_id))
    assert f"D{designation_id}N{donation.id}" in donation.gateway_ref
    at_gateway = {o["out_trade_no"]: o for o in wechatpay.fake.orders()}[donation.gateway_ref]
    assert json.loads(at_gateway["attach"])["designation"] == designation_id
    wechatpay.fake.pay(donation.gateway_ref)
    with looking(app) as session:
        entry = session.scalar(select(LedgerEntry).where(LedgerEntry.donation_id == donation.id))
        assert entry.designation_id == designation_id


def test_a_replayed_notification_changes_nothing(app, client, wechatpay):
    donation = native_gift(app, client)
    wechatpay.fake.pay(donation.gateway_ref)
    genuine = wechatpay.fake.notifications()[-1]
    again = post_raw(client, genuine)
    assert again.status_code == 200 and again.get_json()["outcome"] == "replayed"
    assert wechatpay.fake.deliver() == []  # nothing was left for WeChat to send again
    assert ledger(app, donation.id) == [("donation", 20000)]
    assert len(events(app)) == 1


def _forged(notification: dict, key) -> dict:
    """The same notification signed with a key that is not WeChat Pay's."""
    headers = dict(notification["headers"])
    message = (f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n"
               f"{notification['body']}\n").encode()
    headers["Wechatpay-Signature"] = base64.b64encode(
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return headers


def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(
        app, client, wechatpay):
    donation = native_gift(app, client)
    wechatpay.fake.pay(donation.gateway_ref, notify=False)
    genuine = wechatpay.fake.held()[0]
    body = json.loads(genuine["body"])
    body["resource"]["ciphertext"] = body["resource"]["ciphertext"][::-1]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for attempt in (
        {"body": json.dumps(body)},  # bytes changed after signing
        {"headers": _forged(genuine, stranger)},  # signed by someone else's key
        {"headers": {"Wechatpay-Serial": "PUB_KEY_ID_0000"}},  # not our platform key
        {"headers": {"Wechatpay-Signature": ""}},
        {"headers": {"Wechatpay-Timestamp": str(int(time.time()) - 3600)}},  # an old one
    ):
        response = post_raw(client, genuine, **attempt)
        assert response.status_code == 400, attempt
        assert response.get_json()["code"] == "FAIL"
    assert row(app, donation.id).status == "pending"
    assert ledger(app, donation.id) == [] and events(app) == []
    assert wechatpay.fake.deliver() == [200]  # the genuine one still books it
    assert row(app, donation.id).status == "confirmed"


def test_a_payment_of_another_amount_is_refused_and_flagged(app, client, wechatpay):
    donation = native_gift(app, client)
    paid = wechatpay.fake.pay(donation.gateway_ref, amount=100)
    assert wechatpay.fake.notifications()[-1]["status"] == 200  # heard; not sent again
    assert row(app, donation.id).status == "pending"
    assert ledger(app, donation.id) == []
    assert events(app) == [(f"pay:{paid['transaction_id']}", "amount_mismatch")]
    # Asking the gateway again (the donor's return page) does not confirm it either.
    assert client.post(f"/f/{FUND}/donate/{donation.id}/check").status_code == 302
    assert row(app, donation.id).status == "pending"
    with app.test_request_context():
        township = db.session.scalar(select(Township).where(Township.slug == "luwan"))
        with using(township_scope(township.id, [f.id for f in township.funds])):
            flagged = [a for a in anomalies.detect(township.funds)
                       if a.kind == "payment_mismatch"]
            assert len(flagged) == 1 and "¥1.00" in str(flagged[0].reason)
            assert flagged[0].link.endswith(f"/donations/{donation.id}")


def test_a_donor_back_before_the_notification_is_confirmed_by_the_order_query(
        app, client, wechatpay):
    donation = native_gift(app, client)
    wechatpay.fake.pay(donation.gateway_ref, notify=False)
    page = client.get(f"/f/{FUND}/donate/{donation.id}/status?returned=1",
                      headers={"User-Agent": DESKTOP}).get_data(as_text=True)
    assert 'data-hx-trigger="load, submit"' in page  # the page asks at once, by POST
    assert row(app, donation.id).status == "pending"  # the GET itself wrote nothing
    checked = client.post(f"/f/{FUND}/donate/{donation.id}/check",
                          headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert checked.status_code == 200
    assert 'id="donation-status"' in checked.get_data(as_text=True)
    assert row(app, donation.id).status == "confirmed"
    assert wechatpay.fake.deliver() == [200]  # the late notification finds it booked
    assert ledger(app, donation.id) == [("donation", 20000)]
    assert [outcome for _, outcome in events(app)] == ["confirmed"]


def test_an_order_closed_unpaid_leaves_a_failed_gift(app, client, wechatpay):
    donation = native_gift(app, client)
    assert client.post(f"/f/{FUND}/donate/{donation.id}/check").status_code == 302
    assert row(app, donation.id).status == "pending"  # not paid yet: still waiting
    wechatpay.fake.expire(donation.gateway_ref)
    client.post(f"/f/{FUND}/donate/{donation.id}/check")
    assert row(app, donation.id).status == "failed"
    assert ledger(app, donation.id) == []
    page = client.get(f"/f/{FUND}/donate/{donation.id}/status").get_data(as_text=True)
    assert f'href="/f/{FUND}/donate"' in page  # 再试一次
    with pytest.raises(AssertionError, match="ORDER_NOT_PAYABLE"):
        wechatpay.fake.pay(donation.gateway_ref)


def test_a_phone_browser_pays_on_the_h5_page_and_comes_back(app, client, wechatpay):
    response = give(client, FUND, "wechatpay", PHONE)
    assert response.status_code == 302
    cashier = urlsplit(response.location)
    assert f"{cashier.scheme}://{cashier.netloc}" == wechatpay.fake.base
    back = parse_qs(cashier.query)["redirect_url"][0]
    donation = newest(app)
    assert back == f"{wechatpay.url}/f/{FUND}/donate/{donation.id}/status?returned=1"
    assert wechatpay.fake.base in client.get(f"/f/{FUND}/donate", headers={
        "User-Agent": PHONE}).headers["Content-Security-Policy"]  # form-action allows it
    with requests.Session() as donor:
        page = donor.get(response.location)
        assert "确认支付" in page.text
        paid = donor.post(f"{wechatpay.fake.base}/_fake/h5", allow_redirects=False, data={
            "prepay_id": re.search(r'name="prepay_id" value="([^"]+)"', page.text)[1],
            "redirect_url": back})
    assert paid.headers["Location"] == back
    assert row(app, donation.id).status == "confirmed"


def test_inside_wechat_the_donor_pays_by_jsapi_with_their_openid(app, client, wechatpay):
    asked = client.get(f"/f/{FUND}/donate?designation=", headers={"User-Agent": WECHAT})
    assert asked.status_code == 302 and "/connect/oauth2/authorize?" in asked.location
    # WeChat sends the browser back with a code, which the app trades for the openid.
    back = requests.get(asked.location, allow_redirects=False).headers["Location"]
    assert back.startswith(f"{wechatpay.url}/f/{FUND}/donate/wechat?code=")
    returned = client.get(back.removeprefix(wechatpay.url), headers={"User-Agent": WECHAT})
    assert returned.status_code == 302 and returned.location.startswith(f"/f/{FUND}/donate")
    form = client.get(f"/f/{FUND}/donate", headers={"User-Agent": WECHAT})
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="alipay"' not in body  # no Alipay in WeChat
    page = give(client, FUND, "wechatpay", WECHAT)
    html = page.get_data(as_text=True)
    params = json.loads(re.search(r'data-params="([^"]+)"', html)[1].replace("&#34;", '"'))
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    donation = newest(app)
    # What WeChat's client does with them: check paySign with the merchant's key, then pay.
    forged = {**params, "paySign": params["paySign"][::-1]}
    assert requests.post(f"{wechatpay.fake.base}/_fake/jsapi_pay", json=forged).status_code \
        == 400
    assert requests.post(f"{wechatpay.fake.base}/_fake/jsapi_pay", json=params).ok
    assert row(app, donation.id).status == "confirmed"


def test_the_daily_trade_bill_books_a_payment_whose_notification_never_came(
        app, client, wechatpay):
    lost = native_gift(app, client)
    wechatpay.fake.pay(lost.gateway_ref, notify=False)  # the notification is lost
    heard = native_gift(app, client)
    wechatpay.fake.pay(heard.gateway_ref)
    today = datetime.now(LOCAL).date().isoformat()
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--day", today])
    assert result.exit_code == 0, result.output
    assert "confirmed: 1" in result.output and "already booked: 1" in result.output
    assert row(app, lost.id).status == "confirmed"
    assert ledger(app, lost.id) == [("donation", 20000)]
    again = app.test_cli_runner().invoke(args=["payments", "reconcile", "--day", today])
    assert "already booked: 2" in again.output


# ---- refunds --------------------------------------------------------------------------------

def paid_gift(app, client, wechatpay) -> Donation:
    donation = native_gift(app, client)
    wechatpay.fake.pay(donation.gateway_ref)
    return row(app, donation.id)


def test_a_partial_then_full_refund_books_each_once(app, client, auth, wechatpay):
    donation = paid_gift(app, client, wechatpay)
    auth.login(LOGINS["treasurer"])
    url = f"/f/{FUND}/donations/{donation.id}/refund"
    too_much = client.post(url, data={"amount": "250", "reason": "多退"})
    assert too_much.status_code == 422
    assert client.post(url, data={"amount": "50", "reason": "捐赠人申请部分退款"}).status_code \
        == 302
    first = row(app, donation.id)
    assert (first.status, first.refunded_fen) == ("partially_refunded", 5000)
    sent = wechatpay.fake.wait_for_notifications(2)  # the payment's, then the refund's
    assert sent[-1]["status"] == 200 and json.loads(sent[-1]["body"])["event_type"] == \
        "REFUND.SUCCESS"
    assert events(app)[-1][1] == "refund_already_booked"

    assert client.post(url, data={"amount": "150", "reason": "项目取消"}).status_code == 302
    wechatpay.fake.wait_for_notifications(3)
    done = row(app, donation.id)
    assert (done.status, done.refunded_fen) == ("refunded", 20000)
    assert ledger(app, donation.id) == [("donation", 20000), ("refund", -5000),
                                        ("refund", -15000)]
    at_gateway = {o["out_trade_no"]: o for o in wechatpay.fake.orders()}[donation.gateway_ref]
    assert at_gateway["refunded_fen"] == 20000  # the money really went back at the gateway
    with looking(app) as session:
        references = session.scalars(select(LedgerEntry.reference).where(
            LedgerEntry.donation_id == donation.id, LedgerEntry.kind == "refund")).all()
    assert references == [f"wechatpay:{donation.gateway_ref}R5000",
                          f"wechatpay:{donation.gateway_ref}R20000"]


# ---- two at once, on SQLite and PostgreSQL --------------------------------------------------

def test_the_same_payment_notified_and_queried_at_once_is_booked_once(app, client, wechatpay):
    donation = native_gift(app, client)
    wechatpay.fake.pay(donation.gateway_ref, notify=False)
    held = wechatpay.fake.held()[0]
    check = f"{wechatpay.url}/f/{FUND}/donate/{donation.id}/check"
    statuses = fire_calls([
        *[lambda: requests.post(held["url"], data=held["body"].encode(),
                                headers=held["headers"], timeout=60)] * 3,
        *[lambda: requests.post(check, allow_redirects=False, timeout=60)] * 3])
    assert all(s in (200, 302, 409) for s in statuses), statuses
    assert row(app, donation.id).status == "confirmed"
    assert ledger(app, donation.id) == [("donation", 20000)]
    with looking(app) as session:
        assert session.scalar(select(func.count()).select_from(PaymentEvent)) == 1


def test_parallel_refunds_of_one_wechat_gift_refund_it_once(app, client, wechatpay):
    donation = paid_gift(app, client, wechatpay)
    with requests.Session() as treasurer:
        treasurer.post(f"{wechatpay.url}/auth/login", data={
            "login": LOGINS["treasurer"], "password": PASSWORD})
        cookies = treasurer.cookies.get_dict()
    url = f"{wechatpay.url}/f/{FUND}/donations/{donation.id}/refund"
    statuses = fire_calls([lambda: requests.post(url, cookies=cookies, allow_redirects=False,
                                           data={"amount": "150", "reason": "退回"},
                                           timeout=60)] * 4)
    assert statuses.count(302) == 1 and set(statuses) <= {302, 422}, statuses
    assert row(app, donation.id).refunded_fen == 15000
    assert ledger(app, donation.id) == [("donation", 20000), ("refund", -15000)]
    at_gateway = {o["out_trade_no"]: o for o in wechatpay.fake.orders()}[donation.gateway_ref]
    assert at_gateway["refunded_fen"] == 15000
