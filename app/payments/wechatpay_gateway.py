"""WeChat Pay (API v3) through the wechatpayv3 SDK, for the host charity's merchant account.

JSAPI inside WeChat's browser, H5 on other phone browsers, Native (a QR code) on a computer.
Public-key mode: merchants registered since late 2024 get a platform public key and its id
instead of platform certificates, and the SDK checks every answer and notification with it.
A notification is checked on its raw bytes and headers, then decrypted with the APIv3 key;
only then does it become an Event.
"""

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import requests
import wechatpayv3.core
from flask_babel import lazy_gettext as _l
from wechatpayv3 import WeChatPay, WeChatPayType

from app import qr
from app.clock import LOCAL
from app.db_types import utcnow

from . import orders
from .credentials import TOWNSHIP
from .gateway import (
    FAILED,
    OTHER,
    REFUNDED,
    SUCCEEDED,
    BadWebhook,
    Checkout,
    Event,
    GatewayError,
    Payer,
    Payment,
    Refund,
    notify_url,
    origin,
)

log = logging.getLogger(__name__)

API = "https://api.mch.weixin.qq.com"
H5_ORIGIN = "https://wx.tenpay.com"
SETTINGS = ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY", "WECHATPAY_PRIVATE_KEY",
            "WECHATPAY_CERT_SERIAL_NO", "WECHATPAY_PUBLIC_KEY", "WECHATPAY_PUBLIC_KEY_ID")
MODES = {"jsapi": WeChatPayType.JSAPI, "h5": WeChatPayType.H5, "native": WeChatPayType.NATIVE}
ORDER_HOURS = 2  # an unpaid order closes itself after this; the gift then shows as failed
MAX_SKEW = 300  # seconds: an older notification is a replay from outside, not WeChat retrying
TIMEOUT = (5, 15)  # connect, read: a donor is waiting
PAID_STATES = ("SUCCESS", "REFUND")  # REFUND: paid, then (partly) given back
CLOSED_STATES = ("CLOSED", "REVOKED", "PAYERROR")

START_FAILED = _l("WeChat Pay did not answer. Nothing was charged: please try again in a few "
                  "minutes.")
REFUND_FAILED = _l("WeChat Pay refused the refund or did not answer. Nothing was refunded: check "
                   "the amount, or try again later.")
QUERY_FAILED = _l("WeChat Pay did not answer. Your gift is recorded as soon as it does.")


class _Session(requests.Session):
    """A Session that reads the environment once per host: requests otherwise reads every
    variable for a proxy, and ~/.netrc, again on every call (~0.3 ms an order). No netrc: its
    password would replace the SDK's signed Authorization header."""

    def __init__(self):
        super().__init__()
        self.trust_env = False
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE") or True
        self._proxies: dict[str, dict] = {}

    def request(self, method, url, *args, **kwargs):
        if not kwargs.get("proxies"):  # the SDK's own setting, None unless it is given one
            host = urlsplit(url).netloc
            if host not in self._proxies:  # HTTPS_PROXY and the like, NO_PROXY applied
                self._proxies[host] = requests.utils.get_environ_proxies(url)
            kwargs["proxies"] = self._proxies[host]
        return super().request(method, url, *args, **kwargs)


class _KeptConnections:
    """Stands in for the requests module in the SDK's core, whose get/post/… open a new
    connection (a TCP and TLS handshake with WeChat) for every call: here they go through one
    Session per thread, which keeps the connection alive for the next order (on loopback
    against tests/fake_wechatpay.py: ~4 → ~2 ms an order's call). Per thread: a Session is
    not meant to be shared between threads."""

    _local = threading.local()

    def __getattr__(self, verb: str):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _Session()
        return getattr(session, verb)


wechatpayv3.core.requests = _KeptConnections()


@lru_cache(maxsize=32)
def _client(mchid, appid, apiv3_key, private_key, serial_no, public_key, public_key_id, api):
    """One SDK client per set of credentials and process: it parses the keys once."""
    client = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=mchid, private_key=private_key,
                       cert_serial_no=serial_no, appid=appid, apiv3_key=apiv3_key,
                       public_key=public_key, public_key_id=public_key_id, timeout=TIMEOUT,
                       logger=log)
    # The SDK has no setting for its host; the tests point it at their local fake.
    client._core._gate_way = api
    return client


class WeChatPayGateway:
    name = "wechatpay"
    online = True
    channel = "wechat"
    label = _l("WeChat Pay")

    def __init__(self, config: Mapping):
        self.mchid = config.get("WECHATPAY_MCHID")
        self.township = config.get(TOWNSHIP)  # its own merchant account's township, or None
        self.appid = config.get("WECHATPAY_APPID")
        self.public_key_id = config.get("WECHATPAY_PUBLIC_KEY_ID")
        self._settings = tuple(config.get(key) for key in SETTINGS) + (
            (config.get("WECHATPAY_API_BASE") or API).rstrip("/"),)

    @staticmethod
    def configured(config: Mapping) -> bool:
        return all(config.get(key) for key in SETTINGS)

    @property
    def client(self) -> WeChatPay:
        return _client(*self._settings)

    @property
    def page_origins(self) -> tuple[str, ...]:
        """Where the donate form's answer may send the browser (H5's cashier page)."""
        return (H5_ORIGIN, origin(self._settings[-1]))

    def _call(self, what, failure, *args, **kwargs) -> dict:
        """The SDK's answer as a dict; GatewayError(failure) when WeChat refused or was silent.
        The SDK raises bare Exceptions (a bad answer signature among them)."""
        try:
            code, body = what(*args, **kwargs)
        except Exception as error:
            log.warning("WeChat Pay: %s", error)
            raise GatewayError(failure) from error
        if code == 204:
            return {}
        data = json.loads(body) if isinstance(body, str) and body else {}
        if not 200 <= code < 300:
            log.warning("WeChat Pay answered %s: %s", code, body)
            raise GatewayError(failure)
        return data

    def start(self, donation, payer: Payer) -> Payment:
        from app.extensions import db
        from app.funds.models import Fund

        mode = payer.mode if payer.mode in MODES else "native"
        fund = db.session.get(Fund, donation.fund_id)
        out_trade_no = orders.number(donation)
        expires = (utcnow() + timedelta(hours=ORDER_HOURS)).astimezone(LOCAL)
        extra = {}
        if mode == "jsapi":
            extra["payer"] = {"openid": payer.openid}
        if mode == "h5":
            extra["scene_info"] = {"payer_client_ip": payer.client_ip or "127.0.0.1",
                                   "h5_info": {"type": "Wap"}}
        answer = self._call(
            self.client.pay, START_FAILED, description=f"{fund.name}捐赠"[:40],
            out_trade_no=out_trade_no, amount={"total": donation.amount_fen, "currency": "CNY"},
            time_expire=expires.isoformat(timespec="seconds"), attach=orders.attach(donation),
            notify_url=notify_url(self),
            pay_type=MODES[mode], **extra)
        if mode == "jsapi":
            details = self._jsapi_params(answer["prepay_id"])
        elif mode == "h5":
            details = {"h5_url": answer["h5_url"]}
        else:
            details = {"code_url": answer["code_url"]}
        return Payment(ref=out_trade_no, details={"mode": mode, **details})

    def _jsapi_params(self, prepay_id: str) -> dict:
        """What WeixinJSBridge's getBrandWCPayRequest takes, signed with the merchant's key."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        return {"appId": self.appid, "timeStamp": timestamp, "nonceStr": nonce,
                "package": package, "signType": "RSA",
                "paySign": self.client.sign([self.appid, timestamp, nonce, package])}

    def checkout(self, payment: Payment, return_url: str) -> Checkout:
        from urllib.parse import quote

        details = payment.details
        if details["mode"] == "h5":
            # WeChat sends the browser back here after paying (or giving up).
            return Checkout(redirect=f"{details['h5_url']}&redirect_url={quote(return_url, '')}")
        if details["mode"] == "jsapi":
            return Checkout("payments/pay_wechat.html",
                            {"mode": "jsapi", "jsapi": json.dumps(
                                {k: v for k, v in details.items() if k != "mode"})})
        return Checkout("payments/pay_wechat.html",
                        {"mode": "native", "qr": qr.scalable_svg_data_uri(details["code_url"])})

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> Event:
        # Checked before the SDK sees them: with another key id it would go and fetch
        # platform certificates, for anyone who posts here.
        if headers.get("Wechatpay-Serial") != self.public_key_id:
            raise BadWebhook("Wechatpay-Serial is not our platform public key's id")
        try:
            sent = int(headers.get("Wechatpay-Timestamp", ""))
        except ValueError:
            raise BadWebhook("no Wechatpay-Timestamp") from None
        if abs(time.time() - sent) > MAX_SKEW:
            raise BadWebhook("Wechatpay-Timestamp is more than five minutes off")
        try:
            data = self.client.callback(headers, body)
        except Exception as error:
            raise BadWebhook(str(error)) from error
        if not data:  # a bad signature, or a resource the APIv3 key does not open
            raise BadWebhook("signature or encryption does not check out")
        resource, event_type = data["resource"], data.get("event_type", "")
        if resource.get("mchid") != self.mchid:
            raise BadWebhook("a notification for another merchant")
        if event_type.startswith("TRANSACTION."):
            return self._transaction_event(resource, event_type)
        if event_type == "REFUND.SUCCESS":
            order = orders.parse(resource.get("out_trade_no"))
            return Event(f"refund:{resource['refund_id']}", event_type, REFUNDED,
                         fund_id=order.fund_id if order else None,
                         payment_ref=resource.get("out_trade_no"),
                         refund_ref=f"{self.name}:{resource['out_refund_no']}",
                         refund_fen=int(resource["amount"]["refund"]))
        # A refund that failed at the bank (ABNORMAL) or closed stays booked as owed to the
        # donor; the treasurer sees it in WeChat's merchant platform.
        log.warning("WeChat Pay %s for %s", event_type, resource.get("out_refund_no"))
        return Event(data.get("id", ""), event_type, OTHER)

    def _transaction_event(self, transaction: dict, event_type: str) -> Event:
        """A transaction (from a notification or a query) as an Event. Its id is the
        transaction id, so a notification and a query of the same payment book it once."""
        out_trade_no = transaction.get("out_trade_no")
        order = orders.parse(out_trade_no)
        fund_id = order.fund_id if order else None
        state = transaction.get("trade_state")
        if state in PAID_STATES:
            amount = transaction.get("amount") or {}
            paid = amount.get("total") if amount.get("currency", "CNY") == "CNY" else None
            return Event(f"pay:{transaction['transaction_id']}", event_type, SUCCEEDED,
                         fund_id=fund_id, payment_ref=out_trade_no, amount_fen=paid,
                         transaction_id=transaction["transaction_id"])
        if state in CLOSED_STATES:
            return Event(f"closed:{out_trade_no}", event_type, FAILED, fund_id=fund_id,
                         payment_ref=out_trade_no)
        return Event(f"{state}:{out_trade_no}", event_type, OTHER)

    def query(self, donation) -> Event | None:
        try:
            code, body = self.client.query(out_trade_no=donation.gateway_ref)
        except Exception as error:
            log.warning("WeChat Pay query of %s: %s", donation.gateway_ref, error)
            raise GatewayError(QUERY_FAILED) from error
        if code == 404:
            return None  # WeChat never saw the order: nothing to book
        if code != 200:
            log.warning("WeChat Pay query of %s answered %s: %s", donation.gateway_ref, code,
                        body)
            raise GatewayError(QUERY_FAILED)
        event = self._transaction_event(json.loads(body), "QUERY")
        return None if event.kind == OTHER else event

    def close(self, donation) -> None:
        """Close an unpaid order, so that it can no longer be paid."""
        self._call(self.client.close, QUERY_FAILED, out_trade_no=donation.gateway_ref)

    def refund(self, donation, amount_fen: int) -> Refund:
        out_refund_no = orders.refund_number(donation, amount_fen)
        answer = self._call(
            self.client.refund, REFUND_FAILED, out_refund_no=out_refund_no,
            out_trade_no=donation.gateway_ref,
            amount={"refund": amount_fen, "total": donation.amount_fen, "currency": "CNY"},
            notify_url=notify_url(self))
        if answer.get("status") not in ("SUCCESS", "PROCESSING"):
            log.warning("WeChat Pay refund %s: %s", out_refund_no, answer)
            raise GatewayError(REFUND_FAILED)
        # Booked now, under the name its REFUND.SUCCESS notification will carry.
        return Refund(ref=f"{self.name}:{out_refund_no}", amount_fen=answer["amount"]["refund"])

    def acknowledge(self):
        return None  # 200 with any body: WeChat stops sending
