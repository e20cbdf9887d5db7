"""Published disclosure reports. A published version is frozen (its figures and PDF bytes);
a correction is a new version with a correction note (更正说明), the old one stays."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import audited
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned


class ReportKind(Code):
    QUARTERLY = "quarterly", _l("Quarterly report")
    ANNUAL = "annual", _l("Annual report")


@audited
class Report(FundOwned, db.Model):
    __tablename__ = "disclosure_report"
    __fund_args__ = (
        ReportKind.check("kind"),
        CheckConstraint("quarter BETWEEN 0 AND 4", name="quarter"),
        CheckConstraint("version >= 1", name="version"),
        UniqueConstraint("fund_id", "kind", "year", "quarter", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    quarter: Mapped[int] = mapped_column(default=0)  # 0 for an annual report
    version: Mapped[int] = mapped_column(default=1)
    threshold_fen: Mapped[int]
    data: Mapped[str] = mapped_column(Text)  # the figures as published (JSON)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    correction_note: Mapped[str] = mapped_column(String(1000), default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published_by = relationship("User")
