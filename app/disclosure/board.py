"""What the public notice board shows, read in the fund's scope with a fixed number of
queries whatever the fund's size: recent income (names as the donors chose), recent spending
with its evidence, projects with their progress, the monthly chart, published reports."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.donations.models import COUNTED, Donation
from app.extensions import db
from app.ledger import services as ledger

from . import charts, reports

RECENT = 20
PROJECT_STATES = ("final", "in_progress", "completed", "accepted", "closed")


@dataclass
class Gift:
    day: date
    name: str | None  # None: the donor asked to stay unnamed
    amount_fen: int
    channel: str
    purpose: str


@dataclass
class Board:
    balance_fen: int
    restricted_fen: int
    year_income_fen: int
    year_spending_fen: int
    chart: str
    gifts: list[Gift] = field(default_factory=list)
    payouts: list = field(default_factory=list)
    projects: list = field(default_factory=list)  # (proposal, paid fen, latest update)
    files: dict = field(default_factory=dict)
    reports: list = field(default_factory=list)


def _months_back(today: date, count: int) -> tuple[str, str]:
    year, month = today.year, today.month
    last = f"{year}-{month:02d}"
    for _ in range(count - 1):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year}-{month:02d}", last


def recent_gifts(limit: int = RECENT) -> list[Gift]:
    rows = db.session.scalars(
        select(Donation).where(Donation.status.in_(COUNTED))
        .order_by(Donation.received_on.desc(), Donation.id.desc()).limit(limit)
        .options(selectinload(Donation.donor), selectinload(Donation.designation)))
    return [Gift(d.received_on,
                 reports.public_name(d.donor.name, d.donor.anonymity) if d.donor else None,
                 d.net_fen, d.channel, d.designation.name if d.designation else "")
            for d in rows]


def version() -> tuple:
    """Changes whenever something the current fund's board shows may have changed, in one
    query. Donations, donors, the ledger, receipts, proposals, motions, objections and
    payouts all append to the fund's audit chain in the transaction that changes them;
    memberships, the fund and its township append to the platform chain. Progress updates,
    their evidence and published reports are not audited: they are only ever added, so their
    count and highest id say when one came. What none of these sees (a person renaming
    themselves) reaches the board when the cached copy expires (board_cache.TTL)."""
    from app.audit.models import AuditHead, PlatformAuditHead
    from app.payouts.models import Evidence, ProgressUpdate

    from .models import Report

    columns = [select(func.max(AuditHead.seq)).scalar_subquery(),
               select(func.max(PlatformAuditHead.seq)).scalar_subquery()]
    for model in (ProgressUpdate, Evidence, Report):
        columns += [select(func.count(model.id)).scalar_subquery(),
                    select(func.max(model.id)).scalar_subquery()]
    return tuple(db.session.execute(select(*columns)).one())


def board(fund, today: date) -> Board:
    from flask_babel import gettext as _

    from app.governance.models import Proposal
    from app.payouts import progress
    from app.payouts.models import Payout

    from . import services

    balances = reports.cached("balances", None, ledger.balances)
    first, last = _months_back(today, 12)
    months = reports.monthly_flows(first, last)
    this_year = [m for m in months if m[0].startswith(str(today.year))]
    payouts = list(db.session.scalars(
        select(Payout).where(Payout.status == "paid")
        .order_by(Payout.paid_at.desc(), Payout.id.desc()).limit(RECENT)
        .options(selectinload(Payout.proposal), selectinload(Payout.budget_line))))
    projects = list(db.session.scalars(select(Proposal).where(
        Proposal.status.in_(PROJECT_STATES)).order_by(Proposal.id.desc()).limit(RECENT)))
    updates = progress.updates_of([p.id for p in projects])
    paid = dict(db.session.execute(
        select(Payout.proposal_id, func.sum(Payout.amount_fen))
        .where(Payout.status == "paid", Payout.proposal_id.in_([p.id for p in projects]))
        .group_by(Payout.proposal_id)).all())
    latest = {}
    for update in updates:
        latest.setdefault(update.proposal_id, update)
    return Board(
        balance_fen=balances.total_fen,
        restricted_fen=balances.total_fen - balances.unrestricted_fen,
        year_income_fen=sum(m[1] for m in this_year),
        year_spending_fen=sum(m[2] for m in this_year),
        chart=charts.monthly_rows([tuple(m) for m in months],
                                  title=_("Income and spending by month"),
                                  income_label=_("Income"), spending_label=_("Spending")),
        gifts=recent_gifts(), payouts=payouts,
        projects=[(p, paid.get(p.id, 0), latest.get(p.id)) for p in projects],
        files=progress.evidence_of(payout_ids=[p.id for p in payouts],
                                   update_ids=[u.id for u in latest.values()]),
        reports=services.published(),
    )
