"""WeChat Pay and Alipay as local processes (tests/fake_wechatpay.py, tests/fake_alipay.py,
started by tests/fake_process.py),
and the app paying through them on a live port: fixtures any test module may use (conftest
imports them), and a handle on each fake to play the payer.

    def test_x(app, client, wechatpay):   # the app configured for the fake, on a live port
        ...; wechatpay.fake.pay(out_trade_no)  # the donor pays: the signed notification
                                               # reaches the app before this returns

The merchant's keys are made here, once per module; each fake makes its own platform key and
publishes its public half, which the app is then configured with, as a host charity copies it
from the merchant platform.
"""

import json
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from app.ledger.models import LedgerEntry
from tenants import SYSTEM, using

from . import fake_process

WECHAT_MCHID, WECHAT_APPID = "1900000109", "wx8888888888888888"
WECHAT_APIV3_KEY = "shanlin-test-apiv3-key-32-bytes!"  # 32 bytes, as WeChat Pay requires
WECHAT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD2A3D5EDA"
WECHAT_APP_SECRET = "shanlin-official-account-secret"
ALIPAY_APPID = "2021000000000001"


def _call(base: str, path: str, data=None, method: str | None = None):
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(f"{base}{path}", data=body, method=method or (
        "POST" if body is not None else "GET"), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{path}: {error.code} {error.read().decode()}") from None


class Fake:
    """A running fake: its base URL and the payer's side of it."""

    def __init__(self, base: str):
        self.base = base

    def pay(self, out_trade_no: str, amount=None, notify: bool = True) -> dict:
        """The donor pays the order (WeChat: amount in fen; Alipay: in yuan, as text)."""
        data = {"out_trade_no": out_trade_no, "notify": notify}
        if amount is not None:
            data["amount"] = amount
        return _call(self.base, "/_fake/pay", data)

    def deliver(self) -> list[int]:
        """Send the held (and earlier refused) notifications now; their HTTP statuses."""
        return _call(self.base, "/_fake/deliver", {})["statuses"]

    def expire(self, out_trade_no: str) -> None:
        """The order's time runs out unpaid: the gateway closes it."""
        _call(self.base, "/_fake/expire", {"out_trade_no": out_trade_no})

    def notifications(self) -> list[dict]:
        return _call(self.base, "/_fake/notifications")

    def held(self) -> list[dict]:
        """Notifications not sent yet (held, or refused by the app)."""
        return _call(self.base, "/_fake/held")

    def orders(self) -> list[dict]:
        return _call(self.base, "/_fake/orders")

    def reset(self) -> None:
        _call(self.base, "/_fake/state", method="DELETE")

    def wait_for_notifications(self, count: int, timeout: float = 10) -> list[dict]:
        """The refund notifications follow the refund's answer by a moment."""
        deadline = time.monotonic() + timeout
        while len(sent := self.notifications()) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.base}: {len(sent)} notifications, expected {count}")
            time.sleep(0.05)
        return sent


def _start(script: str, config: dict, folder):
    try:
        return fake_process.start(script, config, folder)
    except RuntimeError as error:
        pytest.fail(str(error))


@dataclass
class Gateway:
    """A fake, the settings that point the app at it, and the app's live address."""

    fake: Fake
    settings: dict
    url: str = ""


@pytest.fixture(scope="module")
def wechatpay_fake(tmp_path_factory):
    private, public = fake_process.key_pair()
    process, base, log = _start("fake_wechatpay.py", {
        "mchid": WECHAT_MCHID, "appid": WECHAT_APPID, "apiv3_key": WECHAT_APIV3_KEY,
        "merchant_public_key": public, "merchant_serial_no": WECHAT_SERIAL,
        "app_secret": WECHAT_APP_SECRET}, tmp_path_factory.mktemp("fake_wechatpay"))
    keys = _call(base, "/_fake/keys")
    yield Gateway(Fake(base), {
        "WECHATPAY_MCHID": WECHAT_MCHID, "WECHATPAY_APPID": WECHAT_APPID,
        "WECHATPAY_APIV3_KEY": WECHAT_APIV3_KEY, "WECHATPAY_PRIVATE_KEY": private,
        "WECHATPAY_CERT_SERIAL_NO": WECHAT_SERIAL, "WECHATPAY_PUBLIC_KEY": keys["public_key"],
        "WECHATPAY_PUBLIC_KEY_ID": keys["public_key_id"], "WECHATPAY_API_BASE": base,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET, "WECHAT_OAUTH_BASE": base,
        "WECHAT_API_BASE": base})
    fake_process.stop(process, log)


@pytest.fixture(scope="module")
def alipay_fake(tmp_path_factory):
    private, public = fake_process.key_pair()
    process, base, log = _start("fake_alipay.py", {"appid": ALIPAY_APPID,
                                                   "app_public_key": public},
                                tmp_path_factory.mktemp("fake_alipay"))
    keys = _call(base, "/_fake/keys")
    yield Gateway(Fake(base), {"ALIPAY_APPID": ALIPAY_APPID, "ALIPAY_PRIVATE_KEY": private,
                               "ALIPAY_PUBLIC_KEY": keys["public_key"],
                               "ALIPAY_GATEWAY": f"{base}/gateway.do"})
    fake_process.stop(process, log)


def _paying(app, live_server, gateway: Gateway) -> Gateway:
    gateway.fake.reset()  # the fake outlives the test's database: forget its orders
    app.config.update(PUBLIC_URL=live_server, **gateway.settings)
    return Gateway(gateway.fake, gateway.settings, live_server)


@pytest.fixture
def wechatpay(app, live_server, wechatpay_fake) -> Gateway:
    """The app on a live port (its notify URL), paying through the WeChat Pay fake."""
    return _paying(app, live_server, wechatpay_fake)


@pytest.fixture
def alipay(app, live_server, alipay_fake) -> Gateway:
    """The app on a live port (its notify URL), paying through the Alipay fake."""
    return _paying(app, live_server, alipay_fake)


# --- a donor on the donate page, in a given browser --------------------------------------

DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36")
PHONE = ("Mozilla/5.0 (Linux; Android 13; PGBM10) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Mobile Safari/537.36")
WECHAT = ("Mozilla/5.0 (Linux; Android 13; PGBM10 Build/TP1A.220905.001; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
          "MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin "
          "NetType/WIFI Language/zh_CN ABI/arm64")


def give(client, fund_slug: str, method: str, user_agent: str = DESKTOP, **form):
    """Post the donate form as a donor in that browser; the response (a pay page or a
    redirect to the gateway's cashier)."""
    data = {"amount": "200", "name": "周慧敏", "phone": "13812340001", "anonymity": "caring",
            "designation": "0", "method": method, **form}
    return client.post(f"/f/{fund_slug}/donate", data=data,
                       headers={"User-Agent": user_agent})


# --- what the books say, read between requests; and requests fired together -----------------

@contextmanager
def looking(app):
    """A session under the system scope, gone afterwards: no transaction stays open while the
    live server works."""
    with app.app_context(), using(SYSTEM):
        yield db.session
        db.session.remove()


def row(app, donation_id: int) -> Donation:
    with looking(app) as session:
        donation = session.get(Donation, donation_id)
        session.expunge(donation)
        return donation


def newest(app) -> Donation:
    with looking(app) as session:
        donation = session.scalar(select(Donation).order_by(Donation.id.desc()))
        session.expunge(donation)
        return donation


def ledger(app, donation_id: int) -> list[tuple[str, int]]:
    """The gift's ledger entries as (kind, fen), in order."""
    with looking(app) as session:
        return [(e.kind, e.amount_fen) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.donation_id == donation_id)
            .order_by(LedgerEntry.id))]
