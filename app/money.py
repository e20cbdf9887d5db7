"""Money as integer fen: parsing what people type, and showing it back."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

# One gift above ten million yuan is a typing error in a village fund, not a donation.
MAX_FEN = 10_000_000 * 100

_AMOUNT_RE = re.compile(r"^\d+(\.\d*)?$")


class AmountError(ValueError):
    """The message is for the person who typed the amount."""


def parse_amount(text: str | None) -> int:
    """'1,050.5' -> 105050 fen. Refuses zero, negatives, more than two decimals, absurd sums."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace("¥", "")
    cleaned = cleaned.replace("￥", "").replace("元", "").strip()
    if not cleaned:
        raise AmountError(_l("Enter an amount."))
    if cleaned.startswith("-"):
        raise AmountError(_l("The amount must be more than zero."))
    if not _AMOUNT_RE.match(cleaned):
        raise AmountError(_l("Enter the amount in yuan as digits, for example 200 or 88.50."))
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern above rules this out
        raise AmountError(_l("Enter the amount in yuan as digits.")) from error
    if value.as_tuple().exponent < -2:
        raise AmountError(_l("An amount has at most two decimals (fen)."))
    fen = int(value * 100)
    if fen <= 0:
        raise AmountError(_l("The amount must be more than zero."))
    if fen > MAX_FEN:
        raise AmountError(_l("This amount is too large for one donation: check the digits."))
    return fen


def yuan(fen: int | None) -> str:
    """105050 -> '1,050.50'."""
    fen = fen or 0
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{part:02d}"


def fen_to_input(fen: int) -> str:
    """The amount as a form field shows it: 105050 -> '1050.50'."""
    whole, part = divmod(fen, 100)
    return f"{whole}.{part:02d}" if part else str(whole)
