"""Ledger entries: every movement of money, appended and never changed.

The database refuses UPDATE and DELETE on this table (triggers in the migration); a mistake
is corrected by a reversing entry that points at the entry it cancels.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class EntryKind(Code):
    DONATION = "donation", _l("Donation")
    REFUND = "refund", _l("Refund")
    REVERSAL = "reversal", _l("Reversal")
    PAYOUT = "payout", _l("Payout")  # money out, negative
    # A campaign's match (app/campaigns): the sponsor fund's debit and the village fund's
    # credit, two entries summing to zero; given back the same way when the gift is refunded.
    MATCH = "match", _l("Matching gift")
    MATCH_RETURN = "match_return", _l("Match given back")


class LedgerEntry(FundOwned, db.Model):
    __fund_args__ = (
        EntryKind.check("kind"),
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        # The same outside event (a refund id, a donation confirmed) is booked once.
        UniqueConstraint("fund_id", "kind", "reference"),
        UniqueConstraint("fund_id", "reverses_id"),
        same_fund_fk("donation_id", "donation"),
        same_fund_fk("designation_id", "designation"),
        same_fund_fk("reverses_id", "ledger_entry"),
        # Balances are sums over this index alone.
        Index("ix_ledger_entry_fund_id_designation_id", "fund_id", "designation_id",
              "amount_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int]  # positive in, negative out
    designation_id: Mapped[int | None] = mapped_column()  # None: unrestricted money
    donation_id: Mapped[int | None] = mapped_column()
    reverses_id: Mapped[int | None] = mapped_column()
    reference: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
