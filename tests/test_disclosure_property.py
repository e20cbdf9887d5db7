"""For any ledger, the disclosure report's totals reconcile to the ledger to the fen."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.disclosure.reports import Period, booking_day, compute
from app.donations.models import Channel, Designation, Donation
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry

START = date(2025, 1, 1)

moment = st.integers(min_value=0, max_value=2 * 365 * 24 - 1).map(
    lambda hours: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=hours))
gift = st.tuples(st.integers(1, 5_000_00), st.sampled_from(Channel.values()), st.booleans(),
                 st.integers(0, 729), moment, st.sampled_from(["keep", "refund", "reverse"]))
payout = st.tuples(st.integers(1, 3_000_00), st.booleans(), moment, st.booleans())
period = st.one_of(st.builds(lambda y: Period("annual", y, 0), st.sampled_from([2025, 2026])),
                   st.builds(lambda y, q: Period("quarterly", y, q),
                             st.sampled_from([2025, 2026]), st.integers(1, 4)))


def _entry(fund, **kw) -> LedgerEntry:
    entry = LedgerEntry(fund_id=fund.id, reason=kw.pop("reason", ""), **kw)
    db.session.add(entry)
    db.session.flush()
    return entry


def _build(fund, designation_id, gifts, payouts):
    for n, (amount, channel, designated, day, at, fate) in enumerate(gifts, start=1):
        donation = Donation(fund_id=fund.id, amount_fen=amount, channel=channel,
                            received_on=START + timedelta(days=day), status="confirmed",
                            designation_id=designation_id if designated else None)
        db.session.add(donation)
        db.session.flush()
        entry = _entry(fund, kind="donation", amount_fen=amount, reference=f"p-donation:{n}",
                       donation_id=donation.id, designation_id=donation.designation_id,
                       created_at=at)
        if fate == "refund":
            _entry(fund, kind="refund", amount_fen=-max(1, amount // 3),
                   reference=f"p-refund:{n}", donation_id=donation.id,
                   designation_id=donation.designation_id, created_at=at + timedelta(days=3))
        elif fate == "reverse":
            _entry(fund, kind="reversal", amount_fen=-amount, reference=f"reversal:{entry.id}",
                   donation_id=donation.id, designation_id=donation.designation_id,
                   reverses_id=entry.id, reason="录错", created_at=at + timedelta(days=1))
    for m, (amount, designated, at, reversed_) in enumerate(payouts, start=1):
        entry = _entry(fund, kind="payout", amount_fen=-amount,
                       reference=f"payout:{900000 + m}:project",
                       designation_id=designation_id if designated else None, created_at=at)
        if reversed_:
            _entry(fund, kind="reversal", amount_fen=amount, reference=f"reversal:{entry.id}",
                   designation_id=entry.designation_id, reverses_id=entry.id, reason="错付",
                   created_at=at + timedelta(hours=30))


TRANSFERS = (EntryKind.MATCH, EntryKind.MATCH_RETURN)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(gifts=st.lists(gift, max_size=25), payouts=st.lists(payout, max_size=10), p=period)
def test_report_totals_reconcile_to_the_ledger_to_the_fen(fund, gifts, payouts, p):
    designation = Designation(fund_id=fund.id, name="属性测试项目")
    db.session.add(designation)
    db.session.flush()
    try:
        _build(fund, designation.id, gifts, payouts)
        data = compute(fund, p)
        rows = db.session.execute(select(LedgerEntry, Donation.received_on).outerjoin(
            Donation, Donation.id == LedgerEntry.donation_id)).all()
        days = [(e, booking_day(e.kind, e.created_at, received)) for e, received in rows]
        assert data.opening_fen == sum(e.amount_fen for e, d in days if d < p.start)
        assert data.closing_fen == sum(e.amount_fen for e, d in days if d <= p.end)
        assert data.reconciles
        # Nothing but a campaign's matches (moves between funds, the demo's 重阳 campaign) is
        # neither a gift nor a payout.
        assert data.other_fen == sum(e.amount_fen for e, d in days if e.kind in TRANSFERS
                                     and p.start <= d <= p.end)
        assert sum(data.income_by_channel.values()) == data.income_fen
        assert sum(m[1] for m in data.months) == data.income_fen
        assert sum(m[2] for m in data.months) == data.spending_fen
        assert sum(pr["fen"] for pr in data.projects) == data.spending_fen
        assert data.unrestricted_fen + sum(fen for _n, fen in data.restricted) \
            == data.closing_fen
        in_period = [e for e, d in days if p.start <= d <= p.end]
        assert data.spending_fen == -sum(e.amount_fen for e in in_period
                                         if e.donation_id is None and e.kind not in TRANSFERS)
    finally:
        db.session.rollback()
