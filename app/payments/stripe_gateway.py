"""Card gifts through Stripe: a PaymentIntent in CNY per gift, signed webhooks, refunds."""

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import stripe
from flask_babel import lazy_gettext as _l

from app.validation import int_or_none

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
    csp_with,
)

log = logging.getLogger(__name__)

CURRENCY = "cny"
JS_URL = "https://js.stripe.com/v3/"
KINDS = {
    "payment_intent.succeeded": SUCCEEDED,
    "payment_intent.payment_failed": FAILED,
    "charge.refunded": REFUNDED,
}
# Stripe.js comes from js.stripe.com, talks to api.stripe.com and shows the card fields and
# 3-D Secure in frames. Only the page that takes the payment allows them.
CHECKOUT_SOURCES = {
    "script-src": "https://js.stripe.com",
    "frame-src": "https://js.stripe.com https://hooks.stripe.com",
    "connect-src": "https://api.stripe.com",
}
START_FAILED = _l("The card payment service did not answer. Nothing was charged: please try "
                  "again in a few minutes.")
REFUND_FAILED = _l("The card payment service refused the refund or did not answer. Nothing was "
                   "refunded: check the amount, or try again later.")
LOOKUP_FAILED = _l("The card payment service did not answer.")


class StripeGateway:
    name = "stripe"
    online = True
    channel = "card"
    label = _l("Bank card (Stripe)")

    def __init__(self, config: Mapping):
        self.secret_key = config.get("STRIPE_SECRET_KEY")
        self.publishable_key = config.get("STRIPE_PUBLISHABLE_KEY")
        self.webhook_secret = config.get("STRIPE_WEBHOOK_SECRET")
        self.api_base = config.get("STRIPE_API_BASE")

    @staticmethod
    def configured(config: Mapping) -> bool:
        # Without the webhook secret no payment could ever be confirmed: not configured.
        return all(config.get(key) for key in
                   ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"))

    @contextmanager
    def _client(self) -> Iterator[stripe.StripeClient]:
        # A client of our own per call instead of stripe.api_key / stripe.api_base: two apps
        # in one process (the tests) share no settings, and closing it leaves no open socket.
        http = stripe.RequestsClient(timeout=30)
        client = stripe.StripeClient(
            self.secret_key, http_client=http, max_network_retries=2,
            base_addresses={"api": self.api_base} if self.api_base else None,
        )
        try:
            yield client
        finally:
            http.close()

    def start(self, donation, payer: Payer | None = None) -> Payment:
        try:
            with self._client() as client:
                intent = client.v1.payment_intents.create({
                    "amount": donation.amount_fen,
                    "currency": CURRENCY,
                    "metadata": _metadata(donation),
                })
        except stripe.StripeError as error:
            log.warning("Stripe refused a payment for donation %s: %s", donation.id, error)
            raise GatewayError(START_FAILED) from error
        return Payment(ref=intent.id, client_secret=intent.client_secret)

    def checkout(self, payment: Payment, return_url: str = "") -> Checkout:
        return Checkout(
            "payments/pay_stripe.html",
            {"publishable_key": self.publishable_key, "client_secret": payment.client_secret,
             "js_url": JS_URL},
            csp=csp_with(CHECKOUT_SOURCES),
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> Event:
        if not self.webhook_secret:
            raise BadWebhook("STRIPE_WEBHOOK_SECRET is not set")
        try:
            event = stripe.Webhook.construct_event(body, headers.get("Stripe-Signature"),
                                                   self.webhook_secret).to_dict()
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise BadWebhook(str(error)) from error
        kind = KINDS.get(event["type"], OTHER)
        obj = event["data"]["object"]
        if kind == OTHER:
            return Event(event["id"], event["type"], OTHER)
        if kind == REFUNDED:
            # A charge carries no metadata of its own: the fund is on its payment intent.
            metadata = obj.get("metadata") or self._metadata_of(obj["payment_intent"])
            return Event(event["id"], event["type"], kind, fund_id=_fund_id(metadata),
                         payment_ref=obj["payment_intent"],
                         refunded_total_fen=obj["amount_refunded"])
        amount = obj["amount"] if obj.get("currency") == CURRENCY else None
        return Event(event["id"], event["type"], kind, fund_id=_fund_id(obj.get("metadata")),
                     payment_ref=obj["id"], amount_fen=amount)

    def _metadata_of(self, payment_ref: str) -> dict:
        try:
            with self._client() as client:
                return client.v1.payment_intents.retrieve(payment_ref).to_dict()["metadata"]
        except stripe.StripeError as error:
            log.warning("Stripe did not answer for payment %s: %s", payment_ref, error)
            raise GatewayError(LOOKUP_FAILED) from error

    def query(self, donation) -> Event | None:
        return None  # Stripe's webhooks arrive while Stripe.js still holds the donor's page

    def acknowledge(self):
        return None

    def refund(self, donation, amount_fen: int) -> Refund:
        try:
            with self._client() as client:
                refund = client.v1.refunds.create({
                    "payment_intent": donation.gateway_ref,
                    "amount": amount_fen,
                    "metadata": _metadata(donation),
                })
        except stripe.StripeError as error:
            log.warning("Stripe refused a refund of donation %s: %s", donation.id, error)
            raise GatewayError(REFUND_FAILED) from error
        if refund.status in ("failed", "canceled"):
            raise GatewayError(REFUND_FAILED)
        return Refund(ref=refund.id, amount_fen=refund.amount)


def _metadata(donation) -> dict:
    return {"fund_id": str(donation.fund_id), "donation_id": str(donation.id)}


def _fund_id(metadata: Mapping | None) -> int | None:
    return int_or_none((metadata or {}).get("fund_id"))
