"""A notice to one person or address: what was said, by which channel, and what became of it.

Fund-owned: every notice the app sends is about a fund's business (a vote, a payout, an
objection, a committee term), so it lives under the fund's row-level security and the fund's
secretary sees its list. A message about no fund would get a table of its own.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import Code
from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned


class NoticeChannel(Code):
    SMS = "sms", _l("SMS")
    EMAIL = "email", _l("Email")
    LOG = "log", _l("Server log only")


class NoticeStatus(Code):
    QUEUED = "queued", _l("Waiting")
    SENDING = "sending", _l("Sending")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")
    REFUSED = "refused", _l("Not sent: daily limit")


class Notice(FundOwned, db.Model):
    __fund_args__ = (
        NoticeChannel.check("channel"),
        NoticeStatus.check("status"),
        # The per-person daily limit counts a number's notices across funds (services.py).
        Index("ix_notice_recipient_claimed_at", "recipient", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    # The mobile number (11 digits) or email address as it must be for sending; pages show it
    # masked (services.masked).
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    template: Mapped[str] = mapped_column(String(40))
    # The SMS template's parameters in order: the provider sends its approved template filled
    # with these, never free text.
    params: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(String(1000))  # as the person reads it, sign name first
    status: Mapped[str] = mapped_column(String(10), default=NoticeStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    provider_ref: Mapped[str] = mapped_column(String(64), default="")  # the SMS serial number
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last attempt began
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])


class PhoneCode(FundOwned, db.Model):
    """A one-time code sent by SMS to prove that whoever types it holds this mobile number (a
    villager claiming a wish, a volunteer checking in): no account, no password (codes.py)."""

    __fund_args__ = (Index("ix_phone_code_phone_purpose", "phone", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(40))  # what it proves the number for: "wish.claim"
    # HMAC under SECRET_KEY: six digits hashed plainly would be read back from a copy of the
    # database in a second.
    code_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
