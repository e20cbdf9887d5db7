"""Sign-in links of the donor portal. A shared table: a link belongs to an email address,
which may be a donor's in several funds, not to one fund."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db


class PortalLink(db.Model):
    """An emailed sign-in link. Only the token's sha256 is kept: a copy of this table signs
    nobody in. ``used_at`` is set by the one UPDATE that spends the link."""

    __tablename__ = "portal_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
