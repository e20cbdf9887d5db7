"""Gateway credentials per township: 桃源镇's host charity has a WeChat Pay merchant account of
its own (WECHATPAY_TAOYUAN_*), 芦湾镇 pays into the deployment's. One fake WeChat Pay serves
both merchants and checks each request with the signing merchant's own key; each merchant's
notifications are encrypted with its own APIv3 key and reach that merchant's address."""

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from app.funds.models import Fund, Township
from app.payments import credentials
from app.payments.gateway import SUCCEEDED, Event, get_gateway
from app.payments.services import handle_event
from tenants import SYSTEM, using

from . import fake_process
from .payment_fakes import DESKTOP, Fake, _call, _start, give, ledger, looking, newest, row

DEPLOYMENT = {
    "mchid": "1900000109",
    "appid": "wx8888888888888888",
    "apiv3_key": "shanlin-test-apiv3-key-32-bytes!",
    "merchant_serial_no": "3775B6A45ACD588826D15E583A95F5DD2A3D5EDA",
}
TAOYUAN = {
    "mchid": "1900000555",
    "appid": "wx5555555555555555",
    "apiv3_key": "taoyuan-host-charity-apiv3-key!!",
    "merchant_serial_no": "5555B6A45ACD588826D15E583A95F5DD2A3D5555",
}
FUNDS = {"luwan": "donggangcun", "taoyuan": None}  # 桃源镇's fund: found by its township


def settings(merchant: dict, private: str, keys: dict) -> dict:
    return {
        "WECHATPAY_MCHID": merchant["mchid"],
        "WECHATPAY_APPID": merchant["appid"],
        "WECHATPAY_APIV3_KEY": merchant["apiv3_key"],
        "WECHATPAY_PRIVATE_KEY": private,
        "WECHATPAY_CERT_SERIAL_NO": merchant["merchant_serial_no"],
        "WECHATPAY_PUBLIC_KEY": keys["public_key"],
        "WECHATPAY_PUBLIC_KEY_ID": keys["public_key_id"],
    }


@pytest.fixture(scope="module")
def two_merchants(tmp_path_factory):
    """The fake with both merchants; (fake, deployment settings, 桃源镇's own settings)."""
    deployment_key, deployment_public = fake_process.key_pair()
    taoyuan_key, taoyuan_public = fake_process.key_pair()
    process, base, log = _start(
        "fake_wechatpay.py",
        {
            **DEPLOYMENT,
            "merchant_public_key": deployment_public,
            "app_secret": "unused",
            "merchants": [{**TAOYUAN, "merchant_public_key": taoyuan_public}],
        },
        tmp_path_factory.mktemp("fake_wechatpay_townships"),
    )
    keys = _call(base, "/_fake/keys")
    yield (
        Fake(base),
        {**settings(DEPLOYMENT, deployment_key, keys), "WECHATPAY_API_BASE": base},
        settings(TAOYUAN, taoyuan_key, keys),
    )
    fake_process.stop(process, log)


@pytest.fixture
def paying(app, live_server, two_merchants):
    fake, deployment, taoyuan = two_merchants
    fake.reset()
    app.config.update(PUBLIC_URL=live_server, PAYMENT_TOWNSHIPS={"TAOYUAN": taoyuan}, **deployment)
    return fake


def fund_slugs(app) -> dict[str, str]:
    with looking(app) as session:
        taoyuan = session.scalar(
            select(Fund).join(Township).where(Township.slug == "taoyuan").order_by(Fund.id)
        )
        return {"luwan": FUNDS["luwan"], "taoyuan": taoyuan.slug}


def test_each_townships_gift_is_paid_to_its_host_and_booked_to_its_fund(app, client, paying):
    slugs = fund_slugs(app)
    gifts = {}
    for township, slug in slugs.items():
        page = give(client, slug, "wechatpay", DESKTOP, amount="120")
        assert page.status_code == 200, page.get_data(as_text=True)
        gifts[township] = newest(app)
    at_gateway = {o["out_trade_no"]: o for o in paying.orders()}
    luwan, taoyuan = (at_gateway[gifts[t].gateway_ref] for t in ("luwan", "taoyuan"))
    # Each order was signed by, and belongs to, its township's host charity.
    assert luwan["mchid"] == DEPLOYMENT["mchid"] and taoyuan["mchid"] == TAOYUAN["mchid"]
    assert urlsplit(luwan["notify_url"]).path == "/payments/wechatpay/webhook"
    assert urlsplit(taoyuan["notify_url"]).path == "/payments/wechatpay/webhook/TAOYUAN"

    for township in ("taoyuan", "luwan"):
        paying.pay(gifts[township].gateway_ref)
    assert [n["status"] for n in paying.notifications()] == [200, 200]
    for township, gift in gifts.items():
        booked = row(app, gift.id)
        assert booked.status == "confirmed", township
        assert booked.fund_id == gift.fund_id
        assert ledger(app, gift.id) == [("donation", 12000)]
    with looking(app) as session:
        townships = {
            gift.fund_id: session.get(Fund, gift.fund_id).township.slug for gift in gifts.values()
        }
    assert townships == {gifts["luwan"].fund_id: "luwan", gifts["taoyuan"].fund_id: "taoyuan"}

    # 桃源镇's notification at the deployment's address: its APIv3 key is not ours there.
    taoyuan_note = next(n for n in paying.notifications() if n["url"].endswith("/webhook/TAOYUAN"))
    refused = client.post(
        "/payments/wechatpay/webhook",
        data=taoyuan_note["body"].encode(),
        headers=taoyuan_note["headers"],
        content_type="application/json",
    )
    assert refused.status_code == 400
    # A township without its own account has no address of its own.
    assert (
        client.post(
            "/payments/wechatpay/webhook/LUWAN", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_the_refund_and_the_order_query_go_through_the_townships_account(app, client, paying):
    slug = fund_slugs(app)["taoyuan"]
    give(client, slug, "wechatpay", DESKTOP, amount="80")
    gift = newest(app)
    paying.pay(gift.gateway_ref, notify=False)
    checked = client.post(f"/f/{slug}/donate/{gift.id}/check")  # signed by 桃源镇's key
    assert checked.status_code in (200, 302)
    assert row(app, gift.id).status == "confirmed"
    with app.test_request_context(), using(SYSTEM):
        gateway = get_gateway("wechatpay", township="taoyuan")
        refund = gateway.refund(db.session.get(Donation, gift.id), 3000)
        assert refund.amount_fen == 3000
        db.session.remove()
    order = {o["out_trade_no"]: o for o in paying.orders()}[gift.gateway_ref]
    assert order["refunded_fen"] == 3000 and order["mchid"] == TAOYUAN["mchid"]
    # Its REFUND.SUCCESS reaches 桃源镇's address, is opened with its key and booked.
    sent = paying.wait_for_notifications(1)  # the payment's was held: the query booked it
    assert sent[-1]["url"].endswith("/webhook/TAOYUAN") and sent[-1]["status"] == 200
    assert ledger(app, gift.id) == [("donation", 8000), ("refund", -3000)]


def test_the_fake_checks_each_merchants_requests_with_that_merchants_key(
    app, paying, two_merchants
):
    _fake, deployment, taoyuan = two_merchants
    with app.test_request_context():
        code, _body = get_gateway("wechatpay", township="taoyuan").client.query(
            out_trade_no="SLF1D0N1"
        )
        assert code == 404  # signed right: the fake looked for the order
        wrong = {**taoyuan, "WECHATPAY_PRIVATE_KEY": deployment["WECHATPAY_PRIVATE_KEY"]}
        app.config.update(PAYMENT_TOWNSHIPS={"TAOYUAN": wrong})
        code, body = get_gateway("wechatpay", township="taoyuan").client.query(
            out_trade_no="SLF1D0N1"
        )
        assert code == 401 and "签名错误" in body


def test_a_townships_account_books_only_its_own_funds(app, paying):
    with app.test_request_context(), using(SYSTEM):
        luwan_fund = db.session.scalar(select(Fund).where(Fund.slug == FUNDS["luwan"]))
        gateway = get_gateway("wechatpay", township="taoyuan")
        event = Event(
            "pay:42000000001",
            "TRANSACTION.SUCCESS",
            SUCCEEDED,
            fund_id=luwan_fund.id,
            payment_ref=f"SLF{luwan_fund.id}D0N1",
            amount_fen=100,
            transaction_id="42000000001",
        )
        assert handle_event(gateway, event) == "not ours"
        db.session.rollback()


def test_township_settings_are_read_from_the_environment(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----PRIVATE-----")
    environ = {
        "WECHATPAY_MCHID": "1",
        "WECHATPAY_PUBLIC_KEY_ID": "PUB",
        "WECHATPAY_PRIVATE_KEY_FILE": "/nowhere",
        **{
            f"WECHATPAY_TAO_YUAN_{n}": n.lower()
            for n in credentials.OWN["WECHATPAY_"]
            if n != "PRIVATE_KEY"
        },
        "WECHATPAY_TAO_YUAN_PRIVATE_KEY_FILE": str(key),
        "ALIPAY_LUWAN_APPID": "2021",
        "ALIPAY_LUWAN_PRIVATE_KEY": "p",
        "ALIPAY_LUWAN_PUBLIC_KEY": "q",
    }
    found = credentials.from_environment(environ)
    assert sorted(found) == ["LUWAN", "TAO_YUAN"]
    assert found["TAO_YUAN"]["WECHATPAY_PRIVATE_KEY"] == "-----PRIVATE-----"
    assert found["TAO_YUAN"]["WECHATPAY_PUBLIC_KEY_ID"] == "public_key_id"
    assert found["TAO_YUAN"]["WECHATPAY_PUBLIC_KEY"] == "public_key"
    assert found["LUWAN"] == {
        "ALIPAY_APPID": "2021",
        "ALIPAY_PRIVATE_KEY": "p",
        "ALIPAY_PUBLIC_KEY": "q",
    }
    config = {"WECHATPAY_MCHID": "1", "ALIPAY_APPID": "9", "PAYMENT_TOWNSHIPS": found}
    assert credentials.settings_for(config, "tao-yuan")["WECHATPAY_MCHID"] == "mchid"
    assert credentials.settings_for(config, "luwan")["WECHATPAY_MCHID"] == "1"  # falls back
    assert credentials.settings_for(config, "elsewhere") is config
    with pytest.raises(ValueError, match="ALIPAY_LUWAN_PUBLIC_KEY missing"):
        credentials.from_environment(
            {"ALIPAY_LUWAN_APPID": "2021", "ALIPAY_LUWAN_PRIVATE_KEY": "p"}
        )
    assert json.dumps(credentials.from_environment({"WECHATPAY_MCHID": "1"})) == "{}"
