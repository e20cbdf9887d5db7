"""An audit entry's changes as a person reads them: the column's name in words, amounts in
yuan, times in the funds' time zone, states by their labels. The raw values stay one tap away
on the page (the entry is the evidence; this is only its reading)."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.i18n import show_date, show_datetime
from app.labels import label
from app.money import yuan

from .services import HIDDEN, Change

# Columns that say nothing a reader needs beside the entry's own subject and fund.
UNSAID = {"id", "fund_id"}

FIELDS = {
    "amount_fen": _l("Sum"), "net_fen": _l("Net amount"), "refunded_fen": _l("Refunded"),
    "counted_total_fen": _l("Counted"), "budget_fen": _l("Budget"),
    "requested_fen": _l("Amount requested"), "status": _l("Status"), "kind": _l("Kind"),
    "channel": _l("Channel"), "name": _l("Name"), "title": _l("Title"), "payee": _l("Payee"),
    "purpose": _l("Purpose"), "reason": _l("Reason"), "note": _l("Note"), "role": _l("Role"),
    "received_on": _l("Date received"), "created_at": _l("Recorded"),
    "paid_at": _l("Paid at"), "issued_on": _l("Issued on"), "number": _l("Number"),
    "reference": _l("Reference"), "bank_reference": _l("Bank reference of the payment"),
    "donor_id": _l("Donor"), "donation_id": _l("Donation"), "proposal_id": _l("Project"),
    "payout_id": _l("Payout"), "designation_id": _l("Purpose"), "batch_id": _l("Batch"),
    "user_id": _l("Person"), "start_date": _l("Since"), "end_date": _l("Until"),
    "phone": _l("Mobile number"), "email": _l("Email"), "body": _l("Text"),
    "active": _l("Active"), "address": _l("Address"), "anonymity": _l("Shown as"),
    "checker": _l("Checked by"), "issuer": _l("Issued by"), "handler": _l("Handled by"),
    "day": _l("Day"), "year": _l("Year"), "gateway": _l("Payment service"),
    "initials": _l("Initials"), "locale": _l("Language"), "message": _l("Message"),
    "notes": _l("Notes"), "payer": _l("Payer"), "rows": _l("Rows"),
    "sequence": _l("Sequence number"), "serial": _l("Serial number"),
    "services": _l("Services"), "user": _l("Person"),
}

# Code columns whose values have labels, by the subject's table (status means different
# things on a donation and on a payout).
CODES = {
    ("donation", "status"): "donation_status", ("donation", "channel"): "channel",
    ("batch", "status"): "batch_status", ("batch", "channel"): "channel",
    ("ledger_entry", "kind"): "ledger_kind", ("receipt", "status"): "receipt_status",
    ("receipt", "kind"): "receipt_kind", ("payout", "status"): "payout_status",
    ("proposal", "status"): "proposal_status", ("membership", "role"): "role",
    ("fund", "status"): "fund_status", ("fund", "kind"): "fund_kind",
    ("donor", "kind"): "donor_kind", ("donor", "anonymity"): "anonymity",
}


@dataclass
class Said:
    field: str
    before: str | None  # None: the column had no value before (a new record)
    after: str | None
    hidden: bool = False


def value_in_words(table: str, column: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if column.endswith("_fen") and isinstance(value, int):
        return ("−¥" if value < 0 else "¥") + yuan(abs(value))
    if (table, column) in CODES:
        return label(CODES[table, column], value)
    if column.endswith("_id") and isinstance(value, int):
        return f"#{value}"
    if isinstance(value, list | dict):  # a document's lines (a certificate's services): their
        # count here, their values (ISO dates among them) under 原始数据
        return ngettext("%(num)d line", "%(num)d lines", len(value))
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            if len(value) == 10:
                return show_date(date.fromisoformat(value))
            return show_datetime(datetime.fromisoformat(value))
        except ValueError:
            pass
    return str(value)


def in_words(table: str, changes: list[Change]) -> list[Said]:
    said = []
    for c in changes:
        if c.field in UNSAID:
            continue
        name = str(FIELDS.get(c.field, c.field))
        if c.before is HIDDEN:
            said.append(Said(name, None, None, hidden=True))
            continue
        said.append(Said(
            name, value_in_words(table, c.field, c.before) if c.has_before else None,
            value_in_words(table, c.field, c.after) if c.has_after else None))
    return said
