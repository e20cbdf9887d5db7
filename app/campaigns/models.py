"""联合劝募: a township's campaign, the funds taking part, the sponsor's match pledge and the
match each gift received.

The campaign belongs to the township (like the township and its funds, not to one fund). A
fund's part, the pledge and the allocations are fund-owned: a part lives in the village fund
(its designation is that fund's), a pledge in the sponsor's fund, an allocation in the fund of
the gift it matches. The allocation is the one row that names two funds: it points at the
ledger entry in each (the sponsor's debit and the village's credit), which sum to zero.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit.recording import audited
from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.funds.models import Fund
from tenants.model import FundOwned, same_fund_fk


class Limit(Code):
    """Why a gift got less match than the ratio promised, or none."""

    NONE = "none", _l("Matched in full")
    PER_GIFT = "per_gift", _l("Per-gift limit")
    PER_DONOR_DAY = "per_donor_day", _l("Per-donor daily limit")
    CAP = "cap", _l("The match was used up")
    WINDOW = "window", _l("Outside the match window")
    OFFLINE = "offline", _l("Offline gifts are not matched")


class CampaignStatus(Code):
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


@audited(state="status", labels=lambda campaign: (campaign.township_id, None))
class Campaign(db.Model):
    __table_args__ = (
        CampaignStatus.check("status"),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    story: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    host_charity: Mapped[str] = mapped_column(String(200))  # receives the money (the merchant)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@audited
class CampaignFund(FundOwned, db.Model):
    """A fund's part in a campaign: its goal, and the designation its campaign gifts carry
    (how a gift is known as the campaign's: the donor gives to that purpose)."""

    __fund_args__ = (
        CheckConstraint("goal_fen > 0", name="goal_positive"),
        UniqueConstraint("fund_id", "campaign_id"),
        UniqueConstraint("fund_id", "designation_id"),  # a purpose serves one campaign
        same_fund_fk("designation_id", "designation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    designation_id: Mapped[int] = mapped_column()
    goal_fen: Mapped[int]

    fund: Mapped[Fund] = relationship(viewonly=True)


@audited
class MatchPledge(FundOwned, db.Model):
    """A sponsor's promise to match the campaign's gifts, from the sponsor's fund (the
    township's own fund, or the fund a firm gave its matching money to). One per campaign:
    allocate() reads the campaign's pledge, so a second would be a second, unseen cap."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "campaign_id"),
        # Across sponsor funds too, in the database: two clicks at once cannot make two.
        Index("uq_match_pledge_campaign_id", "campaign_id", unique=True),
        CheckConstraint("ratio_num > 0 AND ratio_den > 0", name="ratio_positive"),
        CheckConstraint("cap_fen > 0", name="cap_positive"),
        CheckConstraint("per_gift_fen IS NULL OR per_gift_fen > 0", name="per_gift_positive"),
        CheckConstraint("per_donor_day_fen IS NULL OR per_donor_day_fen > 0",
                        name="per_donor_day_positive"),
        CheckConstraint("ends_at > starts_at", name="window_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    sponsor_name: Mapped[str] = mapped_column(String(120))  # the township, or a firm
    ratio_num: Mapped[int] = mapped_column(default=1)  # the match is gift × num / den
    ratio_den: Mapped[int] = mapped_column(default=1)
    cap_fen: Mapped[int]
    per_gift_fen: Mapped[int | None] = mapped_column()
    per_donor_day_fen: Mapped[int | None] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offline_counts: Mapped[bool] = mapped_column(default=False)
    # What the allocations hold now, kept on the row every allocation locks: the cap is read
    # and moved under that lock, so two gifts at once cannot both take its last yuan.
    used_fen: Mapped[int] = mapped_column(default=0)


@audited
class MatchAllocation(FundOwned, db.Model):
    """The match one campaign gift received (computed once, when the gift was confirmed), what
    limited it, and how much of it went back to the sponsor when the gift was refunded. A gift
    matched with nothing keeps its row too: the closing report explains why."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "donation_id"),  # once per gift
        Limit.check("limited_by"),
        CheckConstraint("matched_fen >= 0 AND matched_fen <= wanted_fen", name="matched_range"),
        CheckConstraint("(matched_fen = 0) = (entry_id IS NULL)", name="entries_iff_matched"),
        CheckConstraint("returned_fen >= 0 AND returned_fen <= matched_fen",
                        name="returned_range"),
        same_fund_fk("donation_id", "donation"),
        same_fund_fk("entry_id", "ledger_entry"),
        ForeignKeyConstraint(["sponsor_fund_id", "sponsor_entry_id"],
                             ["ledger_entry.fund_id", "ledger_entry.id"]),
        ForeignKeyConstraint(["sponsor_fund_id", "pledge_id"],
                             ["match_pledge.fund_id", "match_pledge.id"]),
        Index("ix_match_allocation_pledge_id_donor_ref_day", "pledge_id", "donor_ref", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column()
    sponsor_fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"))
    donation_id: Mapped[int] = mapped_column()
    donor_ref: Mapped[str | None] = mapped_column(String(40))  # fund:donor, None: anonymous
    day: Mapped[date] = mapped_column(Date)  # the local day of the gift, for per-donor caps
    wanted_fen: Mapped[int]  # gift × ratio, before any limit
    matched_fen: Mapped[int]
    limited_by: Mapped[str] = mapped_column(String(20), default="none")
    returned_fen: Mapped[int] = mapped_column(default=0)
    entry_id: Mapped[int | None] = mapped_column()  # the village fund's credit
    sponsor_entry_id: Mapped[int | None] = mapped_column()  # the sponsor fund's debit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def net_fen(self) -> int:
        return self.matched_fen - self.returned_fen
