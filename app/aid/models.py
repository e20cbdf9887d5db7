"""关爱发放: aid programmes, the people they help, their enrolments, what each is owed per
period, the hand-outs signed for, vouchers and the partner shops that redeem them.

A programme rides on a governance proposal: its creation is that proposal's vote, its budget
is the proposal's approved amount (a budget-change vote moves it), its money goes out through
payouts on that proposal (two keys). A batch of enrolments is one motion on the same
proposal (MotionKind.ENROLMENT), so recusal and the resolution come from governance."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.codes import Code
from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db
from app.privacy import Sealed
from tenants.model import FundOwned, same_fund_fk


class AidKind(Code):
    MONEY = "money", _l("Money (cash)")
    VOUCHER = "voucher", _l("Voucher")
    GOODS = "goods", _l("Goods")


class Frequency(Code):
    ONCE = "once", _l("Once")
    MONTHLY = "monthly", _l("Monthly")
    QUARTERLY = "quarterly", _l("Quarterly")


class HandoutMethod(Code):
    SIGNATURE = "signature", _l("Signed on the phone")
    PAPER = "paper", _l("Signed on the paper roster (photo)")


class Collector(Code):
    SELF = "self", _l("The person")
    PROXY = "proxy", _l("The proxy")


@audited
class Programme(FundOwned, db.Model):
    """What is given, how often, for how long, to whom (the rule in words)."""

    __tablename__ = "aid_programme"
    __fund_args__ = (
        AidKind.check("kind"),
        Frequency.check("frequency"),
        CheckConstraint("value_fen > 0", name="value_positive"),
        UniqueConstraint("fund_id", "proposal_id"),
        same_fund_fk("proposal_id", "proposal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column()  # its vote, budget, designation and payouts
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    value_fen: Mapped[int]  # per person per period (goods: what they cost)
    goods: Mapped[str] = mapped_column(String(200), default="")  # goods: what is given
    frequency: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(Text)  # who is eligible, in words
    # The committee's rule on the public board: names (masked, 王*英) of those who consent.
    public_names: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal = relationship("Proposal", primaryjoin="Programme.proposal_id == Proposal.id",
                            foreign_keys="[Programme.proposal_id]", viewonly=True)


@audited
class Beneficiary(FundOwned, db.Model):
    """A person the fund helps. What identifies them is sealed (app/privacy.py); the ID
    number is found again by its keyed hash. No account: the 社工 acts for them."""

    __tablename__ = "aid_beneficiary"
    __fund_args__ = (UniqueConstraint("fund_id", "id_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Sealed("aid_beneficiary.name"))
    id_number: Mapped[str] = mapped_column(Sealed("aid_beneficiary.id_number"))
    id_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    village_group: Mapped[str] = mapped_column(String(40))  # 村民小组: the hand-out's place
    household: Mapped[str] = mapped_column(Sealed("aid_beneficiary.household"))
    situation: Mapped[str] = mapped_column(Sealed("aid_beneficiary.situation"))
    proxy_name: Mapped[str | None] = mapped_column(Sealed("aid_beneficiary.proxy_name"))
    proxy_phone: Mapped[str | None] = mapped_column(Sealed("aid_beneficiary.proxy_phone"))
    name_consent: Mapped[bool] = mapped_column(default=False)  # a masked name on the board
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Enrolment(FundOwned, db.Model):
    """A person in a programme from a start to an end, once the committee's vote passed
    (motion_id: the batch's vote; None while only proposed)."""

    __tablename__ = "aid_enrolment"
    __fund_args__ = (
        UniqueConstraint("fund_id", "programme_id", "beneficiary_id"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        same_fund_fk("programme_id", "aid_programme"),
        same_fund_fk("beneficiary_id", "aid_beneficiary"),
        same_fund_fk("motion_id", "motion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(index=True)
    beneficiary_id: Mapped[int] = mapped_column(index=True)
    motion_id: Mapped[int | None] = mapped_column(index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # reviewed each year: at most a year
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The yearly review (EnrolmentReview): the day of the last one, and the day a review
    # ended the person's aid (None while it goes on).
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)

    beneficiary: Mapped[Beneficiary] = relationship(
        primaryjoin="Enrolment.beneficiary_id == Beneficiary.id",
        foreign_keys="[Enrolment.beneficiary_id]", viewonly=True)
    motion = relationship("Motion", primaryjoin="Enrolment.motion_id == Motion.id",
                          foreign_keys="[Enrolment.motion_id]", viewonly=True)


@audited
class Entitlement(FundOwned, db.Model):
    """What one enrolled person is owed for one period; made once (the unique key), paid for
    by one payout (to the shop that redeemed the voucher, or the cash drawn)."""

    __tablename__ = "aid_entitlement"
    __fund_args__ = (
        UniqueConstraint("fund_id", "enrolment_id", "period"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        same_fund_fk("programme_id", "aid_programme"),
        same_fund_fk("enrolment_id", "aid_enrolment"),
        same_fund_fk("payout_id", "payout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(index=True)
    enrolment_id: Mapped[int] = mapped_column()
    period: Mapped[str] = mapped_column(String(7))  # 2026-12, 2026-Q4 or "once"
    amount_fen: Mapped[int]
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payout_id: Mapped[int | None] = mapped_column(index=True)

    enrolment: Mapped[Enrolment] = relationship(
        primaryjoin="Entitlement.enrolment_id == Enrolment.id",
        foreign_keys="[Entitlement.enrolment_id]", viewonly=True)


class RosterPhoto(FundOwned, db.Model):
    """A photo of a signed paper roster: the evidence of the hand-outs ticked from it."""

    __tablename__ = "aid_roster_photo"
    __fund_args__ = (same_fund_fk("programme_id", "aid_programme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(index=True)
    period: Mapped[str] = mapped_column(String(7))
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary, info=SECRET)  # names, signatures
    sha256: Mapped[str] = mapped_column(String(64), info=SECRET)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Handout(FundOwned, db.Model):
    """One entitlement given: who collected it and the proof (a signature on the phone, its
    sha256 kept with it; or the photographed paper roster). Once per entitlement."""

    __tablename__ = "aid_handout"
    __fund_args__ = (
        UniqueConstraint("fund_id", "entitlement_id"),
        HandoutMethod.check("method"),
        Collector.check("collector"),
        CheckConstraint("(method = 'signature') = (signature IS NOT NULL)", name="proof"),
        same_fund_fk("entitlement_id", "aid_entitlement"),
        same_fund_fk("photo_id", "aid_roster_photo"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entitlement_id: Mapped[int] = mapped_column()
    method: Mapped[str] = mapped_column(String(10))
    collector: Mapped[str] = mapped_column(String(10), default="self")
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, info=SECRET)  # a PNG
    signature_sha256: Mapped[str] = mapped_column(String(64), default="", info=SECRET)
    photo_id: Mapped[int | None] = mapped_column()
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Shop(FundOwned, db.Model):
    """A partner shop: it redeems vouchers on its own page (a per-shop link, no account)."""

    __tablename__ = "aid_shop"
    __fund_args__ = (UniqueConstraint("fund_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payee_account: Mapped[str] = mapped_column(String(60), default="")
    token: Mapped[str] = mapped_column(String(43), info=SECRET)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited
class Voucher(FundOwned, db.Model):
    """The voucher of a voucher programme's entitlement: a serial people read, a code in the
    QR that opens its check page, redeemed once at one shop."""

    __tablename__ = "aid_voucher"
    __fund_args__ = (
        UniqueConstraint("fund_id", "entitlement_id"),
        UniqueConstraint("fund_id", "serial"),
        UniqueConstraint("fund_id", "code"),
        CheckConstraint("(redeemed_at IS NULL) = (shop_id IS NULL)", name="redeemed_at_shop"),
        same_fund_fk("entitlement_id", "aid_entitlement"),
        same_fund_fk("shop_id", "aid_shop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entitlement_id: Mapped[int] = mapped_column()
    serial: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(32), info=SECRET)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shop_id: Mapped[int | None] = mapped_column(index=True)

    entitlement: Mapped[Entitlement] = relationship(
        primaryjoin="Voucher.entitlement_id == Entitlement.id",
        foreign_keys="[Voucher.entitlement_id]", viewonly=True)


class ChangeField(Code):
    """What a change of a programme may change (the committee votes on it)."""

    VALUE = "value_fen", _l("Amount per person per period")
    FREQUENCY = "frequency", _l("How often")
    ENDS_ON = "ends_on", _l("Last day")
    RULE = "rule", _l("Who is eligible")
    BUDGET = "budget_fen", _l("Budget")


@audited
class ProgrammeChange(FundOwned, db.Model):
    """A change of a programme's terms, put to the committee as a motion on the programme's
    proposal (MotionKind.PROGRAMME_CHANGE). The values before and after are both kept: the
    programme page shows its versions from them. Applied when the vote carries, from
    effective_from on (the next period); entitlements made before keep their amounts."""

    __tablename__ = "aid_programme_change"
    __fund_args__ = (
        Frequency.check("frequency"),
        Frequency.check("old_frequency"),
        CheckConstraint("value_fen > 0", name="value_positive"),
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        same_fund_fk("programme_id", "aid_programme"),
        same_fund_fk("motion_id", "motion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(index=True)
    motion_id: Mapped[int | None] = mapped_column(index=True)  # None: proposed, not yet voted
    value_fen: Mapped[int]
    frequency: Mapped[str] = mapped_column(String(10))
    ends_on: Mapped[date | None] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(Text)
    budget_fen: Mapped[int]
    old_value_fen: Mapped[int]
    old_frequency: Mapped[str] = mapped_column(String(10))
    old_ends_on: Mapped[date | None] = mapped_column(Date)
    old_rule: Mapped[str] = mapped_column(Text)
    old_budget_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date | None] = mapped_column(Date)  # set when the vote carries
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    motion = relationship("Motion", primaryjoin="ProgrammeChange.motion_id == Motion.id",
                          foreign_keys="[ProgrammeChange.motion_id]", viewonly=True)


class ReviewDecision(Code):
    CONTINUE = "continue", _l("Continue")
    END = "end", _l("End the aid")


@audited
class EnrolmentReview(FundOwned, db.Model):
    """The 社工's yearly review of an enrolment: the aid goes on (for another year at most,
    within the programme) or ends, with the reason."""

    __tablename__ = "aid_enrolment_review"
    __fund_args__ = (
        ReviewDecision.check("decision"),
        same_fund_fk("enrolment_id", "aid_enrolment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    old_ends_on: Mapped[date] = mapped_column(Date)
    new_ends_on: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
