"""Donation receipts (捐赠收据): numbers, the stored PDF, voids and reissues, the fund's settings.

A receipt keeps a copy of everything it states (name, amount, channel, purpose, handler), so
its PDF can be stamped 作废 later without reading rows that may have changed since.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import Code
from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned, same_fund_fk


class ReceiptKind(Code):
    SINGLE = "single", _l("Receipt")
    ANNUAL = "annual", _l("Annual receipt")


class ReceiptStatus(Code):
    VALID = "valid", _l("Valid")
    VOID = "void", _l("Void (作废)")


class Delivery(Code):
    NONE = "none", _l("Not sent")
    QUEUED = "queued", _l("Sending")
    SENT = "sent", _l("Emailed")
    FAILED = "failed", _l("Email failed")


class IssueMode(Code):
    AUTO = "auto", _l("Automatically when a donation with a donor is confirmed")
    MANUAL = "manual", _l("The treasurer issues each receipt")


class FileVariant(Code):
    ORIGINAL = "original", _l("As issued")
    VOID = "void", _l("Stamped void (作废)")


class ReceiptSettings(FundOwned, db.Model):
    """One row per fund: how receipts are issued and the seal printed on them."""

    __fund_args__ = (
        UniqueConstraint("fund_id", name="one_per_fund"),
        IssueMode.check("issue_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_mode: Mapped[str] = mapped_column(String(10), default="manual")
    # Automatic issuing covers gifts confirmed from this moment on, never the fund's history.
    auto_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    thanks: Mapped[str] = mapped_column(String(200), default="")  # the fund's own thank-you line
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # 复核人: who checks the receipts the fund issues (None: the chair, see receipts.signers).
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The fund's rule that 开票人 and 复核人 are two people, as on 公益事业捐赠统一票据.
    separate_signers: Mapped[bool] = mapped_column(Boolean, default=True)


class ReceiptCounter(FundOwned, db.Model):
    """The last number issued per fund and year; its row lock makes numbers gapless."""

    __fund_args__ = (UniqueConstraint("fund_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)


class Receipt(FundOwned, db.Model):
    __fund_args__ = (
        ReceiptKind.check("kind"),
        ReceiptStatus.check("status"),
        Delivery.check("delivery_status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("fund_id", "year", "sequence"),
        UniqueConstraint("fund_id", "number"),
        UniqueConstraint("fund_id", "token"),
        UniqueConstraint("fund_id", "replaces_id"),  # a receipt is reissued at most once
        same_fund_fk("donation_id", "donation"),
        same_fund_fk("donor_id", "donor"),
        same_fund_fk("replaces_id", "receipt"),
        Index("ix_receipt_token", "token"),  # the public check looks a token up across funds
        Index("ix_receipt_fund_id_donation_id", "fund_id", "donation_id"),
        Index("ix_receipt_fund_id_donor_id", "fund_id", "donor_id"),
        # One valid single receipt per gift; ReceiptGift extends this to annual receipts.
        Index("uq_receipt_valid_donation", "fund_id", "donation_id", unique=True,
              sqlite_where=text("status = 'valid' AND kind = 'single'"),
              postgresql_where=text("status = 'valid' AND kind = 'single'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="single")
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))  # <prefix>-<year>-<000001>
    # The verification URL's secret part, and the sha256 of the printed portal code.
    token: Mapped[str] = mapped_column(String(40), info=SECRET)
    code_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    donation_id: Mapped[int | None] = mapped_column()  # None for an annual receipt
    donor_id: Mapped[int | None] = mapped_column()
    # Annual receipts: the first and the last gift listed (all of one year).
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # What the receipt states, copied when it was issued.
    name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int]
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")
    handler: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(100), default="")  # 开票人
    checker: Mapped[str] = mapped_column(String(100), default="")  # 复核人
    # A gift in kind: what, how much, and how its value (amount_fen) was set.
    item_description: Mapped[str] = mapped_column(String(200), default="")
    item_quantity: Mapped[str] = mapped_column(String(50), default="")
    valuation_basis: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="valid")
    void_reason: Mapped[str] = mapped_column(String(300), default="")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replaces_id: Mapped[int | None] = mapped_column()
    # The official 公益事业捐赠统一票据, when the host charity issues one for this gift.
    official_code: Mapped[str] = mapped_column(String(40), default="")
    official_number: Mapped[str] = mapped_column(String(40), default="")
    delivery_status: Mapped[str] = mapped_column(String(10), default="none")
    delivery_attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_error: Mapped[str] = mapped_column(String(300), default="")

    replaces: Mapped["Receipt | None"] = relationship(
        primaryjoin="Receipt.replaces_id == Receipt.id", foreign_keys="[Receipt.replaces_id]",
        remote_side="Receipt.id", viewonly=True,
    )

    @property
    def is_void(self) -> bool:
        return self.status == "void"


class ReceiptGift(FundOwned, db.Model):
    """A gift a receipt acknowledges, with its date and amount as printed: one row for a single
    receipt, one per listed gift for an annual one.

    The partial unique index is the rule "a gift is on one valid receipt at most", single or
    annual, held by the database also when two receipts are issued at once. ``valid`` follows
    the receipt: a trigger clears it when the receipt is voided, which frees the gift for a
    reissue; triggers refuse any other change.
    """

    __fund_args__ = (
        UniqueConstraint("fund_id", "receipt_id", "donation_id"),
        same_fund_fk("receipt_id", "receipt", ondelete="RESTRICT"),
        same_fund_fk("donation_id", "donation"),
        Index("uq_receipt_gift_valid", "fund_id", "donation_id", unique=True,
              sqlite_where=text("valid"), postgresql_where=text("valid")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int]
    donation_id: Mapped[int]
    received_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int]
    valid: Mapped[bool] = mapped_column(Boolean, default=True)


class ReceiptFile(FundOwned, db.Model):
    """Stored PDF bytes: the original as issued, and the copy stamped 作废 once voided."""

    __fund_args__ = (
        FileVariant.check("variant"),
        UniqueConstraint("fund_id", "receipt_id", "variant"),
        same_fund_fk("receipt_id", "receipt", ondelete="RESTRICT"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int]
    variant: Mapped[str] = mapped_column(String(10), default="original")
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
