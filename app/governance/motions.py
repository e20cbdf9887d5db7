"""Motions: opening with a frozen electorate, ballots (online and offline), recusal, closing
at the deadline or by the chair, reminders. The decision itself is tally.tally().

A ballot the secretary records from a meeting counts only once the member confirms it from
their own account; one still unconfirmed at the close does not count, and the resolution
lists it as unconfirmed. The worker closes due votes, ends notice periods and sends the
24-hour reminders every minute (close_due_motions, send_due_reminders)."""

import logging
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import jobs
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_day
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.urls import external_url
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from . import proposals as proposal_rules
from .committees import may_vote_on, rules_of, voters_on
from .models import (
    UNDECIDED,
    UNDER_WAY,
    Ballot,
    BallotChange,
    Elector,
    EventNote,
    Motion,
    Proposal,
    ProposalStatus,
    VoteChoice,
)
from .tally import Outcome, Rules, Voter, tally

log = logging.getLogger(__name__)
MAX_DAYS = 30
REMIND_BEFORE = timedelta(hours=24)
# Which proposal states a motion of each kind may be opened in.
OPENS_FROM = {
    "proposal": UNDECIDED,
    "budget_change": UNDER_WAY,
    "acceptance": (ProposalStatus.COMPLETED,),
    "enrolment": UNDER_WAY,  # app/aid opens it for a batch of enrolments
    "programme_change": UNDER_WAY,  # app/aid: a programme's new terms
}


def opens_from(proposal: Proposal) -> bool:
    """May a vote of some kind be opened on the proposal in its present state?"""
    return any(proposal.status in states for states in OPENS_FROM.values())


def open_motion(proposal: Proposal, user, *, kind: str = "proposal", amount_fen: int | None = None,
                deadline: datetime | None = None, now: datetime | None = None,
                note: EventNote | None = None, note_ref: int | None = None,
                revote: bool = False) -> Motion:
    """Put a proposal to the vote. The rules are copied and the electorate frozen now.
    revote: an upheld objection sends a proposal on public notice back to a vote."""
    now = now or utcnow()
    # Hold the proposal until commit, so two chairs opening a vote on it at once
    # run one after the other and the second sees the first's motion.
    lock(proposal)
    errors = {}
    if kind not in OPENS_FROM:
        errors["kind"] = _l("Choose what the vote is about.")
    elif proposal.status not in OPENS_FROM[kind] and not (revote and proposal.status == "notice"):
        errors["kind"] = _l("This proposal cannot be put to this vote in its present state.")
    if db.session.scalar(select(Motion.id).where(Motion.proposal_id == proposal.id,
                                                 Motion.status == "open")):
        errors["kind"] = _l("A vote on this proposal is already open.")
    rules = rules_of(proposal.fund_id)
    deadline = deadline or now + timedelta(hours=rules.period_hours)
    if deadline <= now + timedelta(minutes=5) or deadline > now + timedelta(days=MAX_DAYS):
        errors["deadline"] = _l("The vote must close between 5 minutes and 30 days from now.")
    voters = voters_on(proposal.fund_id, local_day(now))
    if not voters:
        errors["kind"] = _l("The committee has no member who may vote.")
    if errors:
        raise Invalid(errors)
    if kind == "budget_change" and not amount_fen:
        raise Invalid({"amount": _l("Enter the new budget.")})
    titles = {"proposal": _("Approve the project “%(title)s”", title=proposal.title),
              "budget_change": _("Change the budget of “%(title)s”", title=proposal.title),
              "acceptance": _("Accept the completed project “%(title)s”", title=proposal.title),
              "enrolment": _("Enrol people in the aid programme “%(title)s”",
                             title=proposal.title),
              "programme_change": _("Change the aid programme “%(title)s”",
                                    title=proposal.title)}
    motion = Motion(
        fund_id=proposal.fund_id, proposal_id=proposal.id, kind=kind, title=titles[kind][:200],
        amount_fen=amount_fen or proposal.requested_fen,
        quorum_num=rules.quorum_num, quorum_den=rules.quorum_den, threshold=rules.threshold,
        two_thirds_above_fen=rules.two_thirds_above_fen, casting_vote=rules.casting_vote,
        live_results=rules.live_results, opened_by_id=user.id if user else None,
        opened_at=now, deadline=deadline, status="open",
        # The resolution names who chaired the vote and who kept its record.
        host_id=user.id if user else None, recorder_id=_secretary(proposal.fund_id, now))
    db.session.add(motion)
    db.session.flush()
    for user_id, role in voters:
        db.session.add(Elector(fund_id=motion.fund_id, motion_id=motion.id, user_id=user_id,
                               role=role))
    if kind == "proposal":
        proposal_rules.transition(proposal, "voting", user, note=note, note_ref=note_ref,
                                  now=now)
    db.session.flush()
    return motion


def _secretary(fund_id: int, now: datetime) -> int | None:
    """The fund's secretary on that day, who keeps the record (记录人) of its votes."""
    day = local_day(now)
    rows = db.session.scalars(select(Membership).where(
        Membership.fund_id == fund_id, Membership.role == Role.SECRETARY)
        .order_by(Membership.start_date, Membership.id)).all()
    return next((m.user_id for m in rows if m.current_on(day)), None)


def electorate(motion: Motion, *, with_users: bool = False) -> list[Elector]:
    """with_users: the members come along in one more query (the motion page names them all;
    one lazy load per elector was 50 queries for a committee of 50)."""
    query = select(Elector).where(Elector.motion_id == motion.id).order_by(Elector.id)
    if with_users:
        query = query.options(selectinload(Elector.user))
    return list(db.session.scalars(query))


def ballots(motion: Motion) -> list[Ballot]:
    return list(db.session.scalars(select(Ballot).where(Ballot.motion_id == motion.id)
                                   .order_by(Ballot.id)))


def counted(motion: Motion) -> list[Ballot]:
    """The ballots that count: cast by the member, or recorded at a meeting and confirmed."""
    return [b for b in ballots(motion) if b.confirmed]


def outcome(motion: Motion) -> Outcome:
    rules = Rules(motion.quorum_num, motion.quorum_den, motion.threshold,
                  motion.two_thirds_above_fen, motion.casting_vote)
    voters = [Voter(e.user_id, e.role == Role.CHAIR, e.recused) for e in electorate(motion)]
    return tally(rules, motion.amount_fen, voters, {b.user_id: b.choice for b in counted(motion)})


def history(motion: Motion) -> list[BallotChange]:
    return list(db.session.scalars(select(BallotChange).where(
        BallotChange.motion_id == motion.id).order_by(BallotChange.id)))


def _elector(motion: Motion, user_id: int) -> Elector | None:
    return db.session.scalar(select(Elector).where(Elector.motion_id == motion.id,
                                                   Elector.user_id == user_id))


def _ballot(motion: Motion, user_id: int) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.motion_id == motion.id,
                                                  Ballot.user_id == user_id))


def refusal(motion: Motion, user_id: int, now: datetime | None = None) -> str | None:
    """Why this person may not cast a ballot now, or None when they may."""
    now = now or utcnow()
    if motion.status != "open" or motion.deadline <= now:
        return _l("This vote is closed: no ballot can be cast or changed any more.")
    elector = _elector(motion, user_id)
    if elector is None:
        return _l("You were not on the committee when this vote opened, so you do not vote "
                  "on it.")
    if elector.recused:
        return _l("You declared a personal interest and are recused from this vote.")
    if not may_vote_on(motion.fund_id, user_id, local_day(now)):
        return _l("Your term on the committee has ended: a ballot you cast stays, but you "
                  "cannot cast a new one.")
    return None


def _write(motion: Motion, user_id: int, choice: str, by, *, offline: bool, evidence_id=None,
           now: datetime) -> Ballot:
    """Insert or update the one ballot of this member. Two requests racing to insert meet
    the unique key: INSERT .. ON CONFLICT DO NOTHING lets one in, the other updates it."""
    values = {"fund_id": motion.fund_id, "motion_id": motion.id, "user_id": user_id,
              "choice": choice, "offline": offline, "confirmed": not offline,
              "recorded_by_id": by.id if offline else None, "evidence_id": evidence_id,
              "cast_at": now, "changed_at": now}
    if _ballot(motion, user_id) is None and _insert_once(values):
        _record(motion, user_id, choice, None, "offline" if offline else "cast", by, now)
        return _ballot(motion, user_id)
    ballot = _ballot(motion, user_id)
    previous = ballot.choice
    if previous == choice and ballot.offline == offline and (ballot.confirmed or offline):
        return ballot  # the same vote sent twice changes nothing
    ballot.choice = choice
    ballot.changed_at = now
    ballot.offline = offline
    ballot.confirmed = not offline
    ballot.recorded_by_id = by.id if offline else None
    ballot.evidence_id = evidence_id if offline else None
    _record(motion, user_id, choice, previous, "offline" if offline else "change", by, now)
    return ballot


def _insert_once(values: dict) -> bool:
    """True when this statement wrote the ballot, False when one was already there."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Ballot).on_conflict_do_nothing(
        index_elements=["fund_id", "motion_id", "user_id"]).returning(Ballot.id)
    return db.session.execute(statement, values).first() is not None


def _record(motion, user_id, choice, previous, action, by, now) -> None:
    db.session.add(BallotChange(fund_id=motion.fund_id, motion_id=motion.id, user_id=user_id,
                                choice=choice, previous=previous, action=action,
                                by_id=by.id if by else None, at=now))
    db.session.flush()


def cast(motion: Motion, user, choice: str, now: datetime | None = None) -> Ballot:
    """A member votes or changes their vote, until the close."""
    now = now or utcnow()
    close_if_due(motion, now)
    if choice not in VoteChoice.values():
        raise Invalid({"choice": _l("Choose yes, no or abstain.")})
    lock(motion)
    if reason := refusal(motion, user.id, now):
        raise Invalid({"choice": reason})
    return _write(motion, user.id, choice, user, offline=False, now=now)


def record_offline(motion: Motion, secretary, member_id: int | None, choice: str,
                   evidence, now: datetime | None = None) -> Ballot:
    """The secretary enters a ballot given at a physical meeting, with the minutes photo;
    it stays unconfirmed until the member confirms it from their own account."""
    now = now or utcnow()
    close_if_due(motion, now)
    errors = {}
    if choice not in VoteChoice.values():
        errors["choice"] = _l("Choose yes, no or abstain.")
    if evidence is None:
        errors["evidence"] = _l("Attach a photo of the minutes.")
    if member_id is None:
        errors["member_id"] = _l("Choose the member.")
    if errors:
        raise Invalid(errors)
    lock(motion)
    if reason := refusal(motion, member_id, now):
        raise Invalid({"member_id": reason})
    existing = _ballot(motion, member_id)
    if existing is not None and not existing.offline:
        raise Invalid({"member_id": _l("This member has already voted from their account: "
                                       "their own ballot cannot be replaced.")})
    if existing is not None and existing.confirmed:
        raise Invalid({"member_id": _l("This member has confirmed the ballot recorded for "
                                       "them: only they can change it now, from their "
                                       "account.")})
    return _write(motion, member_id, choice, secretary, offline=True, evidence_id=evidence.id,
                  now=now)


def confirm(motion: Motion, user, now: datetime | None = None) -> Ballot:
    """The member confirms the ballot the secretary recorded for them."""
    now = now or utcnow()
    close_if_due(motion, now)
    lock(motion)
    if motion.status != "open":
        raise Invalid({"choice": _l("This vote is closed: a ballot not confirmed before the "
                                    "close does not count.")})
    ballot = _ballot(motion, user.id)
    if ballot is None or not ballot.offline or ballot.confirmed:
        raise Invalid({"choice": _l("There is no recorded ballot of yours to confirm.")})
    ballot.confirmed = True
    _record(motion, user.id, ballot.choice, ballot.choice, "confirm", user, now)
    return ballot


def recuse(motion: Motion, user, reason: str, now: datetime | None = None) -> Elector:
    """Declare a personal interest (慈善法 art. 14): the member leaves the denominators and a
    ballot already cast is withdrawn, both on the record."""
    now = now or utcnow()
    close_if_due(motion, now)
    if not (reason or "").strip():
        raise Invalid({"reason": _l("Say what your interest is.")})
    lock(motion)
    elector = _elector(motion, user.id)
    if motion.status != "open":
        raise Invalid({"reason": _l("This vote is closed.")})
    if elector is None:
        raise Invalid({"reason": _l("You do not vote on this motion.")})
    if elector.recused:
        raise Invalid({"reason": _l("You are already recused.")})
    elector.recused = True
    elector.recusal_reason = reason.strip()[:500]
    elector.recused_at = now
    ballot = _ballot(motion, user.id)
    if ballot is not None:
        _record(motion, user.id, None, ballot.choice, "recuse", user, now)
        db.session.delete(ballot)
    db.session.flush()
    return elector


def everyone_voted(motion: Motion, now: datetime | None = None) -> bool:
    """Every member who can still vote has a ballot that counts (recused members and ended
    terms aside); a ballot recorded at a meeting counts once the member confirms it."""
    now = now or utcnow()
    voted = {b.user_id for b in counted(motion)}
    # Who may vote today, read once (may_vote_on per elector was one query each).
    voting = {uid for uid, _role in voters_on(motion.fund_id, local_day(now))}
    return all(e.recused or e.user_id in voted or e.user_id not in voting
               for e in electorate(motion))


def close(motion: Motion, user=None, now: datetime | None = None) -> Outcome:
    """Close the vote and apply its result. By the chair only once every eligible member has
    voted; by the system (user None) at the deadline."""
    now = now or utcnow()
    lock(motion)
    if motion.status != "open":
        raise Invalid({"close": _l("This vote is already closed.")})
    if user is not None and motion.deadline > now and not everyone_voted(motion, now):
        raise Invalid({"close": _l("Not every member has voted yet: the vote closes by itself "
                                   "at its deadline.")})
    result = outcome(motion)
    motion.status = "closed"
    motion.closed_at = min(now, motion.deadline) if user is None else now
    motion.closed_by_id = user.id if user else None
    motion.passed = result.passed
    db.session.flush()
    _apply(motion, result, user, now)
    from . import resolutions  # the document module reads this one's rules

    resolutions.number(motion)
    if resolutions.is_final(motion):
        resolutions.store(motion)  # the PDF, made once; a passed project waits for its 公示
    return result


def _apply(motion: Motion, result: Outcome, user, now: datetime) -> None:
    proposal = db.session.get(Proposal, motion.proposal_id)
    if motion.kind == "proposal" and proposal.status == "voting":
        proposal_rules.transition(proposal, "approved" if result.passed else "rejected", user,
                                  note=EventNote.MOTION, note_ref=motion.id, now=now)
    elif motion.kind == "budget_change" and result.passed:
        proposal.requested_fen = motion.amount_fen
        db.session.flush()
    elif motion.kind == "acceptance" and result.passed and proposal.status == "completed":
        proposal_rules.transition(proposal, "accepted", user, note=EventNote.MOTION,
                                  note_ref=motion.id, now=now)
    elif motion.kind == "programme_change" and result.passed:
        from app.aid import changes  # the aid package builds on this one

        changes.apply(motion, now)


def is_due(motion: Motion, now: datetime | None = None) -> bool:
    """Open past its deadline: closed in effect, not yet on the record (a page shows it so;
    the every-minute job or the next POST on the motion records it)."""
    return motion.status == "open" and motion.deadline <= (now or utcnow())


def close_if_due(motion: Motion, now: datetime | None = None) -> bool:
    """Close a motion whose deadline has passed (the job, and every POST on the motion)."""
    now = now or utcnow()
    if is_due(motion, now):
        close(motion, None, now)
        return True
    return False


@jobs.every_minute
def close_due_motions(now: datetime | None = None) -> int:
    """Every fund: close the motions whose deadline has passed, each in its fund's scope, and
    end the notice periods that are over. Commits per motion (a job, not a request); one
    that fails is logged and left for the next run, the others go on."""
    now = now or utcnow()
    with using(SYSTEM):
        due = db.session.execute(select(Motion.id, Motion.fund_id).where(
            Motion.status == "open", Motion.deadline <= now).order_by(Motion.id)).all()
    closed = 0
    for motion_id, fund_id in due:
        with using(fund_scope(fund_id)):
            try:
                motion = db.session.get(Motion, motion_id)
                if motion is not None and close_if_due(motion, now):
                    closed += 1
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("motion %s: closing at the deadline failed", motion_id)
    proposal_rules.finalize_due_notices(now)
    return closed


def _motion_link(motion: Motion) -> str:
    from app.funds.models import Fund

    fund = db.session.get(Fund, motion.fund_id)
    return external_url("governance.motion", fund_slug=fund.slug, motion_id=motion.id)


def _tell(user: User, key: str, motion: Motion, link: str) -> str:
    """Tell a member of this vote the way they can be reached (app/notify: SMS to a mobile,
    else email, else only the log); sent when the caller commits, and retried by the worker:
    the vote and its record stand whatever the SMS or mail server does. The channel used."""
    from app.funds.models import Fund
    from app.notify.services import notify

    return notify(user, key, fund=db.session.get(Fund, motion.fund_id), title=motion.title,
                  deadline=motion.deadline, link=link).channel


def announce(motion: Motion) -> dict[str, int]:
    """Tell every elector that a vote has opened, when the caller commits; how many by each
    channel ("sms", "email", "log": not reachable). Each elector is told once
    (Elector.reminded_at), whether or not the message gets through."""
    link = _motion_link(motion)
    told: dict[str, int] = {}
    for elector in electorate(motion):
        if elector.reminded_at is None:
            channel = _tell(elector.user, "vote_opened", motion, link)
            told[channel] = told.get(channel, 0) + 1
        elector.reminded_at = utcnow()
    db.session.flush()
    return told


@jobs.every_minute
def send_due_reminders(now: datetime | None = None) -> int:
    """Every fund: 24 hours before a vote closes, remind the members who have not voted
    (a ballot awaiting their confirmation counts as not voted). Each motion is reminded once
    (Motion.reminded_at), whether or not every message gets through: the notices go when the
    motion's reminded_at is committed. Commits per motion; returns how many could be
    reached (by SMS or email)."""
    now = now or utcnow()
    with using(SYSTEM):
        due = db.session.execute(select(Motion.id, Motion.fund_id).where(
            Motion.status == "open", Motion.reminded_at.is_(None),
            Motion.deadline > now, Motion.deadline <= now + REMIND_BEFORE)).all()
    sent = 0
    for motion_id, fund_id in due:
        with using(fund_scope(fund_id)):
            motion = db.session.get(Motion, motion_id)
            voted = {b.user_id for b in counted(motion)}
            link = _motion_link(motion)
            for elector in electorate(motion):
                if elector.recused or elector.user_id in voted:
                    continue
                if _tell(elector.user, "vote_reminder", motion, link) != "log":
                    sent += 1
            motion.reminded_at = now
            db.session.commit()
    return sent
