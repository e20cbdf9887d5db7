"""What every payment gateway offers, in the fund's terms, and the registry that finds one.

A gateway starts a payment for a pending donation, turns its webhooks into a few plain events,
and gives money back. The donation rules never see a gateway's own objects, so adding WeChat
Pay or Alipay means one module here and one line in GATEWAYS.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app
from werkzeug.utils import import_string

SUCCEEDED = "succeeded"
FAILED = "failed"
REFUNDED = "refunded"
OTHER = "other"  # an event the fund does not act on

GATEWAYS = {
    "offline": "app.payments.offline:OfflineGateway",
    "stripe": "app.payments.stripe_gateway:StripeGateway",
}


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message is for the person waiting."""


class BadWebhook(Exception):
    """A webhook that does not prove it comes from the gateway: nothing may change."""


@dataclass(frozen=True)
class Payment:
    ref: str  # the gateway's id for it, kept as Donation.gateway_ref
    client_secret: str  # lets the donor's browser pay this one payment; never stored


@dataclass(frozen=True)
class Checkout:
    """The page on which the donor pays: a template, what it needs, and the CSP it needs."""

    template: str
    context: dict = field(default_factory=dict)
    csp: str | None = None


@dataclass(frozen=True)
class Event:
    id: str
    type: str  # the gateway's own name for it, kept in PaymentEvent.event_type
    kind: str  # SUCCEEDED, FAILED, REFUNDED or OTHER
    fund_id: int | None = None
    payment_ref: str | None = None
    amount_fen: int | None = None  # SUCCEEDED: what was paid, in CNY fen
    refunded_total_fen: int | None = None  # REFUNDED: everything refunded so far


@dataclass(frozen=True)
class Refund:
    ref: str
    amount_fen: int


class Gateway(Protocol):
    name: str
    online: bool  # the donor pays on our page (False: money handed to a treasurer)

    def start(self, donation) -> Payment: ...

    def checkout(self, payment: Payment) -> Checkout: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> Event: ...

    def refund(self, donation, amount_fen: int) -> Refund: ...


def get_gateway(name: str | None, config: Mapping | None = None) -> Gateway:
    """The gateway of that name, set up from the app's config (None: money recorded offline)."""
    path = GATEWAYS.get(name or "offline")
    if path is None:
        raise KeyError(f"no payment gateway called {name!r}")
    return import_string(path)(config if config is not None else current_app.config)


def online_gateway(config: Mapping | None = None) -> Gateway | None:
    """The gateway donors pay through on the donate page, or None when none is set up."""
    config = config if config is not None else current_app.config
    for name in GATEWAYS:
        gateway_class = import_string(GATEWAYS[name])
        if gateway_class.online and gateway_class.configured(config):
            return gateway_class(config)
    return None
