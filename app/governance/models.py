"""Committee rules, project proposals, motions with their frozen electorate and ballots,
objections during public notice, and annual project rounds."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.auth.roles import FUND_ROLES, Role
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class Threshold(Code):
    CAST = "cast", _l("More than half of the votes cast, abstentions not counted")
    ALL = "all", _l("More than half of all eligible members")
    TWO_THIRDS = "two_thirds", _l("Two thirds of all eligible members")


class Quorum(Code):
    """How many of the eligible must vote, as the committee chooses it; stored as a fraction
    (quorum_num, quorum_den) on the rules and on each motion."""

    HALF = "1/2", _l("Half of the eligible members")
    TWO_THIRDS = "2/3", _l("Two thirds of the eligible members")
    THREE_QUARTERS = "3/4", _l("Three quarters of the eligible members")
    ALL = "1/1", _l("All eligible members")

    @property
    def fraction(self) -> tuple[int, int]:
        num, den = self.value.split("/")
        return int(num), int(den)


class VoteChoice(Code):
    YES = "yes", _l("Yes")
    NO = "no", _l("No")
    ABSTAIN = "abstain", _l("Abstain")


class MotionKind(Code):
    PROPOSAL = "proposal", _l("Approve the project")
    BUDGET_CHANGE = "budget_change", _l("Change the budget")
    ACCEPTANCE = "acceptance", _l("Accept the completed project")
    # A batch of people into an aid programme (app/aid), voted on the programme's proposal.
    ENROLMENT = "enrolment", _l("Enrol people in the aid programme")
    # A change of an aid programme's terms (app/aid.changes), applied when it carries.
    PROGRAMME_CHANGE = "programme_change", _l("Change the aid programme")


class MeetingKind(Code):
    ONLINE = "online", _l("Online vote")
    MEETING = "meeting", _l("Committee meeting")


class MotionStatus(Code):
    OPEN = "open", _l("open")
    CLOSED = "closed", _l("closed")


class Category(Code):
    ELDERLY = "elderly", _l("Elderly care (助老)")
    EDUCATION = "education", _l("Education (助学)")
    HARDSHIP = "hardship", _l("Hardship relief (助困)")
    DISABILITY = "disability", _l("Disability aid (助残)")
    ENVIRONMENT = "environment", _l("Environment (环境)")
    SMALL_WISH = "small_wish", _l("Small wish (微心愿)")
    OTHER = "other", _l("Other")


class ProposalStatus(Code):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    DISCUSSION = "discussion", _l("In discussion")
    VOTING = "voting", _l("Voting")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    NOTICE = "notice", _l("On public notice")
    FINAL = "final", _l("Final")
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")
    ACCEPTED = "accepted", _l("Accepted (验收)")
    CLOSED = "closed", _l("Closed")


# Put forward and not yet decided: a vote may be opened on it, alone or in a round.
UNDECIDED = (ProposalStatus.SUBMITTED, ProposalStatus.DISCUSSION)
# After the vote and the public notice, before the work is done: money may go to the project.
UNDER_WAY = (ProposalStatus.FINAL, ProposalStatus.IN_PROGRESS)


class FileKind(Code):
    PHOTO = "photo", _l("Photo")
    QUOTE = "quote", _l("Quote")
    MINUTES = "minutes", _l("Minutes")


class BallotAction(Code):
    """What a row of a ballot's history records."""

    CAST = "cast", _l("voted")
    CHANGE = "change", _l("changed the vote")
    OFFLINE = "offline", _l("recorded at a meeting")
    CONFIRM = "confirm", _l("confirmed")
    RECUSE = "recuse", _l("recused; ballot withdrawn")


class EventNote(Code):
    """Why the system moved a proposal, on its history; the event's note_ref is the row's id."""

    MOTION = "motion", _l("vote no. %(id)s")
    ROUND = "round", _l("project round no. %(id)s")
    PAYOUT = "payout", _l("payout no. %(id)s")
    OBJECTION_UPHELD = "objection_upheld", _l("objection no. %(id)s upheld")
    NOTICE_OVER = "notice_over", _l("the public notice period is over")
    PROGRESS = "progress", _l("progress reported")


class ObjectionStatus(Code):
    OPEN = "open", _l("waiting for the chair")
    UPHELD = "upheld", _l("upheld")
    DISMISSED = "dismissed", _l("dismissed")


class RoundStatus(Code):
    OPEN = "open", _l("open")
    CLOSED = "closed", _l("closed")


@audited
class CommitteeRules(FundOwned, db.Model):
    """How the fund's committee decides. One row per fund; a motion copies it when it opens."""

    __tablename__ = "committee_rules"
    __fund_args__ = (
        UniqueConstraint("fund_id"),
        CheckConstraint("quorum_num >= 0 AND quorum_den > 0 AND quorum_num <= quorum_den",
                        name="quorum"),
        Threshold.check("threshold"),
        CheckConstraint("period_hours > 0", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quorum_num: Mapped[int] = mapped_column(default=2)  # at least 2/3 of the eligible vote
    quorum_den: Mapped[int] = mapped_column(default=3)
    threshold: Mapped[str] = mapped_column(String(20), default="cast")
    two_thirds_above_fen: Mapped[int | None] = mapped_column()  # None: never
    casting_vote: Mapped[bool] = mapped_column(default=False)
    live_results: Mapped[bool] = mapped_column(default=False)
    period_hours: Mapped[int] = mapped_column(default=72)
    notice_days: Mapped[int] = mapped_column(default=5)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited(state="status", personal=("proposer_name", "proposer_phone"))
class Proposal(FundOwned, db.Model):
    """A project someone asks the fund to pay for (项目申请)."""

    __fund_args__ = (
        ProposalStatus.check("status"),
        Category.check("category"),
        CheckConstraint("requested_fen > 0", name="requested_positive"),
        same_fund_fk("designation_id", "designation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    beneficiaries: Mapped[str] = mapped_column(String(500), default="")
    requested_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposer_name: Mapped[str] = mapped_column(String(100), default="")  # a villager's form
    proposer_phone: Mapped[str | None] = mapped_column(String(20))
    notice_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # end of 公示
    designation_id: Mapped[int | None] = mapped_column()  # donors give to it once final
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    lines: Mapped[list["BudgetLine"]] = relationship(
        primaryjoin="Proposal.id == BudgetLine.proposal_id",
        foreign_keys="[BudgetLine.proposal_id]", order_by="BudgetLine.id", viewonly=True)


class BudgetLine(FundOwned, db.Model):
    __tablename__ = "budget_line"
    __fund_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        same_fund_fk("proposal_id", "proposal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    item: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int]


class ProposalEvent(FundOwned, db.Model):
    """One state change of a proposal: who, when, from and to. Never edited."""

    __tablename__ = "proposal_event"
    __fund_args__ = (
        same_fund_fk("proposal_id", "proposal"),
        EventNote.check("note_code"),
        ProposalStatus.check("from_status"),
        ProposalStatus.check("to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: the system
    # Stored as a code and an id, put into words in the reader's language when shown.
    note_code: Mapped[str | None] = mapped_column(String(20))
    note_ref: Mapped[int | None] = mapped_column()  # the motion, round, payout or objection
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by = relationship("User")


class Comment(FundOwned, db.Model):
    __fund_args__ = (same_fund_fk("proposal_id", "proposal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


@audited(state="status")
class Motion(FundOwned, db.Model):
    """A question put to the committee's vote, with the rules in force copied at opening."""

    __fund_args__ = (
        MotionKind.check("kind"),
        MotionStatus.check("status"),
        MeetingKind.check("meeting_kind"),
        Threshold.check("threshold"),
        same_fund_fk("proposal_id", "proposal"),
        # One open vote per proposal: the database refuses a second even when two requests
        # pass the check in open_motion at once.
        Index("uq_motion_open_proposal", "fund_id", "proposal_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        # A resolution's number is the fund's, per year, and never given twice.
        Index("uq_motion_resolution_number", "fund_id", "resolution_year",
              "resolution_sequence", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20), default="proposal")
    title: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")
    # The rules in force, frozen when the motion opened.
    quorum_num: Mapped[int]
    quorum_den: Mapped[int]
    threshold: Mapped[str] = mapped_column(String(20))
    two_thirds_above_fen: Mapped[int | None] = mapped_column()
    casting_vote: Mapped[bool]
    live_results: Mapped[bool]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: deadline
    passed: Mapped[bool | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the 24-hour reminder
    # The meeting the resolution records: an online vote (its time is opened_at to closed_at)
    # or a meeting of the committee at a time and place; who chaired it and who kept minutes.
    meeting_kind: Mapped[str] = mapped_column(String(10), default="online")
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    host_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # 主持人
    recorder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # 记录人
    # 东港村慈基决〔2026〕3号: from the fund's counter for the year, taken at the close.
    resolution_year: Mapped[int | None] = mapped_column()
    resolution_sequence: Mapped[int | None] = mapped_column()
    resolution_number: Mapped[str] = mapped_column(String(60), default="")

    proposal: Mapped[Proposal] = relationship(
        primaryjoin="Motion.proposal_id == Proposal.id", foreign_keys="[Motion.proposal_id]",
        viewonly=True)
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])


class ResolutionCounter(FundOwned, db.Model):
    """The last resolution number of a fund's year; its row lock keeps numbers gapless."""

    __tablename__ = "resolution_counter"
    __fund_args__ = (UniqueConstraint("fund_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)


class ResolutionFile(FundOwned, db.Model):
    """A closed motion's resolution (决议) as a PDF, rendered once when the vote closed and
    never changed (the database refuses it), like a receipt's: every download is these bytes."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "motion_id"),
        same_fund_fk("motion_id", "motion", ondelete="RESTRICT"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Elector(FundOwned, db.Model):
    """A member of a motion's electorate, frozen at opening; a recusal is recorded here."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "motion_id", "user_id"),
        same_fund_fk("motion_id", "motion"),
        Role.check("role", FUND_ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(String(20))
    recused: Mapped[bool] = mapped_column(default=False)
    recusal_reason: Mapped[str] = mapped_column(String(500), default="")
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # opening notice

    user = relationship("User")


class Attachment(FundOwned, db.Model):
    """An uploaded photo, quote or minutes page; the bytes live in var/governance/<fund>/."""

    __fund_args__ = (
        FileKind.check("kind"),
        UniqueConstraint("fund_id", "stored_name"),
        same_fund_fk("proposal_id", "proposal"),
        same_fund_fk("motion_id", "motion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(index=True)
    motion_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Ballot(FundOwned, db.Model):
    """One member's vote on one motion: the database allows one row per member."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "motion_id", "user_id"),
        VoteChoice.check("choice"),
        same_fund_fk("motion_id", "motion"),
        same_fund_fk("evidence_id", "attachment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    choice: Mapped[str] = mapped_column(String(10))
    offline: Mapped[bool] = mapped_column(default=False)  # recorded by the secretary
    confirmed: Mapped[bool] = mapped_column(default=True)  # offline: until the member confirms
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    evidence_id: Mapped[int | None] = mapped_column()
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class BallotChange(FundOwned, db.Model):
    """Every ballot cast, changed, confirmed or withdrawn by recusal, in order."""

    __tablename__ = "ballot_change"
    __fund_args__ = (
        same_fund_fk("motion_id", "motion"),
        BallotAction.check("action"),
        VoteChoice.check("choice"),
        VoteChoice.check("previous"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    choice: Mapped[str | None] = mapped_column(String(10))  # None: withdrawn (recused)
    previous: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    by = relationship("User", foreign_keys=[by_id])


@audited(state="status", personal=("name", "phone", "body"))
class Objection(FundOwned, db.Model):
    """A villager's objection during public notice; the chair upholds or dismisses it."""

    __fund_args__ = (
        ObjectionStatus.check("status"),
        same_fund_fk("proposal_id", "proposal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    proposal: Mapped[Proposal] = relationship(
        primaryjoin="Objection.proposal_id == Proposal.id",
        foreign_keys="[Objection.proposal_id]", viewonly=True)


@audited(state="status")
class Round(FundOwned, db.Model):
    """An annual project round (participatory budgeting): approval voting under a budget cap."""

    __tablename__ = "project_round"
    __fund_args__ = (CheckConstraint("budget_fen > 0", name="budget_positive"),
                     RoundStatus.check("status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    budget_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoundEntry(FundOwned, db.Model):
    __tablename__ = "round_entry"
    __fund_args__ = (
        UniqueConstraint("fund_id", "round_id", "proposal_id"),
        same_fund_fk("round_id", "project_round"),
        same_fund_fk("proposal_id", "proposal"),
        ProposalStatus.check("excluded_as"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(index=True)
    proposal_id: Mapped[int] = mapped_column()
    selected: Mapped[bool | None] = mapped_column()  # set when the round closes
    # The proposal's state when the round closed, if it was no longer a candidate then
    # (withdrawn, or decided by a vote of its own): it took no part in the selection.
    excluded_as: Mapped[str | None] = mapped_column(String(20))

    proposal: Mapped[Proposal] = relationship(
        primaryjoin="RoundEntry.proposal_id == Proposal.id",
        foreign_keys="[RoundEntry.proposal_id]", viewonly=True)


class RoundApproval(FundOwned, db.Model):
    __tablename__ = "round_approval"
    __fund_args__ = (
        UniqueConstraint("fund_id", "round_id", "proposal_id", "user_id"),
        same_fund_fk("round_id", "project_round"),
        same_fund_fk("proposal_id", "proposal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(index=True)
    proposal_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
