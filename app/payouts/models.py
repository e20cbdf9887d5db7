"""Disbursements (拨付) with their approvals and evidence, progress updates of a project, and
the committee's acceptance note (验收意见)."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.auth.roles import FUND_ROLES, Role
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class PayoutStatus(Code):
    REQUESTED = "requested", _l("Waiting for approval")
    APPROVED = "approved", _l("Approved, not paid yet")
    PAID = "paid", _l("Paid")
    REJECTED = "rejected", _l("Refused")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    REVERSED = "reversed", _l("Reversed")


OPEN_STATES = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)  # not decided, not paid
# Payouts that pay for nothing (refused, withdrawn, or paid and taken back): the fund may ask again.
ENDED_STATES = (PayoutStatus.REJECTED, PayoutStatus.WITHDRAWN, PayoutStatus.REVERSED)
SPENDING_STATES = (*OPEN_STATES, PayoutStatus.PAID)  # a project's money spent or about to be
PAID_OUT = (PayoutStatus.PAID, PayoutStatus.REVERSED)  # money that went out, for the village


class Decision(Code):
    APPROVE = "approve", _l("Approved")
    REJECT = "reject", _l("Refused")


class EvidenceKind(Code):
    INVOICE = "invoice", _l("Invoice")
    PHOTO = "photo", _l("Photo")
    DOCUMENT = "document", _l("Document")

DEFAULT_APPROVERS = ",".join((Role.CHAIR, Role.SUPERVISOR))


@audited
class PayoutRules(FundOwned, db.Model):
    """Who signs a payout in this fund (the second key); one row per fund, defaults if none."""

    __tablename__ = "payout_rules"
    __fund_args__ = (
        UniqueConstraint("fund_id"),
        CheckConstraint("approvals_needed BETWEEN 1 AND 5", name="approvals_needed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    approver_roles: Mapped[str] = mapped_column(String(100), default=DEFAULT_APPROVERS)
    approvals_needed: Mapped[int] = mapped_column(default=2)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r for r in self.approver_roles.split(",") if r)


@audited(state="status")
class Payout(FundOwned, db.Model):
    """A request to pay money out for a final project, and what became of it."""

    __fund_args__ = (
        PayoutStatus.check("status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("fund_id", "bank_reference"),
        same_fund_fk("proposal_id", "proposal"),
        same_fund_fk("budget_line_id", "budget_line"),
        Index("ix_payout_fund_id_proposal_id", "fund_id", "proposal_id", "status"),
        Index("ix_payout_fund_id_status_paid_at", "fund_id", "status", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column()
    budget_line_id: Mapped[int | None] = mapped_column()
    amount_fen: Mapped[int]
    payee: Mapped[str] = mapped_column(String(100))
    payee_account: Mapped[str] = mapped_column(String(60), default="")
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approved or rejected
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reversal_reason: Mapped[str] = mapped_column(String(500), default="")
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])
    proposal = relationship("Proposal", primaryjoin="Payout.proposal_id == Proposal.id",
                            foreign_keys="[Payout.proposal_id]", viewonly=True)
    budget_line = relationship("BudgetLine", primaryjoin="Payout.budget_line_id == BudgetLine.id",
                               foreign_keys="[Payout.budget_line_id]", viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def ended(self) -> bool:
        return self.status in ENDED_STATES

    @property
    def masked_account(self) -> str:
        """What the public sees of the payee's account: the last four digits."""
        account = self.payee_account or ""
        return ("…" + account[-4:]) if len(account) > 4 else ""


@audited
class PayoutApproval(FundOwned, db.Model):
    """One person's signature (or refusal) on one payout: the database allows one each."""

    __tablename__ = "payout_approval"
    __fund_args__ = (
        UniqueConstraint("fund_id", "payout_id", "user_id"),
        Decision.check("decision"),
        Role.check("role", FUND_ROLES),
        same_fund_fk("payout_id", "payout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


@audited
class ProgressUpdate(FundOwned, db.Model):
    """What happened on a project, told to the village (shown on the notice board)."""

    __tablename__ = "progress_update"
    __fund_args__ = (
        CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)",
                        name="percent"),
        same_fund_fk("proposal_id", "proposal"),
        Index("ix_progress_update_fund_id_proposal_id", "fund_id", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")


@audited
class Evidence(FundOwned, db.Model):
    """An invoice, photo or PDF of a payout or a progress update; bytes in var/payouts/."""

    __fund_args__ = (
        EvidenceKind.check("kind"),
        CheckConstraint("(payout_id IS NULL) <> (update_id IS NULL)", name="one_owner"),
        UniqueConstraint("fund_id", "stored_name"),
        same_fund_fk("payout_id", "payout"),
        same_fund_fk("update_id", "progress_update"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int | None] = mapped_column(index=True)
    update_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@audited
class AcceptanceNote(FundOwned, db.Model):
    """The committee's acceptance note (验收意见) on a completed project."""

    __tablename__ = "acceptance_note"
    __fund_args__ = (
        UniqueConstraint("fund_id", "proposal_id"),
        same_fund_fk("proposal_id", "proposal"),
        same_fund_fk("motion_id", "motion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column()
    motion_id: Mapped[int | None] = mapped_column()  # the acceptance vote, once it passed
    body: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    written_by = relationship("User")
