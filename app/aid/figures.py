"""关爱发放 in numbers, with no one named: per programme for a fund's annual report, and per
fund for the township's oversight. Counts and money only; never a name, an ID or a place."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app.clock import local_today
from app.extensions import db
from app.governance.models import Motion
from app.payouts.models import Payout

from . import periods
from .changes import versions_between
from .models import Enrolment, Entitlement, Handout, Programme


def _paid_by_proposal(start: date, end: date) -> dict[int, int]:
    """Paid payouts per proposal, by the day the bank paid, within [start, end]."""
    return dict(
        db.session.execute(
            select(Payout.proposal_id, func.sum(Payout.amount_fen))
            .where(Payout.status == "paid", Payout.paid_on >= start, Payout.paid_on <= end)
            .group_by(Payout.proposal_id)
        ).all()
    )


def _people(start: date, end: date) -> dict[int, int]:
    """People per programme with an approved enrolment in [start, end]."""
    return dict(
        db.session.execute(
            select(Enrolment.programme_id, func.count(func.distinct(Enrolment.beneficiary_id)))
            .join(Motion, Motion.id == Enrolment.motion_id)
            .where(Motion.passed.is_(True), Enrolment.starts_on <= end, Enrolment.ends_on >= start)
            .group_by(Enrolment.programme_id)
        ).all()
    )


def report_rows(start: date, end: date) -> list[dict]:
    """The annual report's 关爱发放 section: each programme with a period in [start, end]
    begun by today, the people it helped (a count), what was paid for it, and the terms in
    force in its periods (``versions``, oldest first, "2026-01 – 2026-11"): a change voted
    through counts from the period it takes effect in, never before. ``frequency`` and
    ``per_period_fen`` are the latest version's (a report published before versions were
    kept has only these)."""
    from .services import state_of

    until = min(end, local_today())
    paid = _paid_by_proposal(start, end)
    people = _people(start, end)
    rows = []
    for programme in db.session.scalars(select(Programme).order_by(Programme.id)):
        if state_of(programme) not in ("running", "ended"):
            continue
        versions = versions_between(programme, start, until)
        if not versions:
            continue
        latest = versions[-1].terms
        rows.append(
            {
                "title": programme.title,
                "frequency": latest.frequency,
                "people": people.get(programme.id, 0),
                "per_period_fen": latest.value_fen,
                "spent_fen": int(paid.get(programme.proposal_id, 0)),
                "versions": [
                    {
                        "periods": v.first if v.first == v.last else f"{v.first} – {v.last}",
                        "frequency": v.terms.frequency,
                        "per_period_fen": v.terms.value_fen,
                    }
                    for v in versions
                ],
            }
        )
    return rows


@dataclass
class FundAid:
    programmes: int = 0  # running
    people: int = 0  # enrolled today (a person in two programmes counts once)
    spent_fen: int = 0  # paid this year
    missed: int = 0  # hand-outs not collected in a period that is over


def _period_over(period: str, programme: Programme, today: date) -> bool:
    found = None
    for frequency in ("monthly", "quarterly", "once"):
        found = found or periods.bounds(period, frequency, programme.starts_on, programme.ends_on)
    return found is not None and found[1] < today


def per_fund(today: date) -> dict[int, FundAid]:
    """For the township: each fund's programmes, people, this year's spending and the
    hand-outs missed (未领取) in periods already over. A few grouped queries in all."""
    from .services import state_of

    result: dict[int, FundAid] = {}
    programmes = list(db.session.scalars(select(Programme)))
    by_id = {p.id: p for p in programmes}
    paid = _paid_by_proposal(date(today.year, 1, 1), today)
    for programme in programmes:
        row = result.setdefault(programme.fund_id, FundAid())
        row.programmes += state_of(programme) == "running"
        row.spent_fen += int(paid.get(programme.proposal_id, 0))
    enrolled = db.session.execute(
        select(Enrolment.fund_id, func.count(func.distinct(Enrolment.beneficiary_id)))
        .join(Motion, Motion.id == Enrolment.motion_id)
        .where(Motion.passed.is_(True), Enrolment.starts_on <= today, Enrolment.ends_on >= today)
        .group_by(Enrolment.fund_id)
    ).all()
    for fund_id, count in enrolled:
        result.setdefault(fund_id, FundAid()).people = count
    missed = db.session.execute(
        select(Entitlement.programme_id, Entitlement.period, func.count())
        .outerjoin(Handout, Handout.entitlement_id == Entitlement.id)
        .where(Handout.id.is_(None))
        .group_by(Entitlement.programme_id, Entitlement.period)
    ).all()
    for programme_id, period, count in missed:
        programme = by_id.get(programme_id)
        if programme is not None and _period_over(period, programme, today):
            result.setdefault(programme.fund_id, FundAid()).missed += count
    return result
