"""Project proposals: submitting, the state machine and its record, comments, public notice
(公示) with objections, and the designation donors give to once a project is final."""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.policy import may
from app.db_types import utcnow
from app.donations.models import Designation
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from . import uploads
from .models import (
    Attachment,
    BudgetLine,
    Category,
    Comment,
    EventNote,
    Objection,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)

log = logging.getLogger(__name__)

# Every allowed move. "voting" is entered by opening a motion, "approved"/"rejected" by its
# close (or a round's), "final" when the notice period ends, "accepted" by an acceptance vote;
# the states after "final" will be driven by payouts.
TRANSITIONS = {
    "draft": {"submitted", "withdrawn"},
    "submitted": {"discussion", "voting", "approved", "withdrawn"},
    "discussion": {"voting", "approved", "withdrawn"},
    "voting": {"approved", "rejected"},
    "approved": {"notice"},
    "rejected": {"closed"},
    "notice": {"final", "voting"},
    "final": {"in_progress", "closed"},
    "in_progress": {"completed"},
    "completed": {"accepted"},
    "accepted": {"closed"},
    "withdrawn": set(),
    "closed": set(),
}

# Moves a person makes with a button on the proposal page (the rest follow from votes).
MANUAL = {"submitted", "discussion", "withdrawn", "notice", "in_progress", "completed",
          "closed"}
PUBLIC_STATES = ("notice", "final", "in_progress", "completed", "accepted", "closed")
OPEN_FOR_COMMENTS = (ProposalStatus.SUBMITTED, ProposalStatus.DISCUSSION, ProposalStatus.VOTING,
                     ProposalStatus.APPROVED, ProposalStatus.NOTICE)
# The states nothing leaves: files are no longer attached to the proposal.
ENDED = tuple(ProposalStatus(state) for state, moves in TRANSITIONS.items() if not moves)


def transition(proposal: Proposal, to: str, user=None, note: EventNote | None = None,
               note_ref: int | None = None, now: datetime | None = None) -> ProposalEvent:
    """Move a proposal to another state and record who did it and when."""
    if to not in TRANSITIONS.get(proposal.status, ()):
        raise Invalid({"status": _l("This proposal cannot move from “%(a)s” to “%(b)s”.",
                                    a=proposal.status, b=to)})
    now = now or utcnow()
    event = ProposalEvent(proposal_id=proposal.id, fund_id=proposal.fund_id,
                          from_status=proposal.status, to_status=to,
                          by_id=user.id if user else None, note_code=note, note_ref=note_ref,
                          at=now)
    leaving_notice = proposal.status == "notice"
    proposal.status = to
    if to == "submitted":
        proposal.submitted_at = now
    if to == "final":
        _designate(proposal)
    db.session.add(event)
    db.session.flush()
    if leaving_notice:  # the 公示 has a result now: the approving resolution is final
        from .resolutions import store_after_notice

        store_after_notice(proposal)
    return event


def may_move(proposal: Proposal, to: str, user, roles) -> bool:
    """May this person press the button that moves the proposal to ``to``?"""
    if to not in MANUAL or to not in TRANSITIONS.get(proposal.status, ()):
        return False
    own = user is not None and proposal.submitted_by_id == user.id
    if to in ("submitted", "withdrawn") and proposal.status in ("draft", "submitted",
                                                                "discussion"):
        return own or may("proposal.move", roles)
    return may("proposal.move", roles)


def move(proposal: Proposal, to: str, user, roles, now: datetime | None = None):
    """A button press: checked by may_move, then the transition; publishing sets the notice
    period."""
    if not may_move(proposal, to, user, roles):
        raise Invalid({"status": _l("You may not make this change now.")})
    if to == "notice":
        return publish(proposal, user, now)
    return transition(proposal, to, user, now=now)


def publish(proposal: Proposal, user, now: datetime | None = None) -> ProposalEvent:
    """An approved project goes on the public notice board for the objection period."""
    from .committees import rules_of

    now = now or utcnow()
    days = rules_of(proposal.fund_id).notice_days
    event = transition(proposal, "notice", user, now=now)
    proposal.notice_until = now + timedelta(days=days)
    db.session.flush()
    return event


def _designate(proposal: Proposal) -> None:
    """A final project becomes a purpose donors can choose, on the donation page and in
    batch entry."""
    if proposal.designation_id:
        designation = db.session.get(Designation, proposal.designation_id)
        designation.active = True
        return
    name = proposal.title[:100]
    if db.session.scalar(select(Designation.id).where(Designation.name == name)):
        suffix = f"（#{proposal.id}）"
        name = proposal.title[:100 - len(suffix)] + suffix
    designation = Designation(name=name, active=True, fund_id=proposal.fund_id)
    db.session.add(designation)
    db.session.flush()
    proposal.designation_id = designation.id


def finalize_if_due(proposal: Proposal, now: datetime | None = None) -> bool:
    """After the notice period, with no objection waiting for the chair, the project is
    final and fundable."""
    now = now or utcnow()
    if proposal.status != "notice" or proposal.notice_until is None \
            or proposal.notice_until > now or _open_objections(proposal):
        return False
    transition(proposal, "final", None, note=EventNote.NOTICE_OVER, now=now)
    return True


def finalize_due_notices(now: datetime | None = None) -> int:
    """Every fund: proposals whose notice period is over become final. Commits per
    proposal (a background job, not a request); one that fails is logged and left for the
    next run, the others go on."""
    now = now or utcnow()
    with using(SYSTEM):
        due = db.session.execute(select(Proposal.id, Proposal.fund_id).where(
            Proposal.status == "notice", Proposal.notice_until <= now)).all()
    done = 0
    for proposal_id, fund_id in due:
        with using(fund_scope(fund_id)):
            try:
                proposal = db.session.get(Proposal, proposal_id)
                if proposal is not None and finalize_if_due(proposal, now):
                    done += 1
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("proposal %s: ending the public notice failed", proposal_id)
    return done


def _open_objections(proposal: Proposal) -> list[Objection]:
    return list(db.session.scalars(select(Objection).where(
        Objection.proposal_id == proposal.id, Objection.status == "open")))


@dataclass
class ProposalInput:
    title: str
    category: str
    description: str
    requested: str
    beneficiaries: str = ""
    budget: str = ""  # one line per item: "材料费 1200"
    proposer_name: str = ""
    proposer_phone: str = ""
    lines: list = field(default_factory=list)


_LINE = re.compile(r"^(.+?)[\s:：,，]+¥?\s*([\d.,]+)\s*元?$")


def parse_budget(text: str) -> list[tuple[str, int]]:
    """Budget lines typed one per line, the amount last: [("材料费", 120000)]."""
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        match = _LINE.match(raw)
        if not match:
            raise Invalid({"budget": _l("Line %(n)d: write the item, then its amount in "
                                        "yuan, e.g. “材料费 1200”.", n=number)})
        try:
            lines.append((match.group(1).strip()[:200], parse_amount(match.group(2))))
        except AmountError as error:
            raise Invalid({"budget": _l("Line %(n)d: %(message)s", n=number,
                                        message=error.args[0])}) from error
    return lines


def check(data: ProposalInput, *, villager: bool = False) -> dict:
    errors = {}
    title = (data.title or "").strip()
    if not 2 <= len(title) <= 100:
        errors["title"] = _l("Give the project a title of 2 to 100 characters.")
    if data.category not in Category.values():
        errors["category"] = _l("Choose a category.")
    if not (data.description or "").strip():
        errors["description"] = _l("Describe the project: what, where, for whom.")
    requested = None
    try:
        requested = parse_amount(data.requested)
    except AmountError as error:
        errors["requested"] = error.args[0]
    try:
        lines = parse_budget(data.budget)
    except Invalid as error:
        errors.update(error.errors)
        lines = []
    if lines and requested and sum(a for _i, a in lines) != requested:
        errors["budget"] = _l("The budget lines add up to ¥%(sum)s, not the amount requested.",
                              sum=f"{sum(a for _i, a in lines) / 100:,.2f}")
    phone = None
    if villager:
        if not (data.proposer_name or "").strip():
            errors["proposer_name"] = _l("Enter your name.")
        phone = accounts.normalize_phone(data.proposer_phone or "")
        if phone is None:
            errors["proposer_phone"] = _l("Enter an 11-digit mobile number.")
    if errors:
        raise Invalid(errors)
    return {"title": title, "category": data.category,
            "description": data.description.strip(),
            "beneficiaries": (data.beneficiaries or "").strip()[:500],
            "requested_fen": requested, "lines": lines,
            "proposer_name": (data.proposer_name or "").strip()[:100], "proposer_phone": phone}


def create(data: ProposalInput, user=None, *, submit: bool = True,
           now: datetime | None = None) -> Proposal:
    """A proposal by a member or staff (draft or submitted), or by a villager (user None:
    submitted at once, with their name and phone)."""
    values = check(data, villager=user is None)
    lines = values.pop("lines")
    proposal = Proposal(**values, status="draft", submitted_by_id=user.id if user else None,
                        created_at=now or utcnow())
    db.session.add(proposal)
    db.session.flush()
    for item, amount in lines:
        db.session.add(BudgetLine(proposal_id=proposal.id, fund_id=proposal.fund_id, item=item,
                                  amount_fen=amount))
    db.session.add(ProposalEvent(proposal_id=proposal.id, fund_id=proposal.fund_id,
                                 from_status=None, to_status="draft",
                                 by_id=user.id if user else None, at=now or utcnow()))
    if submit or user is None:
        transition(proposal, "submitted", user, now=now)
    db.session.flush()
    return proposal


def add_comment(proposal: Proposal, user, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise Invalid({"body": _l("Write a comment first.")})
    if len(body) > 2000:
        raise Invalid({"body": _l("A comment has at most 2000 characters.")})
    if proposal.status not in OPEN_FOR_COMMENTS:
        raise Invalid({"body": _l("Comments are closed for this proposal.")})
    comment = Comment(proposal_id=proposal.id, fund_id=proposal.fund_id, user_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def file_objection(proposal: Proposal, name: str, phone: str, body: str,
                   now: datetime | None = None) -> Objection:
    """A villager objects to an approved project while it is on public notice."""
    now = now or utcnow()
    errors = {}
    if proposal.status != "notice" or (proposal.notice_until and proposal.notice_until <= now):
        errors["body"] = _l("The objection period for this project is over.")
    if not (name or "").strip():
        errors["name"] = _l("Enter your name.")
    normalized = accounts.normalize_phone(phone or "")
    if normalized is None:
        errors["phone"] = _l("Enter an 11-digit mobile number.")
    if not (body or "").strip():
        errors["body"] = errors.get("body") or _l("Say what you object to and why.")
    if errors:
        raise Invalid(errors)
    objection = Objection(proposal_id=proposal.id, fund_id=proposal.fund_id,
                          name=name.strip()[:100], phone=normalized, body=body.strip()[:2000],
                          created_at=now)
    db.session.add(objection)
    db.session.flush()
    return objection


def _tell_objector(objection: Objection, proposal: Proposal) -> None:
    """The villager who objected hears the decision on the number they left (SMS), once the
    decision commits. A number refused as no mainland mobile is only logged: the decision
    stands, and the notice board shows it."""
    from app.funds.models import Fund
    from app.notify.services import notify
    from app.urls import external_url

    fund = db.session.get(Fund, objection.fund_id)
    try:
        notify(objection.phone, "objection_decided", fund=fund, title=proposal.title,
               link=external_url("governance.project", fund_slug=fund.slug,
                                 proposal_id=proposal.id))
    except Invalid:
        log.info("objection %s: no notice, the number is not a mobile number", objection.id)


def decide_objection(objection: Objection, user, uphold: bool, note: str = "",
                     now: datetime | None = None):
    """The chair upholds (the proposal goes back to a vote) or dismisses an objection."""
    now = now or utcnow()
    if objection.status != "open":
        raise Invalid({"note": _l("This objection has already been decided.")})
    objection.status = "upheld" if uphold else "dismissed"
    objection.decided_by_id = user.id
    objection.decided_at = now
    objection.decision_note = (note or "").strip()[:500]
    db.session.flush()
    proposal = objection.proposal
    _tell_objector(objection, proposal)
    if uphold and proposal.status == "notice":
        from .motions import open_motion

        return open_motion(proposal, user, now=now, revote=True,
                           note=EventNote.OBJECTION_UPHELD, note_ref=objection.id)
    finalize_if_due(proposal, now)
    return None


def attach(proposal: Proposal, file_storage, kind: str, user) -> Attachment:
    """A photo or quote for a proposal; a withdrawn or closed one keeps the files it has (its
    page no longer offers the form, and a post made anyway is refused here)."""
    if proposal.status in ENDED:
        raise Invalid({"file": _l("This proposal is withdrawn or closed: it takes no more files.")})
    return uploads.from_form(file_storage, proposal.fund_id, kind, user, proposal_id=proposal.id)
