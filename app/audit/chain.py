"""The hash chain: how an entry's hash is computed, how entries are appended under the chain's
head lock, and how `flask audit verify` checks every chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tenants.context import current_scope, fund_scope
from tenants.scoping import _SET_SCOPE_SQL, _pg_settings  # the one definition of the settings

from .models import GENESIS, AuditEntry, AuditHead, PlatformAuditEntry, PlatformAuditHead

PLATFORM = "platform"  # the chain key of the platform chain; fund chains are keyed by fund id

# The columns an entry's hash covers, besides prev_hash. The chain's own key is covered too,
# so an entry cannot be moved from one fund's chain to another's.
HASHED = ("seq", "at", "actor_id", "actor_name", "action", "subject_table", "subject_id",
          "before", "after")


def canonical(value) -> str:
    """Sorted-key compact JSON: the one byte form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=plain)


def plain(value):
    """A column value as JSON can hold it, the same way every time."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"  # PDFs and images: their size, not their bytes
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def _at(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(chain, row: dict, prev_hash: str) -> str:
    content = {name: row[name] for name in HASHED}
    content["at"] = _at(row["at"])
    content["chain"] = chain
    content["prev_hash"] = prev_hash
    if chain == PLATFORM:  # the labels say whose trail shows the entry: covered as well
        content["township_id"] = row.get("township_id")
        content["fund_id"] = row.get("fund_id")
    return hashlib.sha256(canonical(content).encode()).hexdigest()


# --- appending ------------------------------------------------------------------------------

def _dialect_insert(connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def _lock_head(connection, head_model, key_column, key) -> tuple[int, str]:
    """The chain's head, row-locked until commit (created the first time, race-free)."""
    query = select(head_model.seq, head_model.hash).where(key_column == key).with_for_update()
    row = connection.execute(query).first()
    if row is None:
        connection.execute(_dialect_insert(connection)(head_model.__table__)
                           .values({key_column.key: key, "seq": 0, "hash": GENESIS})
                           .on_conflict_do_nothing())
        row = connection.execute(query).first()
    return row.seq, row.hash


def append(session: Session, chain, entries: list[dict]) -> None:
    """Add entries at the end of one chain: lock its head, link each entry to the one before,
    insert them in one executemany and move the head. Called at commit, after every other
    write of the transaction, so the head lock is the last lock the transaction takes.

    The entries were checked against the tenant scope when they were collected (a fund-owned
    row is flushed only in a scope that allows its fund), and the commit may come after that
    scope has ended (a webhook handled in its fund's scope, committed by the view). So a fund
    chain is written on the connection in that one fund's scope: PostgreSQL's row-level
    security sees exactly that fund for these statements, then the current scope again.
    """
    connection = session.connection()
    # The connection has the current scope's settings already (tenants.scoping sets them at
    # each begin and scope change): most commits happen in the chain's own fund scope.
    chain_scope = _pg_settings(fund_scope(chain)) if chain != PLATFORM else None
    rescope = (connection.dialect.name == "postgresql" and chain_scope is not None
               and chain_scope != _pg_settings(current_scope()))
    if chain == PLATFORM:
        table, head_model, key_column, key = (PlatformAuditEntry.__table__, PlatformAuditHead,
                                              PlatformAuditHead.id, 1)
    else:
        table, head_model, key_column, key = (AuditEntry.__table__, AuditHead,
                                              AuditHead.fund_id, chain)
    if rescope:
        connection.execute(_SET_SCOPE_SQL, chain_scope)
    seq, prev = _lock_head(connection, head_model, key_column, key)
    rows = []
    for entry in entries:
        seq += 1
        row = {**entry, "seq": seq, "prev_hash": prev}
        if chain != PLATFORM:
            row["fund_id"] = chain
            row.pop("township_id", None)
        row["hash"] = prev = entry_hash(chain, row, prev)
        rows.append(row)
    connection.execute(table.insert(), rows)  # one executemany, no ORM bookkeeping
    connection.execute(update(head_model.__table__).where(key_column == key)
                       .values(seq=seq, hash=prev))
    if rescope:  # on failure the transaction rolls back, and these settings with it
        connection.execute(_SET_SCOPE_SQL, _pg_settings(current_scope()))


# --- verifying ------------------------------------------------------------------------------

@dataclass
class Break:
    chain: str  # "fund 3 (donggangcun)" or "platform"
    entry_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id} (#{self.seq})" if self.entry_id else "chain head"
        return f"{self.chain}: {where}: {self.problem}"


@dataclass
class Report:
    chains: int = 0
    entries: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _check_chain(label: str, chain, rows, head: tuple[int, str] | None, report: Report) -> None:
    """Walk one chain in order; record its first broken link, if any."""
    report.chains += 1
    expected_seq, prev = 1, GENESIS
    for row in rows:
        report.entries += 1
        values = row._asdict()
        problem = None
        if row.seq != expected_seq:
            problem = (f"expected entry #{expected_seq} here, found #{row.seq}: "
                       "entries are missing or were renumbered")
        elif row.prev_hash != prev:
            problem = "prev_hash does not match the hash of the entry before it"
        elif entry_hash(chain, values, row.prev_hash) != row.hash:
            problem = "content does not match its hash: the entry was altered"
        if problem:
            report.breaks.append(Break(label, row.id, row.seq, problem))
            return
        expected_seq, prev = row.seq + 1, row.hash
    if head is not None and head != (expected_seq - 1, prev):
        report.breaks.append(Break(
            label, None, None, f"the head records {head[0]} entries but the chain holds "
            f"{expected_seq - 1} that end differently: entries at the end were removed"))


_COLUMNS = ("id", *HASHED, "prev_hash", "hash")


def verify(session: Session, batch: int = 2000) -> Report:
    """Recompute every chain (run in the system scope). One ordered pass per table."""
    from itertools import groupby

    from app.funds.models import Fund

    report = Report()
    slugs = dict(session.execute(select(Fund.id, Fund.slug)).all())
    heads = {fund_id: (seq, h) for fund_id, seq, h in session.execute(
        select(AuditHead.fund_id, AuditHead.seq, AuditHead.hash))}
    rows = session.execute(
        select(AuditEntry.fund_id, *(getattr(AuditEntry, c) for c in _COLUMNS))
        .order_by(AuditEntry.fund_id, AuditEntry.seq).execution_options(yield_per=batch))
    seen = set()
    for fund_id, chain_rows in groupby(rows, key=lambda r: r.fund_id):
        seen.add(fund_id)
        _check_chain(f"fund {fund_id} ({slugs.get(fund_id, '?')})", fund_id, chain_rows,
                     heads.get(fund_id), report)
    for fund_id in sorted(set(heads) - seen):  # a head with no entries left at all
        _check_chain(f"fund {fund_id} ({slugs.get(fund_id, '?')})", fund_id, [],
                     heads[fund_id] if heads[fund_id][0] else None, report)
    head = session.execute(select(PlatformAuditHead.seq, PlatformAuditHead.hash)).first()
    rows = session.execute(
        select(PlatformAuditEntry.township_id, PlatformAuditEntry.fund_id,
               *(getattr(PlatformAuditEntry, c) for c in _COLUMNS))
        .order_by(PlatformAuditEntry.seq).execution_options(yield_per=batch))
    _check_chain(PLATFORM, PLATFORM, rows, tuple(head) if head else None, report)
    return report
