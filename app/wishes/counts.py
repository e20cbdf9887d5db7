"""微心愿 in numbers: a period's wishes (collected, claimed, fulfilled, expired) for the wall,
the board and the reports, and what the township follows up (wishes per fund, overdue
claims). Claims out of days count as expired as they read now, before the job writes it."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.clock import LOCAL
from app.db_types import utcnow
from app.extensions import db

from .models import Wish, WishClaim


def _lapsed(now: datetime):
    """Claims that ran out of days: made durable by the job, or not yet."""
    return (WishClaim.status == "expired") | (
        (WishClaim.status == "active") & (WishClaim.expires_at <= now))


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)


def season_counts(year: int, now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per fund in scope, the year's wishes: collected, claimed, fulfilled, expired."""
    return counts_between(date(year, 1, 1), date(year, 12, 31), now)


def counts_between(first: date, last: date,
                   now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per fund in scope, the wishes of these days (in the funds' zone): collected, claimed,
    fulfilled, expired; what is due is counted as it reads now."""
    from app.payouts.models import Payout

    now = now or utcnow()
    start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
    counts: dict[int, dict[str, int]] = {}

    def add(kind, rows):
        for fund_id, n in rows:
            counts.setdefault(fund_id, dict.fromkeys(
                ("collected", "claimed", "fulfilled", "expired"), 0))[kind] += int(n)

    add("collected", db.session.execute(select(Wish.fund_id, func.count()).where(
        Wish.collected_at >= start, Wish.collected_at < end).group_by(Wish.fund_id)))
    add("claimed", db.session.execute(select(WishClaim.fund_id, func.count(
        WishClaim.wish_id.distinct())).where(WishClaim.claimed_at >= start,
                                             WishClaim.claimed_at < end)
        .group_by(WishClaim.fund_id)))
    add("fulfilled", db.session.execute(select(Wish.fund_id, func.count()).where(
        Wish.status == "fulfilled", Wish.fulfilled_at >= start, Wish.fulfilled_at < end)
        .group_by(Wish.fund_id)))
    add("fulfilled", db.session.execute(select(Wish.fund_id, func.count()).join(
        Payout, (Payout.id == Wish.payout_id) & (Payout.fund_id == Wish.fund_id)).where(
        Wish.status == "open", Payout.status == "paid", Payout.paid_at >= start,
        Payout.paid_at < end).group_by(Wish.fund_id)))
    add("expired", db.session.execute(select(WishClaim.fund_id, func.count()).where(
        _lapsed(now), WishClaim.expires_at >= start, WishClaim.expires_at < end)
        .group_by(WishClaim.fund_id)))
    return counts


def overdue_claims(now: datetime | None = None, days: int = 60, limit: int = 100):
    """Claims that lapsed without fulfilment in the last `days` (made durable or not), with
    their wishes: what the township follows up."""
    now = now or utcnow()
    return db.session.execute(select(WishClaim, Wish).join(
        Wish, (Wish.id == WishClaim.wish_id) & (Wish.fund_id == WishClaim.fund_id)).where(
        _lapsed(now), WishClaim.expires_at > now - timedelta(days=days))
        .order_by(WishClaim.expires_at.desc()).limit(limit)).all()


def status_counts() -> dict[int, dict[str, int]]:
    """Per fund in scope, wishes by stored status (the township's table)."""
    counts: dict[int, dict[str, int]] = {}
    for fund_id, status, n in db.session.execute(
            select(Wish.fund_id, Wish.status, func.count()).group_by(Wish.fund_id, Wish.status)):
        counts.setdefault(fund_id, {})[status] = int(n)
    return counts
