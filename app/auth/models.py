"""People and what they may do: users, and memberships of a township or a fund."""

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import local_today
from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db
from app.funds.models import Fund, Township

from .roles import FUND_ROLES, Role


class User(UserMixin, db.Model):
    __table_args__ = (CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), info=SECRET)
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-step sign-in (app/auth/totp.py): a secret is pending until a code confirms it.
    totp_secret: Mapped[str | None] = mapped_column(String(64), info=SECRET)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()  # a code is accepted only once
    # Part of the id every session and remember cookie carries (get_id): moving it on (sign
    # out, a new password, two-step sign-in turned on or off) ends all of them at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", order_by="Membership.id"
    )

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and signs into the remember cookie."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None


_ROLE_SCOPE = (
    f"(role = '{Role.PLATFORM_ADMIN}' AND township_id IS NULL AND fund_id IS NULL)"
    f" OR (role = '{Role.TOWNSHIP_ADMIN}' AND township_id IS NOT NULL AND fund_id IS NULL)"
    f" OR (role IN {Role.values(FUND_ROLES)} AND fund_id IS NOT NULL AND township_id IS NULL)"
)


class Membership(db.Model):
    """A user's role in the platform, a township or a fund, for a period of time.

    Not fund-owned: it is read before any tenant is known (to find a user's funds and to
    decide whether they may enter one), always filtered by user or by fund explicitly.
    """

    __table_args__ = (
        # role_scope names every role too; this one is the set's, which tests/test_codes.py
        # holds to the enum and the migrations.
        Role.check("role"),
        CheckConstraint(_ROLE_SCOPE, name="role_scope"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("fund.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date, default=local_today)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    township: Mapped[Township | None] = relationship()
    fund: Mapped[Fund | None] = relationship()

    def current_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class RecoveryCode(db.Model):
    """A single-use code for signing in without the phone; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    """A single-use link (and its QR code) to take up an appointment: the invitee sets a
    password, or links the appointment to the account they are signed in with. Shared, like
    the membership it belongs to: it is opened before any tenant is known. Only the token's
    sha256 is kept, so a copy of this table lets nobody in; ``used_at`` is set by the one
    UPDATE that spends it (app/auth/invitations.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    membership: Mapped[Membership] = relationship()
