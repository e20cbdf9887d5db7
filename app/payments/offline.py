"""Money a treasurer records by hand (cash, transfers, gifts in kind): nothing to call."""

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from .gateway import BadWebhook, Checkout, Event, GatewayError, Payment, Refund

NOT_ONLINE = _l("Money given offline is recorded by the treasurer: there is nothing to pay online.")


class OfflineGateway:
    name = "offline"
    online = False
    channel = "cash"
    label = _l("Offline")

    def __init__(self, config: Mapping):
        pass  # nothing to set up

    @staticmethod
    def configured(config: Mapping) -> bool:
        return True

    def start(self, donation, payer=None) -> Payment:
        raise GatewayError(NOT_ONLINE)

    def checkout(self, payment: Payment, return_url: str = "") -> Checkout:
        raise GatewayError(NOT_ONLINE)

    def query(self, donation) -> Event | None:
        return None

    def acknowledge(self):
        return None

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> Event:
        raise BadWebhook("offline money sends no webhooks")

    def refund(self, donation, amount_fen: int) -> Refund:
        # The treasurer gives the money back by hand. The running total names this refund
        # uniquely within the donation, as a ledger reference must.
        return Refund(ref=f"offline-refund:{donation.id}:{donation.refunded_fen + amount_fen}",
                      amount_fen=amount_fen)
