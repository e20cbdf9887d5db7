"""Posting to the ledger, reversing an entry, and the balances derived from it."""

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.validation import int_or_none

from .models import LedgerEntry


class LedgerError(ValueError):
    pass


# Functions called with each entry just posted: every channel's confirmation, refund and
# correction of a gift passes here, so a campaign's match (app/campaigns) follows all of them.
POSTED: list = []


def post(kind: str, amount_fen: int, reference: str, *, donation_id: int | None = None,
         designation_id: int | None = None, reason: str = "", user=None,
         fund_id: int | None = None, reverses_id: int | None = None) -> LedgerEntry:
    if amount_fen == 0:
        raise LedgerError("a ledger entry moves money: amount 0")
    entry = LedgerEntry(kind=kind, amount_fen=amount_fen, reference=reference,
                        donation_id=donation_id, designation_id=designation_id, reason=reason,
                        created_by_id=user.id if user else None, fund_id=fund_id,
                        reverses_id=reverses_id)
    db.session.add(entry)
    db.session.flush()
    for listener in POSTED:
        listener(entry)
    return entry


def reverse(entry: LedgerEntry, reason: str, user=None) -> LedgerEntry:
    """Cancel an entry by its mirror image; the original stays as it was."""
    if not reason.strip():
        raise LedgerError("a reversal needs a reason")
    if entry.kind == "reversal":
        raise LedgerError("a reversal cannot itself be reversed")
    already = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id))
    if already is not None:
        raise LedgerError("this entry is already reversed")
    return post("reversal", -entry.amount_fen, f"reversal:{entry.id}",
                donation_id=entry.donation_id, designation_id=entry.designation_id,
                reason=reason.strip(), user=user, fund_id=entry.fund_id, reverses_id=entry.id)


def source(entry: LedgerEntry) -> tuple[str, str | None]:
    """What an entry came from, for a reader, and the page it leads to: "donation:12" is
    (捐赠 #12, the gift's page), "payout:3:project" (拨付 #3, the payout's page); a reversal
    names what it reverses, a refund keeps the gateway's reference beside the gift."""
    if entry.reverses_id and (original := db.session.get(LedgerEntry, entry.reverses_id)):
        text, href = source(original)
        return str(_l("Reversal of %(what)s", what=text)), href
    kind, _, rest = (entry.reference or "").partition(":")
    number = int_or_none(rest.partition(":")[0])
    if kind == "payout" and number:
        return (str(_l("Payout #%(id)s", id=number)),
                url_for("payouts.detail", payout_id=number))
    if kind in ("match", "match_return"):  # "match:<gift's fund>:<gift>", maybe another fund's
        gift = rest.partition(":")[2]
        words = (_l("Match for gift #%(id)s", id=gift) if kind == "match"
                 else _l("Match given back, entry #%(id)s", id=gift))
        return str(words), None
    if entry.donation_id:
        text = _l("Donation #%(id)s", id=entry.donation_id)
        if entry.kind == "refund":
            text = f"{_l('Refund donation #%(id)s', id=entry.donation_id)} · {entry.reference}"
        return str(text), url_for("donations.detail", donation_id=entry.donation_id)
    return entry.reference, None


@dataclass
class Balances:
    total_fen: int = 0
    unrestricted_fen: int = 0
    restricted_fen: dict[int, int] = field(default_factory=dict)  # designation id -> fen


def balances() -> Balances:
    """The current fund's balances, summed from its entries (the scope picks the fund)."""
    rows = db.session.execute(
        select(LedgerEntry.designation_id, func.sum(LedgerEntry.amount_fen))
        .group_by(LedgerEntry.designation_id)
    ).all()
    result = Balances()
    for designation_id, amount in rows:
        amount = int(amount or 0)
        result.total_fen += amount
        if designation_id is None:
            result.unrestricted_fen += amount
        else:
            result.restricted_fen[designation_id] = amount
    return result
