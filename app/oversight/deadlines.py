"""Disclosure deadlines (Charity Law arts. 72/78/79): the annual report of a year by 31 May
of the next, and for projects running longer than six months a quarterly report, due by the
end of the month after each quarter."""

from dataclasses import dataclass
from datetime import date, timedelta

SIX_MONTHS = timedelta(days=183)


@dataclass(frozen=True)
class Deadline:
    kind: str  # "annual" | "quarterly"
    year: int
    quarter: int  # 0 for the annual report
    due: date
    overdue: bool

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.year}" + (f"Q{self.quarter}" if self.quarter else "")


def quarter_end(year: int, quarter: int) -> date:
    return date(year, 12, 31) if quarter == 4 else date(year, quarter * 3 + 1, 1) - timedelta(1)


def quarterly_due(year: int, quarter: int) -> date:
    """The last day of the month after the quarter: Q3 2026 -> 2026-10-31."""
    end = quarter_end(year, quarter)
    first_after_next = date(end.year + (end.month >= 11), (end.month + 1) % 12 + 1, 1)
    return first_after_next - timedelta(days=1)


def _previous_quarter(day: date) -> tuple[int, int]:
    quarter = (day.month - 1) // 3  # the quarter before the current one (0: last year's Q4)
    return (day.year, quarter) if quarter else (day.year - 1, 4)


def due_reports(today: date, founded: date, published: set[tuple[str, int, int]],
                long_project_since: date | None) -> list[Deadline]:
    """A fund's open reporting duties, most urgent first.

    ``published``: (kind, year, quarter) of the reports the fund has published;
    ``long_project_since``: when the oldest project still in progress started, if any.
    """
    found = []
    year = today.year - 1  # last year's annual report, due 31 May this year
    if founded <= date(year, 12, 31) and ("annual", year, 0) not in published:
        due = date(year + 1, 5, 31)
        found.append(Deadline("annual", year, 0, due, today > due))
    elif founded <= date(today.year, 12, 31):
        found.append(Deadline("annual", today.year, 0, date(today.year + 1, 5, 31), False))
    if long_project_since is not None:
        y, q = _previous_quarter(today)
        end = quarter_end(y, q)
        if end - long_project_since >= SIX_MONTHS and ("quarterly", y, q) not in published:
            due = quarterly_due(y, q)
            found.append(Deadline("quarterly", y, q, due, today > due))
        else:  # the current quarter's report, once the project is long by its end
            q = (today.month - 1) // 3 + 1
            if quarter_end(today.year, q) - long_project_since >= SIX_MONTHS:
                found.append(Deadline("quarterly", today.year, q,
                                      quarterly_due(today.year, q), False))
    return sorted(found, key=lambda d: (not d.overdue, d.due))
