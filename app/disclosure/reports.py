"""The disclosure report of a period (a quarter or a year), computed from the ledger.

Every ledger entry has a booking day: a donation counts on the day it was received, every
other entry on the day it was written (Beijing time). Income is what came with donations
(gifts, refunds and their reversals, by channel), spending is what went out with payouts (and
their reversals, by project and budget line). Opening + income - spending + other = closing,
to the fen, and closing is the sum of every entry booked up to the period's last day.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, case, func, select, type_coerce

from app.donations.models import COUNTED, Designation, Donation
from app.donors.models import Donor
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.validation import Invalid

DEFAULT_THRESHOLD_FEN = 1000_00  # donors of ¥1,000 or more in the period are listed
CARING = "爱心人士"


@dataclass(frozen=True)
class Period:
    kind: str  # "quarterly" | "annual"
    year: int
    quarter: int  # 0 for a year

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.kind == "annual" else 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        if self.kind == "annual":
            return date(self.year, 12, 31)
        month = 3 * self.quarter
        return (date(self.year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))

    @property
    def months(self) -> list[str]:
        first = self.start.month
        last = self.end.month
        return [f"{self.year}-{m:02d}" for m in range(first, last + 1)]

    @property
    def label(self) -> str:
        return f"{self.year}" if self.kind == "annual" else f"{self.year} Q{self.quarter}"


def period(kind: str, year, quarter=None) -> Period:
    """Checked period from what a form or URL says."""
    errors = {}
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        errors["year"] = _l("Choose a year.")
    if kind not in ("quarterly", "annual"):
        errors["kind"] = _l("Choose a quarterly or an annual report.")
    q = 0
    if kind == "quarterly":
        try:
            q = int(quarter)
        except (TypeError, ValueError):
            q = 0
        if not 1 <= q <= 4:
            errors["quarter"] = _l("Choose a quarter.")
    if errors:
        raise Invalid(errors)
    return Period(kind, year, q)


BEIJING_OFFSET = timedelta(hours=8)  # no daylight saving in China since 1991


def booking_day(kind: str, created_at: datetime, received_on: date | None) -> date:
    if kind == "donation" and received_on is not None:
        return received_on
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(UTC).replace(tzinfo=None)
    return (created_at + BEIJING_OFFSET).date()


@dataclass
class ReportData:
    fund: str
    kind: str
    year: int
    quarter: int
    start: str
    end: str
    opening_fen: int = 0
    income_fen: int = 0
    spending_fen: int = 0
    other_fen: int = 0
    closing_fen: int = 0
    unrestricted_fen: int = 0
    income_by_channel: dict = field(default_factory=dict)
    months: list = field(default_factory=list)  # [month, income, spending]
    projects: list = field(default_factory=list)  # {title, status, fen, lines: [[item, fen]]}
    restricted: list = field(default_factory=list)  # [name, fen]
    donors: list = field(default_factory=list)  # [name, fen]
    anonymous_donors: int = 0
    threshold_fen: int = DEFAULT_THRESHOLD_FEN
    wishes: dict = field(default_factory=dict)  # 微心愿: collected, claimed, fulfilled, expired
    # 志愿服务 (annual reports): confirmed minutes, people, activities, and the names of the
    # volunteers who agreed to be named; the others are only counted.
    volunteering: dict = field(default_factory=dict)
    # 关爱发放 (annual reports): per programme its title, frequency, people (a count), amount
    # per period, what was paid and the terms in force in its periods (versions); never a
    # name or an ID (app/aid/figures.py).
    aid: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReportData":
        return cls(**json.loads(text))

    @property
    def reconciles(self) -> bool:
        return (self.opening_fen + self.income_fen - self.spending_fen + self.other_fen
                == self.closing_fen)


def _gifts():
    """Donation entries summed per day received, channel and designation: the bulk of a
    ledger, read as a few thousand groups instead of one row per gift."""
    return db.session.execute(
        select(Donation.received_on, Donation.channel, LedgerEntry.designation_id,
               func.sum(LedgerEntry.amount_fen))
        .join(Donation, Donation.id == LedgerEntry.donation_id)
        .where(LedgerEntry.kind == "donation")
        .group_by(Donation.received_on, Donation.channel, LedgerEntry.designation_id)).all()


def _movements():
    """Every other entry (refunds, reversals, payouts), one row each, oldest first."""
    return db.session.execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount_fen,
               LedgerEntry.designation_id, LedgerEntry.donation_id, LedgerEntry.reverses_id,
               LedgerEntry.reference, LedgerEntry.created_at, Donation.channel)
        .outerjoin(Donation, Donation.id == LedgerEntry.donation_id)
        .where(LedgerEntry.kind != "donation")
        .order_by(LedgerEntry.id)).all()


def compute(fund, p: Period, threshold_fen: int = DEFAULT_THRESHOLD_FEN) -> ReportData:
    """The report's figures, read in the current fund's scope."""
    from app.governance.models import BudgetLine, Proposal
    from app.payouts.models import Payout
    from app.payouts.services import payout_id_of
    from app.wishes.counts import counts_between

    data = ReportData(fund=fund.name, kind=p.kind, year=p.year, quarter=p.quarter,
                      start=p.start.isoformat(), end=p.end.isoformat(),
                      threshold_fen=threshold_fen)
    payouts = {row.id: row for row in db.session.execute(
        select(Payout.id, Payout.proposal_id, Payout.budget_line_id))}
    titles = dict(db.session.execute(select(Proposal.id, Proposal.title)).all())
    lines, lined = {}, set()  # line id -> item; the projects that have lines
    for line_id, item, proposal_id in db.session.execute(
            select(BudgetLine.id, BudgetLine.item, BudgetLine.proposal_id)):
        lines[line_id] = item
        lined.add(proposal_id)
    months = {m: [0, 0] for m in p.months}
    by_project: dict[int | None, dict] = {}
    balances: dict[int | None, int] = {}

    def book(day, amount, designation_id) -> bool:
        """Count an amount booked on ``day``; True when it falls inside the period."""
        if day > p.end:
            return False
        balances[designation_id] = balances.get(designation_id, 0) + amount
        data.closing_fen += amount
        if day < p.start:
            data.opening_fen += amount
            return False
        return True

    def income(day, amount, channel) -> None:
        data.income_fen += amount
        data.income_by_channel[channel] = data.income_by_channel.get(channel, 0) + amount
        months[f"{day.year}-{day.month:02d}"][0] += amount

    for day, channel, designation_id, amount in _gifts():
        if isinstance(day, str):  # SQLite hands back a grouped date as text
            day = date.fromisoformat(day)
        amount = int(amount)
        if book(day, amount, designation_id):
            income(day, amount, channel)
    references = {}  # entry id -> reference, for reversals of payouts
    for row in _movements():
        references[row.id] = row.reference
        day = booking_day(row.kind, row.created_at, None)
        if not book(day, row.amount_fen, row.designation_id):
            continue
        if row.donation_id is not None:  # refunds and corrections of money in
            income(day, row.amount_fen, row.channel)
            continue
        reference = references.get(row.reverses_id, "") if row.kind == "reversal" \
            else row.reference
        payout_id = payout_id_of(reference)
        if payout_id is None:
            data.other_fen += row.amount_fen
            continue
        out = -row.amount_fen
        data.spending_fen += out
        months[f"{day.year}-{day.month:02d}"][1] += out
        payout = payouts.get(payout_id)
        project = by_project.setdefault(payout.proposal_id if payout else None,
                                        {"fen": 0, "lines": {}})
        project["fen"] += out
        line = payout.budget_line_id if payout else None
        project["lines"][line] = project["lines"].get(line, 0) + out
    data.months = [[m, i, s] for m, (i, s) in sorted(months.items())]
    # A project's lines add up to its spending, and the projects' spending to the period's.
    # A project without budget lines is one amount: its payouts have no line to name.
    data.projects = [
        {"title": titles.get(pid, "—"), "fen": v["fen"],
         "lines": [[lines.get(lid) or str(_l("Not assigned to a budget line")), fen]
                   for lid, fen in v["lines"].items() if fen] if pid in lined else []}
        for pid, v in sorted(by_project.items(), key=lambda kv: -kv[1]["fen"]) if v["fen"]]
    names = dict(db.session.execute(select(Designation.id, Designation.name)).all())
    data.unrestricted_fen = balances.get(None, 0)
    data.restricted = [[names.get(did, str(did)), fen] for did, fen in
                       sorted(balances.items(), key=lambda kv: names.get(kv[0], ""))
                       if did is not None and fen]
    data.donors, data.anonymous_donors = donors_above(p, threshold_fen)
    data.wishes = counts_between(p.start, p.end).get(fund.id, {})
    if p.kind == "annual":
        data.volunteering = _volunteering(p)
        from app.aid.figures import report_rows

        data.aid = report_rows(p.start, p.end)
    return data


def _volunteering(p: Period) -> dict:
    from app.volunteers.services import served_between

    served = served_between(p.start, p.end)
    if not served.minutes:
        return {}
    return {"minutes": served.minutes, "people": served.people,
            "activities": served.activities, "named": served.named}


def public_name(name: str, anonymity: str) -> str | None:
    """How a donor appears in public: the name, 爱心人士, or not at all."""
    if anonymity == "show":
        return name
    if anonymity == "caring":
        return CARING
    return None


def donors_above(p: Period, threshold_fen: int) -> tuple[list, int]:
    net = func.sum(Donation.amount_fen - Donation.refunded_fen)
    rows = db.session.execute(
        select(Donor.name, Donor.anonymity, net)
        .join(Donor, Donor.id == Donation.donor_id)
        .where(Donation.status.in_(COUNTED), Donation.received_on >= p.start,
               Donation.received_on <= p.end)
        .group_by(Donor.id, Donor.name, Donor.anonymity)
        .having(net >= threshold_fen).order_by(net.desc(), Donor.name)).all()
    shown, hidden = [], 0
    for name, anonymity, fen in rows:
        public = public_name(name, anonymity)
        if public is None:
            hidden += 1
        else:
            shown.append([public, int(fen)])
    return shown, hidden


# --- months for the notice board's chart, summed in the database -----------------------------

def _month_expr():
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        when = case((LedgerEntry.kind == "donation", Donation.received_on),
                    else_=func.datetime(LedgerEntry.created_at, "+8 hours"))
        return func.strftime("%Y-%m", when)
    when = case((LedgerEntry.kind == "donation", func.cast(Donation.received_on, DateTime)),
                else_=type_coerce(LedgerEntry.created_at, DateTime) + BEIJING_OFFSET)
    return func.to_char(when, "YYYY-MM")


_CACHE: dict = {}
_CACHE_SIZE = 256


def ledger_head() -> int:
    """The highest id of the current fund's entries: the ledger is append-only (the database
    refuses UPDATE and DELETE), so anything it sums to changes only when this grows."""
    return int(db.session.scalar(select(func.max(LedgerEntry.id))) or 0)


def cached(name: str, key, compute_value):
    """A value derived from the ledger, kept per process until the ledger grows."""
    from tenants import current_scope

    scope = current_scope()
    full_key = (name, str(db.engine.url), scope.fund_ids if scope else None, ledger_head(), key)
    if full_key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[full_key] = compute_value()
    return _CACHE[full_key]


def monthly_flows(first_month: str, last_month: str) -> list[list]:
    """[[month, income fen, spending fen]] for every month from first to last, with the
    same booking rules as the reports; summed once per state of the ledger."""
    return cached("months", (first_month, last_month),
                  lambda: _monthly_flows(first_month, last_month))


def _monthly_flows(first_month: str, last_month: str) -> list[list]:
    month = _month_expr().label("month")
    is_income = LedgerEntry.donation_id.is_not(None)
    rows = db.session.execute(
        select(month,
               func.sum(case((is_income, LedgerEntry.amount_fen), else_=0)),
               func.sum(case((LedgerEntry.kind.in_(("payout", "reversal")) & ~is_income,
                              -LedgerEntry.amount_fen), else_=0)))
        .outerjoin(Donation, Donation.id == LedgerEntry.donation_id)
        .group_by(month).having(month >= first_month).having(month <= last_month)).all()
    found = {m: (int(i or 0), int(s or 0)) for m, i, s in rows}
    result = []
    year, mon = int(first_month[:4]), int(first_month[5:])
    while f"{year}-{mon:02d}" <= last_month:
        key = f"{year}-{mon:02d}"
        result.append([key, *found.get(key, (0, 0))])
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return result
