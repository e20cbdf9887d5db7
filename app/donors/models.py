"""A fund's donors: people and organisations, with how they want to be named in public."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk

DONOR_KINDS = ("person", "organisation")
# show: the name; caring: 爱心人士 in public, known to the fund; anonymous: nothing in public
ANONYMITY = ("show", "caring", "anonymous")


class Donor(FundOwned, db.Model):
    __fund_args__ = (
        CheckConstraint(f"kind IN {DONOR_KINDS}", name="kind"),
        CheckConstraint(f"anonymity IN {ANONYMITY}", name="anonymity"),
        UniqueConstraint("fund_id", "phone"),
        UniqueConstraint("fund_id", "email"),
        Index("ix_donor_fund_id_name", "fund_id", "name"),
        Index("ix_donor_fund_id_initials", "fund_id", "initials"),
        same_fund_fk("merged_into_id", "donor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="person")
    name: Mapped[str] = mapped_column(String(200))
    initials: Mapped[str] = mapped_column(String(100), default="")  # 王秀英 -> wxy, for search
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(300), default="")
    id_number: Mapped[str] = mapped_column(String(30), default="")  # shown masked
    anonymity: Mapped[str] = mapped_column(String(20), default="show")
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    notes: Mapped[str] = mapped_column(String(500), default="")
    merged_into_id: Mapped[int | None] = mapped_column()  # set when merged into another donor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
