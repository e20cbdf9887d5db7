"""Donations of a fund, the batches they are entered in, donation points and designations."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.donors.models import Donor
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class Channel(Code):
    CASH = "cash", _l("Cash")
    BANK = "bank", _l("Bank transfer")
    WECHAT = "wechat", _l("WeChat transfer")
    ALIPAY = "alipay", _l("Alipay transfer")
    CARD = "card", _l("Card (online)")
    IN_KIND = "in_kind", _l("In kind")


# What a person records by hand; card gifts arrive only through the payment gateway.
OFFLINE_CHANNELS = (Channel.CASH, Channel.BANK, Channel.WECHAT, Channel.ALIPAY, Channel.IN_KIND)


class DonationStatus(Code):
    PENDING = "pending", _l("Pending")
    CONFIRMED = "confirmed", _l("Confirmed")
    FAILED = "failed", _l("Failed")
    REFUNDED = "refunded", _l("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _l("Partly refunded")
    REVERSED = "reversed", _l("Corrected (reversed)")


COUNTED = (DonationStatus.CONFIRMED, DonationStatus.PARTIALLY_REFUNDED)  # its money is in the fund


class BatchStatus(Code):
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


class DonationPoint(FundOwned, db.Model):
    """A place where money is collected (捐赠站点): the social-work station, a donation box."""

    __fund_args__ = (UniqueConstraint("fund_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Designation(FundOwned, db.Model):
    """A named purpose donors can give to: restricted money (定向捐赠)."""

    __fund_args__ = (UniqueConstraint("fund_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Batch(FundOwned, db.Model):
    """One collection entered at once (按批次录入): an assembly, a donation box opened."""

    __fund_args__ = (
        BatchStatus.check("status"),
        Channel.check("channel", OFFLINE_CHANNELS),
        CheckConstraint("counted_total_fen >= 0", name="counted_nonnegative"),
        same_fund_fk("point_id", "donation_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    point_id: Mapped[int | None] = mapped_column()
    received_on: Mapped[date] = mapped_column(Date)
    counted_total_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    point: Mapped[DonationPoint | None] = relationship(
        primaryjoin="Batch.point_id == DonationPoint.id", foreign_keys="[Batch.point_id]",
        viewonly=True,
    )


class Donation(FundOwned, db.Model):
    __fund_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_range"),
        Channel.check("channel"),
        DonationStatus.check("status"),
        UniqueConstraint("fund_id", "channel", "reference"),
        UniqueConstraint("fund_id", "gateway", "gateway_ref"),
        UniqueConstraint("fund_id", "submission_key"),
        same_fund_fk("donor_id", "donor"),
        same_fund_fk("point_id", "donation_point"),
        same_fund_fk("designation_id", "designation"),
        same_fund_fk("batch_id", "batch"),
        # Covers the donations list (its order, its filters and its totals) and 待我处理's
        # count of gifts waiting for a receipt, without the table.
        Index("ix_donation_fund_id_received_on", "fund_id", "received_on", "id", "status",
              "channel", "designation_id", "amount_fen", "refunded_fen", "donor_id",
              "receipt_waived"),
        Index("ix_donation_fund_id_donor_id", "fund_id", "donor_id"),
        Index("ix_donation_fund_id_batch_id", "fund_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int | None] = mapped_column()  # None: an anonymous gift (e.g. a donation box)
    amount_fen: Mapped[int]  # for gifts in kind: the valuation
    refunded_fen: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100))  # bank or transfer serial
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    designation_id: Mapped[int | None] = mapped_column()  # None: the fund in general
    point_id: Mapped[int | None] = mapped_column()
    batch_id: Mapped[int | None] = mapped_column()
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # 经办人
    item_description: Mapped[str] = mapped_column(String(200), default="")  # in kind
    item_quantity: Mapped[str] = mapped_column(String(50), default="")  # in kind, "20 箱"
    valuation_basis: Mapped[str] = mapped_column(String(200), default="")  # in kind: 估值依据
    message: Mapped[str] = mapped_column(String(500), default="")  # the donor's words
    notes: Mapped[str] = mapped_column(String(500), default="")  # the treasurer's notes
    gateway: Mapped[str | None] = mapped_column(String(20))  # "stripe" for online gifts
    gateway_ref: Mapped[str | None] = mapped_column(String(100))  # the payment intent id
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submission_key: Mapped[str | None] = mapped_column(String(40))  # the form that recorded it
    receipt_waived: Mapped[bool] = mapped_column(default=False)  # the donor wants no receipt
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Joined on the id alone: the composite foreign keys already keep both rows in one fund,
    # and a plain many-to-one lets selectinload fetch a page's donors with one IN query.
    donor: Mapped[Donor | None] = relationship(
        primaryjoin="Donation.donor_id == Donor.id", foreign_keys="[Donation.donor_id]",
        viewonly=True,
    )
    designation: Mapped[Designation | None] = relationship(
        primaryjoin="Donation.designation_id == Designation.id",
        foreign_keys="[Donation.designation_id]", viewonly=True,
    )
    point: Mapped[DonationPoint | None] = relationship(
        primaryjoin="Donation.point_id == DonationPoint.id",
        foreign_keys="[Donation.point_id]", viewonly=True,
    )

    @property
    def counted(self) -> bool:
        return self.status in COUNTED

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.refunded_fen


class EventOutcome(Code):
    """What a gateway's event (a notification, or its answer to an order query) did."""

    CONFIRMED = "confirmed", _l("Confirmed the gift")
    ALREADY_CONFIRMED = "already_confirmed", _l("The gift was already confirmed")
    AMOUNT_MISMATCH = "amount_mismatch", _l("Refused: the amount paid is not the gift's")
    FAILED = "failed", _l("The payment failed or the order closed")
    REFUND_BOOKED = "refund_booked", _l("Booked a refund")
    REFUND_ALREADY_BOOKED = "refund_already_booked", _l("The refund was already booked")
    UNKNOWN_PAYMENT = "unknown_payment", _l("No gift of ours has this order number")


class PaymentEvent(FundOwned, db.Model):
    """A gateway event already handled: a replayed webhook changes nothing. For WeChat Pay
    and Alipay the id is the gateway's transaction (or refund) number, so the notification
    and an order query of the same payment are one event."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "gateway", "event_id"),
        EventOutcome.check("outcome"),
        same_fund_fk("donation_id", "donation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(30))  # None: before it was kept
    donation_id: Mapped[int | None] = mapped_column(index=True)
    amount_fen: Mapped[int | None] = mapped_column()  # what the gateway said was paid
