"""Changing a programme: the 社工 or the chair proposes new terms (amount per period, how often,
last day, the rule, the budget), the chair puts them to the committee as a motion on the
programme's proposal (recusal and the resolution come from governance), and only a carried
vote changes the programme (governance.motions._apply calls apply()).

The amount and the frequency change from the next period on (effective_from): entitlements
already made keep their amounts, and a period begun under the old terms ends under them. The
last day, the rule and the budget change when the vote carries. The changes, with the values
before and after, are the programme's versions."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.clock import local_day, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions
from app.governance.models import Motion, Proposal
from app.payouts.models import ENDED_STATES, Payout
from app.validation import Invalid

from . import periods
from .models import Frequency, Programme, ProgrammeChange


@dataclass
class ChangeInput:
    value: str
    frequency: str
    ends_on: date | None
    rule: str
    budget: str
    reason: str


@dataclass(frozen=True)
class Terms:
    """What a programme gives per period and how often, on a given day."""

    value_fen: int
    frequency: str


def change_state(change: ProgrammeChange) -> str:
    """proposed (waiting for the chair to open the vote), voting, carried or lost."""
    motion = change.motion
    if motion is None:
        return "proposed"
    if motion.status == "open":
        return "voting"
    return "carried" if motion.passed else "lost"


def history(programme: Programme) -> list[ProgrammeChange]:
    """Every change proposed, newest first."""
    return list(
        db.session.scalars(
            select(ProgrammeChange)
            .where(ProgrammeChange.programme_id == programme.id)
            .order_by(ProgrammeChange.id.desc())
        )
    )


def pending(programme: Programme) -> ProgrammeChange | None:
    """The change waiting for its vote or being voted on (one at a time)."""
    return next((c for c in history(programme) if change_state(c) in ("proposed", "voting")), None)


def _carried(programme: Programme) -> list[ProgrammeChange]:
    rows = db.session.scalars(
        select(ProgrammeChange)
        .join(Motion, Motion.id == ProgrammeChange.motion_id)
        .where(
            ProgrammeChange.programme_id == programme.id,
            Motion.passed.is_(True),
            ProgrammeChange.effective_from.is_not(None),
        )
        .order_by(ProgrammeChange.id)
    )
    return list(rows)


def _terms_at(programme: Programme, carried: list[ProgrammeChange], day: date) -> Terms:
    if not carried:
        return Terms(programme.value_fen, programme.frequency)
    terms = Terms(carried[0].old_value_fen, carried[0].old_frequency)
    for change in carried:
        if change.effective_from <= day:
            terms = Terms(change.value_fen, change.frequency)
    return terms


def terms_on(programme: Programme, day: date) -> Terms:
    return _terms_at(programme, _carried(programme), day)


def period_bounds(programme: Programme, period: str) -> tuple[date, date] | None:
    """The first and last day of a period of the programme, under the frequency in force on
    its first day (a monthly programme made quarterly has months, then quarters)."""
    carried = _carried(programme)
    used = {
        programme.frequency,
        *(c.frequency for c in carried),
        *(c.old_frequency for c in carried),
    }
    for frequency in used:
        found = periods.bounds(period, frequency, programme.starts_on, programme.ends_on)
        if found is not None and _terms_at(programme, carried, found[0]).frequency == frequency:
            return found
    return None


def _walk(
    programme: Programme, carried: list[ProgrammeChange], day: date
) -> Iterator[tuple[str, date, date, Terms]]:
    """The programme's periods begun by ``day``, newest first: each with its first and last day
    and the terms in force in it (a change takes effect only at the start of a period)."""
    if programme.frequency == Frequency.ONCE:
        if programme.starts_on <= day:
            yield (
                periods.ONCE,
                programme.starts_on,
                programme.ends_on or date.max,
                _terms_at(programme, carried, programme.starts_on),
            )
        return
    day = min(day, programme.ends_on or day)
    while day >= programme.starts_on:
        terms = _terms_at(programme, carried, day)
        period = periods.period_of(terms.frequency, day)
        first, last = periods.bounds(period, terms.frequency, programme.starts_on, None)
        yield period, first, last, terms
        day = first - timedelta(days=1)


def periods_of(programme: Programme, today: date, limit: int = 24) -> list[str]:
    """The programme's periods begun by today, newest first, each under its frequency."""
    return [
        period for period, *_rest in islice(_walk(programme, _carried(programme), today), limit)
    ]


@dataclass(frozen=True)
class Version:
    """The terms in force in a run of the programme's periods, first to last."""

    first: str
    last: str
    terms: Terms


def versions_between(programme: Programme, start: date, end: date) -> list[Version]:
    """The terms in force in each of the programme's periods that overlap [start, end] and have
    begun by ``end``, oldest first, periods in a row under the same terms taken together: a
    change carried today and due next period shows only once that period has begun."""
    found: list[Version] = []
    for period, _first, last, terms in _walk(programme, _carried(programme), end):
        if last < start:
            break
        if found and found[-1].terms == terms:
            found[-1] = Version(period, found[-1].last, terms)
        else:
            found.append(Version(period, period, terms))
    return found[::-1]


def _spent(programme: Programme) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payout.amount_fen), 0)).where(
                Payout.proposal_id == programme.proposal_id,
                Payout.status.not_in(ENDED_STATES),
            )
        )
        or 0
    )


def propose_change(
    programme: Programme, data: ChangeInput, user, today: date | None = None
) -> ProgrammeChange:
    """New terms for the committee to vote on; the programme itself is not touched."""
    from .services import parse_value_and_budget, state_of

    today = today or local_today()
    proposal = db.session.get(Proposal, programme.proposal_id)
    voted_in = motions.OPENS_FROM["programme_change"]  # the project states a change is voted in
    if state_of(programme) != "running" or proposal.status not in voted_in:
        raise Invalid({"reason": _l("Only a running programme can be changed.")})
    if pending(programme) is not None:
        raise Invalid(
            {
                "reason": _l(
                    "A change of this programme is already waiting for the committee's vote."
                )
            }
        )
    value, budget, errors = parse_value_and_budget(data.value, data.budget)
    if data.frequency not in Frequency.values():
        errors["frequency"] = _l("Choose how often.")
    elif data.frequency != programme.frequency and Frequency.ONCE in (
        data.frequency,
        programme.frequency,
    ):
        errors["frequency"] = _l(
            "A one-off programme cannot become a regular one, nor the "
            "other way round: propose a new programme."
        )
    if data.ends_on is not None and data.ends_on < max(today, programme.starts_on):
        errors["ends_on"] = _l("The last day cannot be in the past.")
    rule = (data.rule or "").strip()
    if not rule:
        errors["rule"] = _l("Write who is eligible, in words.")
    reason = (data.reason or "").strip()
    if not reason:
        errors["reason"] = _l("Say why the programme should change.")
    if budget and "budget" not in errors and budget < _spent(programme):
        errors["budget"] = _l("The budget cannot be less than what is already paid or asked for.")
    if errors:
        raise Invalid(errors)
    if (value, data.frequency, data.ends_on, rule, budget) == (
        programme.value_fen,
        programme.frequency,
        programme.ends_on,
        programme.rule,
        proposal.requested_fen,
    ):
        raise Invalid({"reason": _l("Nothing is changed.")})
    change = ProgrammeChange(
        fund_id=programme.fund_id,
        programme_id=programme.id,
        value_fen=value,
        frequency=data.frequency,
        ends_on=data.ends_on,
        rule=rule[:2000],
        budget_fen=budget,
        old_value_fen=programme.value_fen,
        old_frequency=programme.frequency,
        old_ends_on=programme.ends_on,
        old_rule=programme.rule,
        old_budget_fen=proposal.requested_fen,
        reason=reason[:2000],
        proposed_by_id=user.id if user else None,
    )
    db.session.add(change)
    db.session.flush()
    return change


def put_to_vote(change: ProgrammeChange, user, now: datetime | None = None) -> Motion:
    """The change, as a motion on the programme's proposal (the frozen electorate, recusal,
    the resolution: governance's). The motion's amount is the budget it would have."""
    programme = db.session.get(Programme, change.programme_id)
    proposal = db.session.get(Proposal, programme.proposal_id)
    lock(proposal)  # two chairs at once: the second finds the change already voting
    db.session.refresh(change)
    if change.motion_id is not None:
        raise Invalid({"vote": _l("This change is already put to the vote.")})
    motion = motions.open_motion(
        proposal, user, kind="programme_change", now=now, amount_fen=change.budget_fen
    )
    change.motion_id = motion.id
    db.session.flush()
    motions.announce(motion)
    return motion


def effective_from(old: str, new: str, day: date) -> date:
    """The first day of the next period after ``day`` (a one-off programme: that day), moved
    on to the start of a period of the new frequency, so that no day is in two periods."""
    if old == Frequency.ONCE:
        return day
    _first, last = periods.bounds(periods.period_of(old, day), old, date.min, None)
    start = last + timedelta(days=1)
    while periods.bounds(periods.period_of(new, start), new, date.min, None)[0] != start:
        _first, last = periods.bounds(periods.period_of(new, start), new, date.min, None)
        start = last + timedelta(days=1)
    return start


def apply(motion: Motion, now: datetime | None = None) -> ProgrammeChange | None:
    """The vote carried (governance closes it): the programme takes the new terms."""
    change = db.session.scalar(
        select(ProgrammeChange).where(ProgrammeChange.motion_id == motion.id)
    )
    if change is None or change.effective_from is not None:
        return None
    programme = db.session.get(Programme, change.programme_id)
    proposal = db.session.get(Proposal, programme.proposal_id)
    lock(programme)
    day = local_day(now or utcnow())
    # What it was just before (a budget vote may have moved the budget meanwhile).
    change.old_value_fen, change.old_frequency = programme.value_fen, programme.frequency
    change.old_ends_on, change.old_rule = programme.ends_on, programme.rule
    change.old_budget_fen = proposal.requested_fen
    change.effective_from = effective_from(programme.frequency, change.frequency, day)
    programme.value_fen, programme.frequency = change.value_fen, change.frequency
    programme.ends_on, programme.rule = change.ends_on, change.rule
    proposal.requested_fen = change.budget_fen
    db.session.flush()
    return change
