"""What one cell of an imported row means: a date, an amount, a channel, money going out."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from openpyxl.utils.datetime import from_excel

# The words treasurers and banks write, and the codes of the offline channels they mean.
CHANNEL_WORDS = {
    "现金": "cash", "cash": "cash",
    "银行转账": "bank", "银行": "bank", "转账": "bank", "网银": "bank", "bank": "bank",
    "banktransfer": "bank",
    "微信": "wechat", "微信转账": "wechat", "wechat": "wechat", "wechattransfer": "wechat",
    "支付宝": "alipay", "支付宝转账": "alipay", "alipay": "alipay", "alipaytransfer": "alipay",
    "实物": "in_kind", "物资": "in_kind", "in_kind": "in_kind", "inkind": "in_kind",
}
# 借 (debit) is money leaving the account, seen from the account holder's side.
OUTGOING_WORDS = {"借", "借方", "支", "支出", "出", "付", "d", "dr", "debit", "out"}
_TOTAL_LINE = re.compile(r"^(本页|本期|本月)?(合|总|小)\s*计")

# Excel serial day numbers between 1970 and 2100; anything else in a date column is a typo.
_SERIALS = range(25569, 73051)
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class CellError(ValueError):
    """The message is for the treasurer reading the preview."""


def text(value) -> str:
    """A cell as text: 13912345678.0 from a spreadsheet reads 13912345678, and a formula's
    100.1 + 200.2 reads 300.3 as Excel shows it (15 digits), not 300.29999999999995."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    return str(value).strip()


def amount_text(value) -> str:
    """The amount as app.money.parse_amount reads it; banks write credits as +500.00."""
    return text(value).removeprefix("+")


def received_on(value) -> date | None:
    """A date from 2026-01-20, 2026/1/20, 2026年1月20日, 20260120 or a spreadsheet date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    word = text(value).split(" ")[0].split("T")[0]
    try:
        if match := _YMD.fullmatch(word):
            return date(*(int(part) for part in match.groups()))
        if re.fullmatch(r"\d{8}", word):
            return date(int(word[:4]), int(word[4:6]), int(word[6:]))
        if re.fullmatch(r"\d{5}(\.\d+)?", word) and int(float(word)) in _SERIALS:
            return from_excel(float(word)).date()
    except ValueError:
        pass  # 2026-02-30: digits in the right places, but no such day
    raise CellError(_l("Cannot read the date “%(value)s”: write it as 2026-01-20.",
                       value=text(value)))


def channel(value, default: str) -> str:
    word = re.sub(r"\s", "", text(value)).lower()
    if not word:
        return default
    if word in CHANNEL_WORDS:
        return CHANNEL_WORDS[word]
    raise CellError(_l("Unknown channel “%(value)s”: write 现金, 银行转账, 微信, 支付宝 or 实物.",
                       value=text(value)))


def is_outgoing(cells: dict) -> bool:
    """A bank statement row of money paid out: flagged 借/支出, or only a debit amount."""
    if text(cells.get("direction")).lower() in OUTGOING_WORDS:
        return True
    return _positive(cells.get("debit")) and not _positive(cells.get("amount"))


def is_total_line(cells: dict) -> bool:
    """The 合计 (total) line banks and spreadsheets add at the end."""
    return any(_TOTAL_LINE.match(text(cells.get(field)))
               for field in ("date", "name", "reference"))


def _positive(value) -> bool:
    cleaned = amount_text(value).replace(",", "").replace("，", "")
    try:
        return Decimal(cleaned) > 0
    except InvalidOperation:
        return False
