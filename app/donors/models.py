"""A fund's donors: people and organisations, with how they want to be named in public."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class DonorKind(Code):
    PERSON = "person", _l("Person")
    ORGANISATION = "organisation", _l("Organisation")


class Anonymity(Code):
    """How a donor is named in public, from most to least shown: the name; 爱心人士 (known to
    the fund); nothing at all."""

    SHOW = "show", _l("Name shown")
    CARING = "caring", _l("爱心人士")
    ANONYMOUS = "anonymous", _l("Anonymous")


class Donor(FundOwned, db.Model):
    __fund_args__ = (
        DonorKind.check("kind"),
        Anonymity.check("anonymity"),
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
