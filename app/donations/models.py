"""Donations of a fund and its donation points (捐赠站点)."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.donors.models import Donor
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk

CHANNELS = ("cash", "bank", "wechat", "alipay", "card", "in_kind")
STATUSES = ("pending", "confirmed", "failed", "refunded", "partially_refunded")


class DonationPoint(FundOwned, db.Model):
    __fund_args__ = (UniqueConstraint("fund_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")


class Donation(FundOwned, db.Model):
    __fund_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        UniqueConstraint("fund_id", "channel", "reference"),
        same_fund_fk("donor_id", "donor"),
        same_fund_fk("point_id", "donation_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int | None] = mapped_column()
    point_id: Mapped[int | None] = mapped_column()
    amount_fen: Mapped[int]
    channel: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100))
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    notes: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    donor: Mapped[Donor | None] = relationship(
        primaryjoin="and_(Donation.donor_id == Donor.id, Donation.fund_id == Donor.fund_id)",
        foreign_keys="[Donation.donor_id]",
    )
