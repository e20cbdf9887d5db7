"""What every payment gateway offers, in the fund's terms, and the registry that finds one.

A gateway starts a payment for a pending donation, turns its webhooks (and its answer to an
order query) into a few plain events, and gives money back. The donation rules never see a
gateway's own objects: each gateway is one module here and one line in GATEWAYS, and every
gateway's events go through the same booking path (services.handle_event).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.utils import import_string

from app.security import CSP
from app.urls import external_url

from .credentials import settings_for

SUCCEEDED = "succeeded"
FAILED = "failed"
REFUNDED = "refunded"
OTHER = "other"  # an event the fund does not act on

# In the order the donate page offers them: what villagers use first, cards for donors abroad.
GATEWAYS = {
    "offline": "app.payments.offline:OfflineGateway",
    "wechatpay": "app.payments.wechatpay_gateway:WeChatPayGateway",
    "alipay": "app.payments.alipay_gateway:AlipayGateway",
    "stripe": "app.payments.stripe_gateway:StripeGateway",
}


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message is for the person waiting."""


class BadWebhook(Exception):
    """A webhook that does not prove it comes from the gateway: nothing may change."""


@dataclass(frozen=True)
class Payer:
    """What a gateway may need to know about the donor's side to start a payment."""

    mode: str = ""  # how the donor pays at this gateway (WeChat: jsapi, h5 or native)
    client_ip: str = ""
    openid: str = ""  # WeChat: the donor's id under the official account (JSAPI only)


@dataclass(frozen=True)
class Payment:
    ref: str  # the gateway's id for it, kept as Donation.gateway_ref
    client_secret: str = ""  # lets the donor's browser pay this one payment; never stored
    details: dict = field(default_factory=dict)  # what the pay page shows (a QR code's URL)


@dataclass(frozen=True)
class Checkout:
    """The page on which the donor pays: a template, what it needs, and the CSP it needs; or
    the gateway's own page the browser is sent to."""

    template: str = ""
    context: dict = field(default_factory=dict)
    csp: str | None = None
    redirect: str | None = None


@dataclass(frozen=True)
class Event:
    id: str
    type: str  # the gateway's own name for it, kept in PaymentEvent.event_type
    kind: str  # SUCCEEDED, FAILED, REFUNDED or OTHER
    fund_id: int | None = None
    payment_ref: str | None = None
    amount_fen: int | None = None  # SUCCEEDED: what was paid, in CNY fen
    refunded_total_fen: int | None = None  # REFUNDED: everything refunded so far
    # REFUNDED, by gateways that report each refund on its own: its ledger reference (the one
    # refund() answered with, so the two meet) and its amount.
    refund_ref: str | None = None
    refund_fen: int | None = None
    transaction_id: str | None = None  # SUCCEEDED: the gateway's trade number (微信支付订单号)


@dataclass(frozen=True)
class Refund:
    ref: str
    amount_fen: int


class Gateway(Protocol):
    name: str
    online: bool  # the donor pays on our page (False: money handed to a treasurer)
    channel: str  # the donation channel its gifts are booked under

    def start(self, donation, payer: Payer) -> Payment: ...

    def checkout(self, payment: Payment, return_url: str) -> Checkout: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> Event: ...

    def query(self, donation) -> Event | None:
        """The order as the gateway knows it now (None: not paid, not closed yet)."""

    def refund(self, donation, amount_fen: int) -> Refund: ...

    def acknowledge(self) -> tuple[object, int] | None:
        """The answer that tells the gateway a webhook arrived (None: the JSON default)."""


def get_gateway(name: str | None, config: Mapping | None = None,
                township: str | None = None) -> Gateway:
    """The gateway of that name, set up from the app's config (None: money recorded offline),
    with the township's own merchant account when it has one (credentials.py)."""
    path = GATEWAYS.get(name or "offline")
    if path is None:
        raise KeyError(f"no payment gateway called {name!r}")
    return import_string(path)(settings_for(
        config if config is not None else current_app.config, township))


def fund_gateway(name: str | None, fund) -> Gateway:
    """The gateway a fund's gifts go through: its township's host charity's account."""
    return get_gateway(name, township=fund.township.slug)


def online_gateways(config: Mapping | None = None, township: str | None = None) -> list[Gateway]:
    """The gateways donors may pay through on the donate page, in GATEWAYS' order."""
    config = settings_for(config if config is not None else current_app.config, township)
    found = []
    for path in GATEWAYS.values():
        gateway_class = import_string(path)
        if gateway_class.online and gateway_class.configured(config):
            found.append(gateway_class(config))
    return found


def online_gateway(config: Mapping | None = None) -> Gateway | None:
    """The first gateway donors may pay through, or None when none is set up."""
    gateways = online_gateways(config)
    return gateways[0] if gateways else None


def notify_url(gateway) -> str:
    """Where the gateway posts its notifications: a township's own merchant account has its
    own address, so that the notification is checked with that account's keys."""
    township = getattr(gateway, "township", None)
    if township:
        return external_url("payments.webhook", gateway_name=gateway.name, township=township)
    return external_url("payments.webhook", gateway_name=gateway.name)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_with(extra: Mapping[str, str], base: str = CSP) -> str:
    """The app's CSP (or the one given) with more sources for some directives."""
    directives = dict(part.strip().split(" ", 1) for part in base.split(";"))
    for name, sources in extra.items():
        directives[name] = f"{directives.get(name, '')} {sources}".strip()
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())
