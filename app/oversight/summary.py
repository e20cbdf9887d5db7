"""The ledger summed per fund and month: how a month is counted, and the reconciliation of
the summary (kept by a database trigger) with the ledger itself."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, and_, case, cast, delete, func, literal_column, select
from sqlalchemy.orm import aliased
from sqlalchemy.types import Interval

from app.donations.models import Donation
from app.extensions import db
from app.ledger.models import LedgerEntry

from .models import LedgerMonth

# China keeps UTC+8 all year: the trigger and these queries add eight hours, no zone tables.
BEIJING = timezone(timedelta(hours=8))


def month_of(moment: datetime) -> int:
    """The summary's month of a moment: 2026-11-30 17:00 UTC -> 202612 (Beijing midnight)."""
    local = moment.astimezone(BEIJING)
    return local.year * 100 + local.month


def month_sql(column):
    """The same in SQL, for the dialect in use (the trigger in the migration says it too)."""
    if db.session.get_bind().dialect.name == "postgresql":
        shifted = column + literal_column("interval '8 hours'", Interval)
        return cast(func.to_char(shifted, "YYYYMM"), Integer)
    return cast(func.strftime("%Y%m", column, "+8 hours"), Integer)


Key = tuple[int, int, str, str]  # fund, month, flow, channel
Sums = tuple[int, int, datetime]  # amount, count, last entry


def from_ledger() -> dict[Key, Sums]:
    """The summary as the ledger says it should be: one grouped pass over every entry."""
    entry, original = LedgerEntry, aliased(LedgerEntry)
    flow = case((entry.kind == "payout", "out"),
                (and_(entry.kind == "reversal", original.kind == "payout"), "out"), else_="in")
    query = (select(entry.fund_id, month_sql(entry.created_at).label("k_month"),
                    flow.label("k_flow"), func.coalesce(Donation.channel, "").label("k_channel"),
                    func.sum(entry.amount_fen), func.count(), func.max(entry.created_at))
             .outerjoin(original, and_(original.fund_id == entry.fund_id,
                                       original.id == entry.reverses_id))
             .outerjoin(Donation, and_(Donation.fund_id == entry.fund_id,
                                       Donation.id == entry.donation_id))
             .group_by(entry.fund_id, "k_month", "k_flow", "k_channel"))
    months = {(f, m, fl, ch): (int(amount), count, last)
              for f, m, fl, ch, amount, count, last in db.session.execute(query)}
    return with_totals(months)


def with_totals(months: dict[Key, Sums]) -> dict[Key, Sums]:
    """From sums per month and channel, the rows the trigger keeps: per month (channel ""),
    per year (YYYY00, per channel) and for all time (0, channel "")."""
    result: dict[Key, Sums] = {}
    for (fund_id, month, flow, channel), (amount, count, last) in months.items():
        for key in ((fund_id, month, flow, ""), (fund_id, month // 100 * 100, flow, channel),
                    (fund_id, 0, flow, "")):
            if key in result:
                a, c, t = result[key]
                result[key] = (a + amount, c + count, max(t, last))
            else:
                result[key] = (amount, count, last)
    return result


def stored() -> dict[Key, tuple[LedgerMonth, Sums]]:
    return {(r.fund_id, r.month, r.flow, r.channel): (r, (r.amount_fen, r.entry_count,
                                                         r.last_entry_at))
            for r in db.session.scalars(select(LedgerMonth))}


@dataclass(frozen=True)
class Difference:
    fund_id: int
    month: int
    flow: str
    channel: str
    summary: Sums | None  # what ledger_month held
    ledger: Sums | None  # what the ledger adds up to

    def __str__(self) -> str:
        def show(sums):
            return "—" if sums is None else f"{sums[0]} fen in {sums[1]} entries"
        return (f"fund {self.fund_id}, {self.month}, {self.flow} {self.channel or '-'}: "
                f"summary {show(self.summary)}, ledger {show(self.ledger)}")


def differences() -> list[Difference]:
    """Every (fund, month, flow, channel) where the summary and the ledger disagree."""
    want, have = from_ledger(), stored()
    found = []
    for key in sorted(want.keys() | have.keys()):
        mine = have[key][1] if key in have else None
        theirs = want.get(key)
        if mine is None or theirs is None or mine != theirs:
            found.append(Difference(*key, summary=mine, ledger=theirs))
    return found


def rebuild() -> list[Difference]:
    """Make the summary agree with the ledger again; return what was different. Run in the
    system scope, when nobody is booking (a booking meanwhile would show as a difference)."""
    found = differences()
    have = stored()
    for d in found:
        row = have.get((d.fund_id, d.month, d.flow, d.channel), (None, None))[0]
        if d.ledger is None:
            db.session.execute(delete(LedgerMonth).where(LedgerMonth.id == row.id,
                                                         LedgerMonth.fund_id == d.fund_id))
            continue
        if row is None:
            row = LedgerMonth(fund_id=d.fund_id, month=d.month, flow=d.flow, channel=d.channel)
            db.session.add(row)
        row.amount_fen, row.entry_count, row.last_entry_at = d.ledger
    db.session.flush()
    return found
