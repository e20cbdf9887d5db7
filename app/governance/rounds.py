"""The annual project round (participatory budgeting): members approve any number of
proposals; the winners are chosen greedily by approvals within the budget cap.

A proposal that leaves the candidate states while the round is open (withdrawn, or put to a
vote of its own) takes no part in the selection: the round shows it as excluded, and the
state it was in when the round closed is kept on its entry (RoundEntry.excluded_as)."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.clock import local_day
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid

from . import proposals as proposal_rules
from .committees import may_vote_on
from .models import UNDECIDED, EventNote, Proposal, Round, RoundApproval, RoundEntry

NOT_IN_LIST = _l("Choose proposals from the list.")


@dataclass(frozen=True)
class Candidate:
    proposal_id: int
    cost_fen: int
    approvals: int
    submitted_at: datetime


@dataclass(frozen=True)
class Step:
    candidate: Candidate
    selected: bool
    remaining_fen: int  # budget left after this step


def select_winners(candidates: list[Candidate], budget_fen: int) -> list[Step]:
    """Most approvals first; ties go to the lower cost, then the earlier submission. Each
    proposal that still fits in what is left of the budget is selected; one that does not is
    skipped and the next is tried."""
    order = sorted(candidates, key=lambda c: (-c.approvals, c.cost_fen, c.submitted_at,
                                              c.proposal_id))
    steps, remaining = [], budget_fen
    for candidate in order:
        fits = candidate.approvals > 0 and candidate.cost_fen <= remaining
        if fits:
            remaining -= candidate.cost_fen
        steps.append(Step(candidate, fits, remaining))
    return steps


def open_round(title: str, budget: str, proposal_ids: list[int], user,
               now: datetime | None = None) -> Round:
    """proposal_ids: ids as the form read them, None for one that is not a number or too big
    to be an id (see app.validation.int_or_none)."""
    errors = {}
    if not 2 <= len((title or "").strip()) <= 100:
        errors["title"] = _l("Give the round a title of 2 to 100 characters.")
    budget_fen = None
    try:
        budget_fen = parse_amount(budget)
    except AmountError as error:
        errors["budget"] = error.args[0]
    chosen = [db.session.get(Proposal, pid) for pid in dict.fromkeys(proposal_ids)
              if pid is not None]
    chosen = [p for p in chosen if p is not None and p.status in UNDECIDED]
    if None in proposal_ids:
        errors["proposal_ids"] = NOT_IN_LIST
    elif len(chosen) < 2:
        errors["proposal_ids"] = _l("Choose at least two submitted proposals.")
    if errors:
        raise Invalid(errors)
    round_ = Round(title=title.strip(), budget_fen=budget_fen, opened_by_id=user.id,
                   opened_at=now or utcnow())
    db.session.add(round_)
    db.session.flush()
    for proposal in chosen:
        db.session.add(RoundEntry(fund_id=round_.fund_id, round_id=round_.id,
                                  proposal_id=proposal.id))
    db.session.flush()
    return round_


def entries(round_: Round) -> list[RoundEntry]:
    return list(db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id)
                                   .order_by(RoundEntry.id)))


def my_approvals(round_: Round, user_id: int) -> set[int]:
    return set(db.session.scalars(select(RoundApproval.proposal_id).where(
        RoundApproval.round_id == round_.id, RoundApproval.user_id == user_id)))


def approve(round_: Round, user, proposal_ids: list[int], now: datetime | None = None) -> None:
    """Replace this member's approvals with the proposals ticked now (those still in the
    running; proposal_ids as in open_round)."""
    now = now or utcnow()
    if round_.status != "open":
        raise Invalid({"proposal_ids": _l("This round is closed.")})
    if None in proposal_ids:
        raise Invalid({"proposal_ids": NOT_IN_LIST})
    if not may_vote_on(round_.fund_id, user.id, local_day(now)):
        raise Invalid({"proposal_ids": _l("Only committee members who vote may approve.")})
    allowed = {e.proposal_id for e in entries(round_) if in_running(round_, e)}
    db.session.execute(delete(RoundApproval).where(RoundApproval.round_id == round_.id,
                                                   RoundApproval.user_id == user.id))
    for pid in sorted(set(proposal_ids) & allowed):
        db.session.add(RoundApproval(fund_id=round_.fund_id, round_id=round_.id,
                                     proposal_id=pid, user_id=user.id))
    db.session.flush()


def in_running(round_: Round, entry: RoundEntry) -> bool:
    """Is this proposal part of the selection? While the round is open: while it is still a
    candidate. Once closed: if it was one at the close."""
    if round_.status == "open":
        return entry.proposal.status in UNDECIDED
    return entry.excluded_as is None


def excluded(round_: Round) -> list[tuple[RoundEntry, str]]:
    """The entries that take no part in the selection, each with the proposal's state that
    put it out (its state now, or at the close)."""
    return [(e, e.proposal.status if round_.status == "open" else e.excluded_as)
            for e in entries(round_) if not in_running(round_, e)]


def candidates(round_: Round) -> list[Candidate]:
    counts = dict(db.session.execute(
        select(RoundApproval.proposal_id, func.count()).where(
            RoundApproval.round_id == round_.id).group_by(RoundApproval.proposal_id)).all())
    return [Candidate(e.proposal_id, e.proposal.requested_fen, counts.get(e.proposal_id, 0),
                      e.proposal.submitted_at or e.proposal.created_at)
            for e in entries(round_) if in_running(round_, e)]


def close_round(round_: Round, user, now: datetime | None = None) -> list[Step]:
    """Select the winners among the proposals still candidates; they are approved (and go
    to public notice like any approval). The others are kept as excluded, with their state."""
    now = now or utcnow()
    lock(round_)  # two closes run one after the other
    if round_.status != "open":
        raise Invalid({"close": _l("This round is already closed.")})
    steps = select_winners(candidates(round_), round_.budget_fen)
    chosen = {s.candidate.proposal_id for s in steps if s.selected}
    for entry in entries(round_):
        proposal = entry.proposal
        entry.selected = entry.proposal_id in chosen
        if proposal.status not in UNDECIDED:
            entry.excluded_as = proposal.status
        elif entry.selected:
            proposal_rules.transition(proposal, "approved", user,
                                      note=EventNote.ROUND, note_ref=round_.id, now=now)
    round_.status = "closed"
    round_.closed_at = now
    db.session.flush()
    return steps
