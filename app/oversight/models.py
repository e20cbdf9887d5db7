"""The ledger summed per fund and month (kept by a database trigger), and the township's
reviews of anomalies."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.donations.models import Donation
from app.donors.models import Donor
from app.extensions import db
from tenants.model import FundOwned


class Flow(Code):
    IN = "in", _l("Income")  # gifts, refunds and their reversals
    OUT = "out", _l("Spending")  # payouts and their reversals


class AnomalyKind(Code):
    LARGE_CASH = "large_cash", _l("Large cash donation")
    PAYOUT_NO_EVIDENCE = "payout_no_evidence", _l("Payout without evidence")
    SAME_PERSON = "same_person", _l("Requested and approved by the same person")
    NO_QUORUM = "no_quorum", _l("Vote closed without quorum")
    STALE_PROJECT = "stale_project", _l("Project without progress update")
    VOIDED_RECEIPTS = "voided_receipts", _l("Many voided receipts")
    DISCLOSURE_OVERDUE = "disclosure_overdue", _l("Disclosure overdue")
    PAYMENT_MISMATCH = "payment_mismatch", _l("Online payment refused: amount differs")


class LedgerMonth(FundOwned, db.Model):
    """Sums of one fund's ledger entries per period (Beijing time), flow and channel.

    The period ``month`` is YYYYMM for a month, YYYY00 for the whole year and 0 for all
    time, so the township page reads a few rows per fund, not a row per month. Only the
    year rows are split by channel (for the annual summary); the others have channel "". Written
    only by the trigger on ledger_entry INSERT (migration b1_oversight): a page over a
    thousand funds reads these rows, never the million entries. ``flask oversight rebuild``
    recomputes them from the ledger and reports any difference.
    """

    __tablename__ = "ledger_month"
    __fund_args__ = (
        Flow.check("flow"),
        UniqueConstraint("fund_id", "month", "flow", "channel"),
        Index("ix_ledger_month_month", "month", "fund_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int]  # 202611: November 2026; 202600: the year 2026; 0: all time
    flow: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20), default="")  # year rows: the gift's
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # signed, like the entries
    entry_count: Mapped[int]
    last_entry_at: Mapped[datetime] = mapped_column(UTCDateTime)


@audited
class AnomalyReview(FundOwned, db.Model):
    """A township admin looked at an anomaly and wrote down what they found."""

    __tablename__ = "anomaly_review"
    __fund_args__ = (UniqueConstraint("fund_id", "kind", "subject"), AnomalyKind.check("kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(60))  # "donation:12", "month:202611"
    note: Mapped[str] = mapped_column(String(1000))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewed_by = relationship("User")


# Large cash gifts are found across a township's funds by this index, not by reading every
# donation (anomalies: cash donations over a threshold).
Index("ix_donation_channel_amount_fen", Donation.channel, Donation.amount_fen, Donation.fund_id)

# Donors on record (not merged into another) per fund, counted from this index alone.
Index("ix_donor_fund_id_unmerged", Donor.fund_id,
      postgresql_where=Donor.merged_into_id.is_(None), sqlite_where=Donor.merged_into_id.is_(None))
