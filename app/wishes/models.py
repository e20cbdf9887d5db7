"""微心愿: a small wish collected for a neighbour in need, screened by a second person, shown on
the public wall, claimed by a donor and fulfilled by goods or money; and the fund's settings."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.codes import Code
from app.db_types import SECRET, UTCDateTime, utcnow
from app.donors.models import Anonymity
from app.extensions import db
from app.privacy import Sealed
from tenants.model import FundOwned, same_fund_fk

DEFAULT_CAP_FEN = 500_00  # ¥500: a small wish, not a project
DEFAULT_CLAIM_DAYS = 14


class WishStatus(Code):
    PENDING = "pending", _l("Waiting for screening")
    RETURNED = "returned", _l("Returned")
    OPEN = "open", _l("On the wall")
    FULFILLED = "fulfilled", _l("Fulfilled")


PUBLISHED = (WishStatus.OPEN, WishStatus.FULFILLED)  # a second person approved it: on the wall
# The staff list's tabs: the screening queue first, then the wall, then what went back or is done.
LISTED = (WishStatus.PENDING, WishStatus.OPEN, WishStatus.RETURNED, WishStatus.FULFILLED)


class FulfilBy(Code):
    GOODS = "goods", _l("The donor hands over the thing")
    MONEY = "money", _l("The donor gives money; the fund buys it")
    EITHER = "either", _l("Either way")


class ClaimStatus(Code):
    ACTIVE = "active", _l("Claimed")
    CANCELLED = "cancelled", _l("Cancelled by the donor")
    REVOKED = "revoked", _l("Revoked")
    EXPIRED = "expired", _l("Expired")
    FULFILLED = "fulfilled", _l("Fulfilled")


class WallState(Code):
    """What a reader of the wall sees: computed from the wish, its live claim and its payout."""

    OPEN = "open", _l("Waiting for a donor")
    CLAIMED = "claimed", _l("Claimed")
    FULFILLED = "fulfilled", _l("Fulfilled")


class Confirmer(Code):
    RECIPIENT = "recipient", _l("The recipient")
    GUARDIAN = "guardian", _l("A guardian or family member")


@audited
class WishSettings(FundOwned, db.Model):
    """The fund's rules for wishes; one row per fund, the defaults while none is saved."""

    __tablename__ = "wish_settings"
    __fund_args__ = (
        UniqueConstraint("fund_id"),
        CheckConstraint("cap_fen > 0", name="cap_positive"),
        CheckConstraint("claim_days BETWEEN 1 AND 90", name="claim_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cap_fen: Mapped[int] = mapped_column(default=DEFAULT_CAP_FEN)
    claim_days: Mapped[int] = mapped_column(default=DEFAULT_CLAIM_DAYS)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited(state="status")
class Wish(FundOwned, db.Model):
    """Who it is for is sealed at rest (name, situation); the wall shows the surname, the age
    and the village group only."""

    __fund_args__ = (
        WishStatus.check("status"),
        FulfilBy.check("fulfil_by"),
        FulfilBy.check("fulfilled_via", (FulfilBy.GOODS, FulfilBy.MONEY)),
        Confirmer.check("confirmed_by"),
        CheckConstraint("value_fen > 0", name="value_positive"),
        CheckConstraint("recipient_age BETWEEN 0 AND 120", name="recipient_age"),
        CheckConstraint("status <> 'fulfilled' OR donation_id IS NOT NULL",
                        name="fulfilled_backed"),
        same_fund_fk("donation_id", "donation"),
        same_fund_fk("payout_id", "payout"),
        Index("ix_wish_fund_id_status", "fund_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))  # what is wished: 一个新书包
    details: Mapped[str] = mapped_column(String(500), default="")  # size, colour, why
    value_fen: Mapped[int]
    fulfil_by: Mapped[str] = mapped_column(String(10), default="either")
    village_group: Mapped[str] = mapped_column(String(40))  # 三组: public
    recipient_name: Mapped[str] = mapped_column(Sealed("wish.recipient_name"))
    recipient_age: Mapped[int]
    situation: Mapped[str] = mapped_column(Sealed("wish.situation"))  # the 社工's notes
    status: Mapped[str] = mapped_column(String(20), default="pending")
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(String(300), default="")
    # The gift behind a fulfilled wish: the goods in kind, or the donor's money.
    donation_id: Mapped[int | None] = mapped_column()
    payout_id: Mapped[int | None] = mapped_column()  # the fund buying it with that money
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str | None] = mapped_column(String(20))
    handover_note: Mapped[str] = mapped_column(String(300), default="")
    fulfilled_via: Mapped[str | None] = mapped_column(String(10))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Photos without faces (app/wishes/photos.py), re-encoded as JPEG and kept under random
    # names in var/wishes/<fund id>/: the thing wished, and the hand-over.
    photo_name: Mapped[str | None] = mapped_column(String(40))
    handover_photo_name: Mapped[str | None] = mapped_column(String(40))

    collected_by = relationship("User", foreign_keys=[collected_by_id])
    screened_by = relationship("User", foreign_keys=[screened_by_id])

    @property
    def published(self) -> bool:
        return self.status in PUBLISHED


@audited(state="status")
class WishClaim(FundOwned, db.Model):
    """A donor's promise to fulfil a wish. At most one active claim per wish: the partial
    unique index decides when two people tap at once."""

    __tablename__ = "wish_claim"
    __fund_args__ = (
        ClaimStatus.check("status"),
        Anonymity.check("shown_as"),
        UniqueConstraint("fund_id", "token_hash"),
        same_fund_fk("wish_id", "wish"),
        Index("uq_wish_claim_active", "fund_id", "wish_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_wish_claim_fund_id_status_expires_at", "fund_id", "status", "expires_at"),
        Index("ix_wish_claim_fund_id_wish_id", "fund_id", "wish_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(Sealed("wish_claim.phone"))
    shown_as: Mapped[str] = mapped_column(String(20), default="show")  # Anonymity
    status: Mapped[str] = mapped_column(String(20), default="active")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None once the donor's money is in: a paid claim waits for the fund's purchase.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    end_reason: Mapped[str] = mapped_column(String(300), default="")
    # The claimer's own link (to see and cancel the claim): only its sha256 is kept.
    token_hash: Mapped[str] = mapped_column(String(64), info=SECRET)

    wish: Mapped[Wish] = relationship(primaryjoin="WishClaim.wish_id == Wish.id",
                                      foreign_keys="[WishClaim.wish_id]", viewonly=True)


@audited
class WishGift(FundOwned, db.Model):
    """A gift given for a wish through the donate flow (or recorded on the wish's page): money
    designated to the fund's 微心愿 project, tied to this wish. Those confirmed while the claim
    was live and not refunded pay for the wish once they reach its value (services.funding)."""

    __tablename__ = "wish_gift"
    __fund_args__ = (
        UniqueConstraint("fund_id", "donation_id"),
        same_fund_fk("wish_id", "wish"),
        same_fund_fk("donation_id", "donation"),
        Index("ix_wish_gift_fund_id_wish_id", "fund_id", "wish_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column()
    donation_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
