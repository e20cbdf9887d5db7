"""A fund's own collection codes (收款码), the gifts donors report paying to them, and the lines
of the fund's WeChat or Alipay bill that confirm those gifts."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.recording import audited
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class CodeKind(Code):
    WECHAT = "wechat", _l("WeChat")
    ALIPAY = "alipay", _l("Alipay")


# Swapping a code would send donors' money elsewhere: who uploaded which code is on the trail.
@audited
class CollectionCode(FundOwned, db.Model):
    """The photo of a collection code on the wall (one per kind): shown on the donate page.
    Its money does not pass through the host's merchant account, so nothing notifies us:
    donors report their gifts and the fund's bill confirms them."""

    __tablename__ = "collection_code"
    __fund_args__ = (CodeKind.check("kind"), UniqueConstraint("fund_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    payee: Mapped[str] = mapped_column(String(100))  # the name the code shows when scanned
    content_type: Mapped[str] = mapped_column(String(40))
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited(personal=("name", "phone_last4"))
class GiftReport(FundOwned, db.Model):
    """A donor says they paid a collection code: what they said, beside the pending gift."""

    __tablename__ = "gift_report"
    __fund_args__ = (
        CodeKind.check("kind"),
        UniqueConstraint("fund_id", "donation_id"),
        same_fund_fk("donation_id", "donation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    phone_last4: Mapped[str] = mapped_column(String(4), default="")
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)  # as the donor remembers it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited(personal=("payer", "note"))
class BillLine(FundOwned, db.Model):
    """Money in on the fund's WeChat or Alipay bill, imported once (by its serial number); it
    confirms at most one gift, and a gift is confirmed by at most one line."""

    __tablename__ = "bill_line"
    __fund_args__ = (
        CodeKind.check("kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("fund_id", "kind", "serial"),
        UniqueConstraint("fund_id", "donation_id"),
        same_fund_fk("donation_id", "donation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    serial: Mapped[str] = mapped_column(String(100))  # 交易单号 / 交易订单号
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount_fen: Mapped[int]
    payer: Mapped[str] = mapped_column(String(100), default="")  # 交易对方
    note: Mapped[str] = mapped_column(String(200), default="")  # 备注 the payer wrote
    donation_id: Mapped[int | None] = mapped_column()  # None: not matched yet
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
