"""Order numbers and attach data for the host charity's merchant account.

One merchant account (the host charity's) serves all its funds, so what a gateway sends back
must say by itself which fund and designation a payment belongs to: the order number carries
the fund, the designation and the gift (SLF12D3N4567), and the attach field (WeChat's attach,
Alipay's passback_params) the same as JSON. A signed notification is believed; the order
number decides, the gift's own row says the rest.
"""

import json
import re
from dataclasses import dataclass

from flask import current_app

# Letters only: WeChat allows [A-Za-z0-9_-|*], Alipay letters, digits and underscores.
PREFIX = re.compile(r"[A-Za-z]{1,8}")
NUMBER = re.compile(r"(?P<prefix>[A-Za-z]{1,8})F(?P<fund>[0-9]{1,10})D(?P<designation>[0-9]{1,10})"
                    r"N(?P<donation>[0-9]{1,12})")


@dataclass(frozen=True)
class Order:
    fund_id: int
    designation_id: int | None
    donation_id: int


def prefix() -> str:
    """The deployment's prefix: two deployments sharing a merchant never share a number."""
    value = current_app.config.get("PAYMENT_ORDER_PREFIX") or "SL"
    if not PREFIX.fullmatch(value):
        raise ValueError("PAYMENT_ORDER_PREFIX must be 1 to 8 ASCII letters")
    return value


def number(donation) -> str:
    return (f"{prefix()}F{donation.fund_id}D{donation.designation_id or 0}"
            f"N{donation.id}")


def parse(text: str | None) -> Order | None:
    """The order a number names, or None when it is not one of this deployment's."""
    match = NUMBER.fullmatch(text or "")
    if match is None or match["prefix"] != prefix():
        return None
    return Order(int(match["fund"]), int(match["designation"]) or None, int(match["donation"]))


def attach(donation) -> str:
    """At most 128 characters (WeChat's limit for attach)."""
    return json.dumps({"fund": donation.fund_id, "designation": donation.designation_id,
                       "donation": donation.id}, separators=(",", ":"))


def refund_number(donation, amount_fen: int) -> str:
    """The refund's own number: the running total after it names it uniquely within the gift,
    and asking again with the same number (a retry after a lost answer) refunds once."""
    return f"{donation.gateway_ref}R{donation.refunded_fen + amount_fen}"
