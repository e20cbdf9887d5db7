"""The audit trail's tables: hash-chained entries, one chain per fund plus one platform chain.

A fund's chain (``audit_entry``) is fund-owned like its donations: the tenancy layer and
row-level security keep it to that fund. Events outside any one fund's books — sign-ins,
township and fund settings, memberships — go to the platform chain (``platform_audit_entry``),
a shared table like ``membership`` that names the township and fund it concerns, if any.
Each chain has a head row (last sequence number and hash) that appenders lock, so two
transactions can never both extend the same entry. Both entry tables are append-only in the
database (triggers in the migration).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import db
from tenants.model import FundOwned

GENESIS = "0" * 64  # the prev_hash of a chain's first entry


class EntryColumns:
    """What every entry says: who did what to which row, when, and the values it changed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]  # 1, 2, 3 ... within its chain
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))  # "donation.confirmed", "auth.login"
    subject_table: Mapped[str] = mapped_column(String(60), default="")
    subject_id: Mapped[int | None] = mapped_column()
    before: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    after: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(EntryColumns, FundOwned, db.Model):
    __fund_args__ = (
        UniqueConstraint("fund_id", "seq"),  # a forked chain cannot even be stored
        Index("ix_audit_entry_fund_id_at", "fund_id", "at"),
    )


class AuditHead(FundOwned, db.Model):
    """The end of a fund's chain. Its row lock serialises appends to that chain only."""

    __fund_args__ = (UniqueConstraint("fund_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class PlatformAuditEntry(EntryColumns, db.Model):
    __table_args__ = (
        UniqueConstraint("seq"),
        Index("ix_platform_audit_entry_township_id_at", "township_id", "at"),
        Index("ix_platform_audit_entry_fund_id_at", "fund_id", "at"),
    )

    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("fund.id"))  # not fund-owned: a label


class PlatformAuditHead(db.Model):
    """The end of the platform chain: a single row, id 1."""

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
