"""A project after it is final: progress updates for the village, completion, the committee's
acceptance note (验收意见), and what each budget line has spent."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db_types import utcnow
from app.extensions import db
from app.governance.models import UNDER_WAY, ProposalStatus
from app.uploads import PDF, sniff
from app.validation import Invalid

from . import files as evidence_files
from . import services
from .models import PAID_OUT, AcceptanceNote, Evidence, Payout, ProgressUpdate

UPDATABLE = (*UNDER_WAY, ProposalStatus.COMPLETED)
ACCEPTABLE = (ProposalStatus.COMPLETED, ProposalStatus.ACCEPTED)
# The project page's acceptance section: a completed or accepted project, and a closed one (which
# may have been accepted before it closed; one closed after a rejection simply has none).
SHOWS_ACCEPTANCE = (*ACCEPTABLE, ProposalStatus.CLOSED)


def add_update(proposal, user, body: str, percent: int | None = None, files=(),
               now: datetime | None = None) -> ProgressUpdate:
    """Tell the village what happened; the first update of a final project starts it."""
    from app.governance import proposals as proposal_rules
    from app.governance.models import EventNote

    now = now or utcnow()
    body = (body or "").strip()
    errors = {}
    if proposal.status not in UPDATABLE:
        errors["body"] = _l("Progress can be reported only for a project under way.")
    elif not body:
        errors["body"] = _l("Write what happened.")
    if percent is not None and not 0 <= percent <= 100:
        errors["percent"] = _l("A share between 0 and 100.")
    if errors:
        raise Invalid(errors)
    update = ProgressUpdate(proposal_id=proposal.id, fund_id=proposal.fund_id, body=body[:5000],
                            percent=percent, created_by_id=user.id if user else None,
                            created_at=now)
    db.session.add(update)
    db.session.flush()
    for data, filename in files:
        evidence_files.save(proposal.fund_id, data, filename, user, update_id=update.id,
                            kind="photo" if sniff(data) != PDF else "document")
    if proposal.status == "final":
        proposal_rules.transition(proposal, "in_progress", user, note=EventNote.PROGRESS,
                                  now=now)
    return update


def complete(proposal, user, roles, now: datetime | None = None):
    """The work is done: governance's own rule decides who may say so (the chair)."""
    from app.governance import proposals as proposal_rules

    if proposal.status != "in_progress":
        raise Invalid({"status": _l("Only a project in progress can be marked completed.")})
    return proposal_rules.move(proposal, "completed", user, roles, now=now)


def acceptance_motion(proposal):
    """The acceptance vote of this project, newest first (open or closed), if any."""
    from app.governance.models import Motion

    return db.session.scalar(select(Motion).where(
        Motion.proposal_id == proposal.id, Motion.kind == "acceptance")
        .order_by(Motion.id.desc()))


def write_acceptance(proposal, user, body: str, now: datetime | None = None) -> AcceptanceNote:
    """The committee's acceptance note: what was checked and found. Written while the project
    is completed (before or during the acceptance vote) or once it is accepted; the passed
    acceptance vote is linked to it."""
    now = now or utcnow()
    body = (body or "").strip()
    if proposal.status not in ACCEPTABLE:
        raise Invalid({"body": _l("An acceptance note is written once the project is "
                                  "completed.")})
    if not body:
        raise Invalid({"body": _l("Write what the committee checked and found.")})
    note = acceptance_of(proposal)
    if note is None:
        note = AcceptanceNote(proposal_id=proposal.id, fund_id=proposal.fund_id, body="")
        db.session.add(note)
    elif proposal.status == "accepted" and note.motion_id:
        raise Invalid({"body": _l("The project is accepted: its note is final.")})
    motion = acceptance_motion(proposal)
    note.body = body[:5000]
    note.motion_id = motion.id if motion is not None and motion.passed else None
    note.written_by_id = user.id if user else None
    note.written_at = now
    db.session.flush()
    return note


def acceptance_of(proposal) -> AcceptanceNote | None:
    return db.session.scalar(select(AcceptanceNote).where(
        AcceptanceNote.proposal_id == proposal.id))


def updates_of(proposal_ids, limit: int | None = None) -> list[ProgressUpdate]:
    query = select(ProgressUpdate).where(ProgressUpdate.proposal_id.in_(list(proposal_ids))) \
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def evidence_of(*, payout_ids=(), update_ids=()) -> dict[tuple[str, int], list[Evidence]]:
    """("payout", id) / ("update", id) -> its files, in one query."""
    payout_ids, update_ids = list(payout_ids), list(update_ids)
    result: dict = {}
    if not payout_ids and not update_ids:
        return result
    rows = db.session.scalars(select(Evidence).where(
        Evidence.payout_id.in_(payout_ids) | Evidence.update_id.in_(update_ids))
        .order_by(Evidence.id))
    for e in rows:
        key = ("payout", e.payout_id) if e.payout_id else ("update", e.update_id)
        result.setdefault(key, []).append(e)
    return result


@dataclass
class LineSpending:
    item: str
    budget_fen: int
    paid_fen: int

    @property
    def over(self) -> bool:
        return self.paid_fen > self.budget_fen


@dataclass
class Spending:
    """A project's money: budget, paid, per budget line, and its payouts."""

    money: services.ProjectMoney
    lines: list[LineSpending] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)

    @property
    def percent_paid(self) -> int:
        budget = self.money.budget_fen
        return min(100, self.money.paid_fen * 100 // budget) if budget else 0


def spending(proposal, *, public: bool = False) -> Spending:
    money = services.project_money(proposal)
    lines = [LineSpending(ln.item, ln.amount_fen, money.by_line.get(ln.id, 0))
             for ln in proposal.lines]
    if money.by_line.get(None) and lines:  # paid before lines were required
        lines.append(LineSpending(str(_l("Not assigned to a budget line")), 0,
                                  money.by_line[None]))
    query = select(Payout).where(Payout.proposal_id == proposal.id).order_by(Payout.id.desc())
    if public:
        query = query.where(Payout.status.in_(PAID_OUT))
    return Spending(money, lines, list(db.session.scalars(query)))
