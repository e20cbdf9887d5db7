"""Townships and their funds: the tenant registry. A Fund is the tenant itself."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class FundStatus(Code):
    ACTIVE = "active", _l("Active")
    SUSPENDED = "suspended", _l("Suspended")
    ARCHIVED = "archived", _l("Archived")


class FundKind(Code):
    VILLAGE = "village", _l("Village")
    COMMUNITY = "community", _l("Residential community")
    TOWNSHIP = "township", _l("Township")


LARGE_CASH_FEN = 10_000 * 100  # ¥10,000, until the township chooses
LARGE_CASH_WINDOW_FEN = (1_000 * 100, 200_000 * 100)  # ¥1,000 to ¥200,000


class Township(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")  # 县/区, 市
    # Township admins must sign in with a one-time code as well (app/auth/totp.py).
    require_admin_2fa: Mapped[bool] = mapped_column(default=False)
    # A cash gift of this much or more is an anomaly to review (app/oversight/anomalies.py):
    # the township sets it for its villages' size, within LARGE_CASH_WINDOW_FEN.
    large_cash_fen: Mapped[int] = mapped_column(default=LARGE_CASH_FEN,
                                                server_default=str(LARGE_CASH_FEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    funds: Mapped[list["Fund"]] = relationship(back_populates="township", order_by="Fund.id")


class Fund(db.Model):
    __table_args__ = (
        FundStatus.check("status"),
        FundKind.check("kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="village")
    village: Mapped[str] = mapped_column(String(100), default="")  # 村 or 社区
    host_charity: Mapped[str] = mapped_column(String(200))
    receipt_prefix: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    township: Mapped[Township] = relationship(back_populates="funds")

    @property
    def is_active(self) -> bool:
        return self.status == "active"
