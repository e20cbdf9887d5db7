"""Words shown for codes (roles, statuses, channels), through the translation catalogue."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "platform_admin": _l("Platform administrator"),
    "township_admin": _l("Township administrator"),
    "chair": _l("Chair"),
    "member": _l("Committee member"),
    "supervisor": _l("Supervisor"),
    "secretary": _l("Secretary"),
    "treasurer": _l("Treasurer"),
    "social_worker": _l("Social worker"),
}

FUND_STATUS_LABELS = {
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "archived": _l("Archived"),
}

FUND_KIND_LABELS = {
    "village": _l("Village"),
    "community": _l("Residential community"),
    "township": _l("Township"),
}


CHANNEL_LABELS = {
    "cash": _l("Cash"),
    "bank": _l("Bank transfer"),
    "wechat": _l("WeChat transfer"),
    "alipay": _l("Alipay transfer"),
    "card": _l("Card (online)"),
    "in_kind": _l("In kind"),
}

DONATION_STATUS_LABELS = {
    "pending": _l("Pending"),
    "confirmed": _l("Confirmed"),
    "failed": _l("Failed"),
    "refunded": _l("Refunded"),
    "partially_refunded": _l("Partly refunded"),
    "reversed": _l("Corrected (reversed)"),
}

ANONYMITY_LABELS = {
    "show": _l("Name shown"),
    "caring": _l("爱心人士"),
    "anonymous": _l("Anonymous"),
}

DONOR_KIND_LABELS = {"person": _l("Person"), "organisation": _l("Organisation")}

LEDGER_KIND_LABELS = {
    "donation": _l("Donation"),
    "refund": _l("Refund"),
    "reversal": _l("Reversal"),
    "payout": _l("Payout"),
}

PAYOUT_STATUS_LABELS = {
    "requested": _l("Waiting for approval"),
    "approved": _l("Approved, not paid yet"),
    "paid": _l("Paid"),
    "rejected": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "reversed": _l("Reversed"),
}

DECISION_LABELS = {"approve": _l("Approved"), "reject": _l("Refused")}

REPORT_KIND_LABELS = {"quarterly": _l("Quarterly report"), "annual": _l("Annual report")}

RECEIPT_STATUS_LABELS = {"valid": _l("Valid"), "void": _l("Void (作废)")}

RECEIPT_KIND_LABELS = {"single": _l("Receipt"), "annual": _l("Annual receipt")}

DELIVERY_LABELS = {
    "none": _l("Not sent"),
    "queued": _l("Sending"),
    "sent": _l("Emailed"),
    "failed": _l("Email failed"),
}

_TABLES = {
    "role": ROLE_LABELS,
    "fund_status": FUND_STATUS_LABELS,
    "fund_kind": FUND_KIND_LABELS,
    "channel": CHANNEL_LABELS,
    "donation_status": DONATION_STATUS_LABELS,
    "anonymity": ANONYMITY_LABELS,
    "donor_kind": DONOR_KIND_LABELS,
    "ledger_kind": LEDGER_KIND_LABELS,
    "receipt_status": RECEIPT_STATUS_LABELS,
    "receipt_kind": RECEIPT_KIND_LABELS,
    "delivery": DELIVERY_LABELS,
    "payout_status": PAYOUT_STATUS_LABELS,
    "decision": DECISION_LABELS,
    "report_kind": REPORT_KIND_LABELS,
}


def label(table: str, code: str | None) -> str:
    """label("channel", "cash") -> 现金 (in the current language)."""
    return _TABLES[table].get(code, code or "")


def filesize(size: int) -> str:
    """12345678 -> "12.3 MB": units read the same in Chinese (Jinja's own says "Bytes")."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if round(size / scale, 1) >= 1:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def register(app) -> None:
    from .money import yuan

    app.jinja_env.globals["label"] = label
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["filesize"] = filesize
