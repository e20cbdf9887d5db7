"""The township workspace's figures: one row per fund from a handful of grouped queries over
the whole township (never a query per fund), their totals, sorting, filters and the chart."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select

from app.clock import local_day
from app.db_types import utcnow
from app.disclosure.models import Report
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund, FundStatus
from app.governance.models import Motion, Proposal, ProposalEvent

from .deadlines import Deadline, due_reports
from .models import LedgerMonth
from .summary import month_of

# The states of a project, as the township reads them.
PROJECT_GROUPS = {
    "deciding": ("submitted", "discussion", "voting"),
    "approved": ("approved", "notice", "final"),
    "in_progress": ("in_progress",),
    "done": ("completed", "accepted", "closed"),
}
SORTS = ("name", "status", "balance", "income", "spending", "donors", "motions", "projects",
         "deadline", "activity")
PER_PAGE = 100


@dataclass
class FundRow:
    fund: Fund
    balance_fen: int = 0
    income_fen: int = 0  # this year, net of refunds
    spending_fen: int = 0  # this year, payouts net of their reversals
    donors: int = 0
    open_motions: int = 0
    projects: dict[str, int] = field(default_factory=dict)  # PROJECT_GROUPS key -> count
    deadlines: list[Deadline] = field(default_factory=list)
    last_activity: datetime | None = None

    @property
    def deadline(self) -> Deadline | None:
        return self.deadlines[0] if self.deadlines else None

    @property
    def overdue(self) -> bool:
        return bool(self.deadlines) and self.deadlines[0].overdue

    @property
    def last_day(self) -> date | None:
        """The day of the last money movement, in Beijing."""
        return local_day(self.last_activity) if self.last_activity else None


@dataclass
class Totals:
    funds: int = 0
    balance_fen: int = 0
    income_fen: int = 0
    spending_fen: int = 0
    donors: int = 0
    open_motions: int = 0
    projects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROJECT_GROUPS, 0))
    overdue: int = 0


def fund_rows(funds: list[Fund], now: datetime | None = None) -> list[FundRow]:
    """Every fund of the township with its figures (the township scope picks the rows)."""
    now = now or utcnow()
    today = local_day(now)
    rows = {f.id: FundRow(f) for f in funds}
    year = today.year * 100  # this year's total row; 0 is the all-time row
    all_time = LedgerMonth.month == 0
    for fund_id, balance, income, spending, last in db.session.execute(
            select(LedgerMonth.fund_id,
                   func.sum(case((all_time, LedgerMonth.amount_fen), else_=0)),
                   func.sum(case(((LedgerMonth.month == year) & (LedgerMonth.flow == "in"),
                                  LedgerMonth.amount_fen), else_=0)),
                   func.sum(case(((LedgerMonth.month == year) & (LedgerMonth.flow == "out"),
                                  LedgerMonth.amount_fen), else_=0)),
                   func.max(LedgerMonth.last_entry_at))
            .where(LedgerMonth.month.in_((0, year))).group_by(LedgerMonth.fund_id)):
        if row := rows.get(fund_id):
            row.balance_fen, row.income_fen = int(balance or 0), int(income or 0)
            row.spending_fen, row.last_activity = -int(spending or 0), last
    for fund_id, count in db.session.execute(
            select(Donor.fund_id, func.count()).where(Donor.merged_into_id.is_(None))
            .group_by(Donor.fund_id)):
        if row := rows.get(fund_id):
            row.donors = count
    for fund_id, count in db.session.execute(
            select(Motion.fund_id, func.count()).where(Motion.status == "open")
            .group_by(Motion.fund_id)):
        if row := rows.get(fund_id):
            row.open_motions = count
    group_of = {state: group for group, states in PROJECT_GROUPS.items() for state in states}
    for fund_id, status, count in db.session.execute(
            select(Proposal.fund_id, Proposal.status, func.count())
            .group_by(Proposal.fund_id, Proposal.status)):
        if (row := rows.get(fund_id)) and status in group_of:
            row.projects[group_of[status]] = row.projects.get(group_of[status], 0) + count
    deadlines = deadlines_of([row.fund for row in rows.values()], today)
    for row in rows.values():
        row.deadlines = deadlines[row.fund.id]
    return list(rows.values())


def deadlines_of(funds: list[Fund], today: date) -> dict[int, list[Deadline]]:
    """Each fund's open reporting duties, most urgent first, in two queries for all of them
    (the township's table, a member's to-do list)."""
    published, long_since = disclosure_facts(today)
    return {fund.id: due_reports(today, _founded(fund), published[fund.id],
                                 long_since.get(fund.id)) for fund in funds}


def _founded(fund: Fund) -> date:
    return local_day(fund.created_at)


def disclosure_facts(today: date) -> tuple[dict[int, set], dict[int, date]]:
    """(fund -> published (kind, year, quarter)), (fund -> start of its oldest project still
    in progress): what the deadlines are computed from."""
    published: dict[int, set] = defaultdict(set)
    for fund_id, kind, year, quarter in db.session.execute(
            select(Report.fund_id, Report.kind, Report.year, Report.quarter)
            .where(Report.year >= today.year - 1).distinct()):
        published[fund_id].add((kind, year, quarter))
    long_since = {}
    for fund_id, started in db.session.execute(
            select(ProposalEvent.fund_id, func.min(ProposalEvent.at))
            .join(Proposal, (Proposal.id == ProposalEvent.proposal_id)
                  & (Proposal.fund_id == ProposalEvent.fund_id))
            .where(Proposal.status == "in_progress", ProposalEvent.to_status == "in_progress")
            .group_by(ProposalEvent.fund_id)):
        long_since[fund_id] = local_day(started)
    return published, long_since


# --- the table: filters, sorting, totals ------------------------------------------------

@dataclass(frozen=True)
class View:
    q: str = ""
    status: str = ""  # "" all, or one of FundStatus
    overdue: bool = False
    sort: str = "name"
    desc: bool = False
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string of this view with some changes (for links), empty values left
        out."""
        values = {"q": self.q, "status": self.status, "overdue": "1" if self.overdue else "",
                  "sort": self.sort, "dir": "desc" if self.desc else "", "page": self.page}
        values.update(changes)
        if values.get("page") == 1:
            values["page"] = ""
        return {k: v for k, v in values.items() if v not in ("", None, False)}


def view_from(args) -> View:
    from app.validation import int_or_none

    sort = args.get("sort", "name")
    status = args.get("status", "")
    return View(q=(args.get("q") or "").strip()[:50],
                status=status if status in FundStatus.values() else "",
                overdue=args.get("overdue") == "1",
                sort=sort if sort in SORTS else "name",
                desc=args.get("dir") == "desc",
                page=int_or_none(args.get("page")) or 1)


_FAR = date(9999, 12, 31)
_NEVER = datetime.min.replace(tzinfo=utcnow().tzinfo)
_SORT_KEYS = {
    "name": lambda r: r.fund.name,
    "status": lambda r: FundStatus.values().index(r.fund.status),
    "balance": lambda r: r.balance_fen,
    "income": lambda r: r.income_fen,
    "spending": lambda r: r.spending_fen,
    "donors": lambda r: r.donors,
    "motions": lambda r: r.open_motions,
    "projects": lambda r: r.projects.get("in_progress", 0),
    "deadline": lambda r: (not r.overdue, r.deadline.due if r.deadline else _FAR),
    "activity": lambda r: r.last_activity or _NEVER,
}


def select_rows(rows: list[FundRow], view: View) -> list[FundRow]:
    """The rows the view asks for, in its order (ties by fund name)."""
    q = view.q.lower()
    chosen = [r for r in rows
              if (not view.status or r.fund.status == view.status)
              and (not view.overdue or r.overdue)
              and (not q or q in r.fund.name.lower() or q in r.fund.village.lower()
                   or q in r.fund.slug)]
    chosen.sort(key=lambda r: (r.fund.name, r.fund.id))
    chosen.sort(key=_SORT_KEYS[view.sort], reverse=view.desc)
    return chosen


def totals(rows: list[FundRow]) -> Totals:
    t = Totals(funds=len(rows))
    for r in rows:
        t.balance_fen += r.balance_fen
        t.income_fen += r.income_fen
        t.spending_fen += r.spending_fen
        t.donors += r.donors
        t.open_motions += r.open_motions
        t.overdue += r.overdue
        for group, count in r.projects.items():
            t.projects[group] += count
    return t


# --- the chart: the township's income and spending per month ----------------------------

def monthly(now: datetime | None = None, months: int = 12) -> list[tuple[str, int, int]]:
    """[("2026-01", income fen, spending fen)] for the last ``months`` months, oldest first."""
    current = month_of(now or utcnow())
    keys = []
    year, month = divmod(current, 100)
    for _ in range(months):
        keys.append(year * 100 + month)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    sums = {(m, flow): int(total or 0) for m, flow, total in db.session.execute(
        select(LedgerMonth.month, LedgerMonth.flow, func.sum(LedgerMonth.amount_fen))
        .where(LedgerMonth.month.in_(keys)).group_by(LedgerMonth.month, LedgerMonth.flow))}
    # A month of refunds or reversals is negative: the chart draws it below zero.
    return [(f"{m // 100}-{m % 100:02d}", sums.get((m, "in"), 0), -sums.get((m, "out"), 0))
            for m in keys]
