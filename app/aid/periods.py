"""Periods of an aid programme: 2026-12 (monthly), 2026-Q4 (quarterly), "once"; pure."""

import re
from datetime import date, timedelta

ONCE = "once"
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


def period_of(frequency: str, day: date) -> str:
    if frequency == "monthly":
        return f"{day.year}-{day.month:02d}"
    if frequency == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return ONCE


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def bounds(period: str, frequency: str, starts_on: date, ends_on: date | None
           ) -> tuple[date, date] | None:
    """The first and last day of a period written for this frequency; None if it is not one.
    "once" lasts as long as the programme."""
    if frequency == "once":
        return (starts_on, ends_on or date.max) if period == ONCE else None
    if frequency == "monthly" and (m := _MONTH.fullmatch(period or "")):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), _month_end(year, month)
    if frequency == "quarterly" and (m := _QUARTER.fullmatch(period or "")):
        year, quarter = int(m[1]), int(m[2])
        return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    return None


def overlaps(first: date, last: date, starts_on: date, ends_on: date | None) -> bool:
    return starts_on <= last and (ends_on is None or ends_on >= first)


def periods_until(frequency: str, starts_on: date, ends_on: date | None, today: date,
                  limit: int = 24) -> list[str]:
    """The programme's periods that have begun by today, newest first."""
    if frequency == "once":
        return [ONCE] if starts_on <= today else []
    found: list[str] = []
    day = min(today, ends_on or today)
    while day >= starts_on and len(found) < limit:
        found.append(period_of(frequency, day))
        first, _last = bounds(found[-1], frequency, starts_on, ends_on)
        day = first - timedelta(days=1)
    return found
