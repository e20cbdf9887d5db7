"""The rules of a campaign: creating it with its funds and pledge, matching a gift once when
it is confirmed, giving the match back when the gift is refunded, and the figures of its page.

Matching runs inside the booking of the gift (app.ledger.services.POSTED): every channel's
confirmation, refund and correction passes there, in the transaction that books it. It works
under the campaign's scope (the township's funds), the one place money crosses funds, and
holds the pledge's row for the rest of the transaction so the cap is read and moved by one
gift at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.clock import local_day
from app.database import lock
from app.donations.models import Designation, Donation
from app.extensions import db
from app.funds.models import Fund, Township
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.validation import Invalid
from tenants.context import Scope, township_scope, using

from .matching import Match, Terms, kept_after_refund, match
from .models import Campaign, CampaignFund, Limit, MatchAllocation, MatchPledge

REACHED_FUND = ("confirmed", "partially_refunded", "refunded")  # gifts that reached the fund once


def scope_of(campaign: Campaign) -> Scope:
    """The township's funds: a campaign reads and moves money across them."""
    fund_ids = db.session.scalars(select(Fund.id).where(Fund.township_id == campaign.township_id))
    return township_scope(campaign.township_id, list(fund_ids))


def terms_of(pledge: MatchPledge) -> Terms:
    return Terms(pledge.ratio_num, pledge.ratio_den, pledge.cap_fen, pledge.per_gift_fen,
                 pledge.per_donor_day_fen)


# --- creating ---------------------------------------------------------------------------------

@dataclass
class PledgeInput:
    sponsor_fund_id: int
    sponsor_name: str
    ratio_num: int
    ratio_den: int
    cap_fen: int
    per_gift_fen: int | None
    per_donor_day_fen: int | None
    starts_at: datetime
    ends_at: datetime
    offline_counts: bool


@dataclass
class CampaignInput:
    title: str
    story: str
    starts_on: date
    ends_on: date
    host_charity: str
    purpose: str  # the designation each taking-part fund's campaign gifts carry
    goals: dict[int, int] = field(default_factory=dict)  # fund id -> goal in fen
    pledge: PledgeInput | None = None


def create(township: Township, data: CampaignInput, user) -> Campaign:
    """A campaign with its funds (a purpose of the campaign's name opened in each) and the
    sponsor's pledge. Runs in the township's scope (the township's page)."""
    errors = {}
    funds = {f.id: f for f in township.funds if f.is_active}
    if data.ends_on < data.starts_on:
        errors["ends_on"] = _l("The campaign cannot end before it starts.")
    if not data.goals:
        errors["funds"] = _l("Give at least one fund a goal.")
    if any(fund_id not in funds for fund_id in data.goals):
        errors["funds"] = _l("Choose funds of this township.")
    pledge = data.pledge
    if pledge is not None:
        sponsor = funds.get(pledge.sponsor_fund_id)
        if sponsor is None:
            errors["sponsor_fund_id"] = _l("Choose a fund of this township.")
        elif pledge.cap_fen > _free_money(sponsor.id):
            errors["cap"] = _l("The sponsor fund does not hold this much unrestricted money.")
        if pledge.ends_at <= pledge.starts_at:
            errors["match_ends_at"] = _l("The match window must end after it starts.")
    taken = db.session.scalars(select(Designation.fund_id).where(
        Designation.name == data.purpose, Designation.fund_id.in_(data.goals))).all()
    if taken:
        errors["purpose"] = _l("A fund already has a purpose of this name: choose another.")
    if errors:
        raise Invalid(errors)
    campaign = Campaign(township_id=township.id, title=data.title, story=data.story,
                        starts_on=data.starts_on, ends_on=data.ends_on,
                        host_charity=data.host_charity, created_by_id=user.id if user else None)
    db.session.add(campaign)
    db.session.flush()
    for fund_id, goal_fen in sorted(data.goals.items()):
        designation = Designation(fund_id=fund_id, name=data.purpose)
        db.session.add(designation)
        db.session.flush()
        db.session.add(CampaignFund(fund_id=fund_id, campaign_id=campaign.id,
                                    designation_id=designation.id, goal_fen=goal_fen))
    if pledge is not None:
        add_pledge(campaign, pledge, funds[pledge.sponsor_fund_id])
    db.session.flush()
    return campaign


def add_pledge(campaign: Campaign, pledge: PledgeInput, sponsor: Fund) -> MatchPledge:
    """The sponsor's pledge, checked by the caller. A campaign has one (a unique index on
    match_pledge.campaign_id): a second, even from another sponsor at the same moment, fails
    with IntegrityError when its transaction writes."""
    row = MatchPledge(
        fund_id=sponsor.id, campaign_id=campaign.id,
        sponsor_name=pledge.sponsor_name or sponsor.name,
        ratio_num=pledge.ratio_num, ratio_den=pledge.ratio_den, cap_fen=pledge.cap_fen,
        per_gift_fen=pledge.per_gift_fen, per_donor_day_fen=pledge.per_donor_day_fen,
        starts_at=pledge.starts_at, ends_at=pledge.ends_at, offline_counts=pledge.offline_counts)
    db.session.add(row)
    return row


def _free_money(fund_id: int) -> int:
    """The fund's unrestricted money less what its open pledges may still take."""
    balance = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                .where(LedgerEntry.fund_id == fund_id,
                                       LedgerEntry.designation_id.is_(None)))
    promised = db.session.scalar(
        select(func.coalesce(func.sum(MatchPledge.cap_fen - MatchPledge.used_fen), 0))
        .join(Campaign, Campaign.id == MatchPledge.campaign_id)
        .where(MatchPledge.fund_id == fund_id, Campaign.status == "open"))
    return int(balance or 0) - int(promised or 0)


def close(campaign: Campaign) -> None:
    if campaign.status != "open":
        raise Invalid({"status": _l("The campaign is already closed.")})
    from app.db_types import utcnow

    campaign.status = "closed"
    campaign.closed_at = utcnow()
    db.session.flush()


# --- matching ---------------------------------------------------------------------------------

def after_posting(entry: LedgerEntry) -> None:
    """app.ledger's listener: a campaign gift booked, refunded or corrected moves its match."""
    if entry.donation_id is None or entry.kind not in ("donation", "refund", "reversal"):
        return
    donation = db.session.get(Donation, entry.donation_id)
    if donation is None or donation.designation_id is None:
        return
    part = db.session.scalar(select(CampaignFund).where(
        CampaignFund.designation_id == donation.designation_id))
    if part is None:
        return
    campaign = db.session.get(Campaign, part.campaign_id)
    if entry.kind == "donation":
        allocate(campaign, part, donation)
    else:
        give_back(campaign, donation, entry)


def allocate(campaign: Campaign, part: CampaignFund, donation: Donation) -> MatchAllocation | None:
    """The gift's match, once: a second call finds the first's row."""
    with using(scope_of(campaign)):
        pledge = db.session.scalar(select(MatchPledge).where(
            MatchPledge.campaign_id == campaign.id))
        if pledge is None:
            return None
        lock(pledge)
        done = db.session.scalar(select(MatchAllocation).where(
            MatchAllocation.fund_id == donation.fund_id,
            MatchAllocation.donation_id == donation.id))
        if done is not None:
            return done
        confirmed = donation.confirmed_at
        donor_ref = f"{donation.fund_id}:{donation.donor_id}" if donation.donor_id else None
        day = local_day(confirmed)
        decided = _decide(campaign, pledge, donation, donor_ref, day)
        allocation = MatchAllocation(
            fund_id=donation.fund_id, pledge_id=pledge.id, sponsor_fund_id=pledge.fund_id,
            donation_id=donation.id, donor_ref=donor_ref, day=day,
            wanted_fen=decided.wanted_fen, matched_fen=decided.matched_fen,
            limited_by=decided.limited_by)
        if decided.matched_fen:
            reference = f"match:{donation.fund_id}:{donation.id}"
            reason = f"{campaign.title} · {pledge.sponsor_name}"
            allocation.sponsor_entry_id = ledger.post(
                "match", -decided.matched_fen, f"{reference}:out", fund_id=pledge.fund_id,
                reason=reason).id
            allocation.entry_id = ledger.post(
                "match", decided.matched_fen, f"{reference}:in", fund_id=donation.fund_id,
                designation_id=part.designation_id, reason=reason).id
            pledge.used_fen += decided.matched_fen
        db.session.add(allocation)
        db.session.flush()
        return allocation


def _decide(campaign: Campaign, pledge: MatchPledge, donation: Donation, donor_ref: str | None,
            day: date) -> Match:
    terms = terms_of(pledge)
    none = Match(match(terms, donation.amount_fen, 0, None).wanted_fen, 0, Limit.WINDOW)
    confirmed = donation.confirmed_at
    # Backdated gifts (recorded now, received before the window), gifts outside it and gifts
    # after the campaign closed are not matched: the sponsor promised the giving day.
    if campaign.status != "open" or not (pledge.starts_at <= confirmed < pledge.ends_at) \
            or donation.received_on < local_day(pledge.starts_at):
        return none
    if donation.gateway is None and not pledge.offline_counts:
        return Match(none.wanted_fen, 0, Limit.OFFLINE)
    donor_day = None
    if donor_ref is not None:
        donor_day = int(db.session.scalar(
            select(func.coalesce(func.sum(MatchAllocation.matched_fen
                                          - MatchAllocation.returned_fen), 0))
            .where(MatchAllocation.pledge_id == pledge.id, MatchAllocation.donor_ref == donor_ref,
                   MatchAllocation.day == day)) or 0)
    return match(terms, donation.amount_fen, pledge.used_fen, donor_day)


def give_back(campaign: Campaign, donation: Donation, entry: LedgerEntry) -> int:
    """A refund (or a correction) of a matched gift: the match it no longer earns goes back to
    the sponsor, as two entries again. Returns the fen given back."""
    with using(scope_of(campaign)):
        allocation = db.session.scalar(select(MatchAllocation).where(
            MatchAllocation.fund_id == donation.fund_id,
            MatchAllocation.donation_id == donation.id))
        if allocation is None or allocation.net_fen == 0:
            return 0
        pledge = db.session.get(MatchPledge, allocation.pledge_id)
        lock(pledge)
        db.session.refresh(allocation)
        left = 0 if donation.status == "reversed" else donation.net_fen
        back = allocation.net_fen - kept_after_refund(terms_of(pledge), allocation.net_fen, left)
        if back <= 0:
            return 0
        reference = f"match_return:{donation.fund_id}:{entry.id}"
        reason = f"{campaign.title} · {pledge.sponsor_name}"
        ledger.post("match_return", back, f"{reference}:in", fund_id=pledge.fund_id,
                    reason=reason)
        ledger.post("match_return", -back, f"{reference}:out", fund_id=donation.fund_id,
                    designation_id=donation.designation_id, reason=reason)
        allocation.returned_fen += back
        pledge.used_fen -= back
        db.session.flush()
        return back


# --- figures ----------------------------------------------------------------------------------

@dataclass
class Part:
    """One fund's progress in a campaign."""

    fund_id: int
    fund_slug: str
    name: str
    designation_id: int
    goal_fen: int
    raised_fen: int = 0  # what donors gave, less refunds
    matched_fen: int = 0  # what the sponsor added, less what went back
    donors: int = 0
    gifts: int = 0

    @property
    def total_fen(self) -> int:
        return self.raised_fen + self.matched_fen

    @property
    def percent(self) -> int:
        return min(100, self.total_fen * 100 // self.goal_fen) if self.goal_fen else 0


@dataclass
class Figures:
    parts: list[Part]
    pledge: MatchPledge | None

    @property
    def raised_fen(self) -> int:
        return sum(p.raised_fen for p in self.parts)

    @property
    def matched_fen(self) -> int:
        return sum(p.matched_fen for p in self.parts)

    @property
    def total_fen(self) -> int:
        return self.raised_fen + self.matched_fen

    @property
    def goal_fen(self) -> int:
        return sum(p.goal_fen for p in self.parts)

    @property
    def donors(self) -> int:
        return sum(p.donors for p in self.parts)

    @property
    def match_left_fen(self) -> int:
        return self.pledge.cap_fen - self.pledge.used_fen if self.pledge else 0

    @property
    def match_used_up(self) -> bool:
        return self.pledge is not None and self.match_left_fen <= 0

    def by_money(self) -> list[Part]:
        return sorted(self.parts, key=lambda p: (-p.total_fen, p.name))

    def by_donors(self) -> list[Part]:
        return sorted(self.parts, key=lambda p: (-p.donors, -p.total_fen, p.name))


def figures(campaign: Campaign) -> Figures:
    """The campaign's totals per fund, read across the township's funds (four queries)."""
    with using(scope_of(campaign)):
        rows = db.session.execute(
            select(CampaignFund, Fund.name, Fund.slug)
            .join(Fund, Fund.id == CampaignFund.fund_id)
            .where(CampaignFund.campaign_id == campaign.id)).all()
        parts = {cf.fund_id: Part(cf.fund_id, slug, name, cf.designation_id, cf.goal_fen)
                 for cf, name, slug in rows}
        gifts = _gifts_of(campaign)
        for fund_id, raised, donors, anonymous, count in db.session.execute(
                select(gifts.c.fund_id, func.sum(gifts.c.amount_fen - gifts.c.refunded_fen),
                       func.count(gifts.c.donor_id.distinct()),
                       func.count(gifts.c.id).filter(gifts.c.donor_id.is_(None)),
                       func.count(gifts.c.id))
                .group_by(gifts.c.fund_id)):
            part = parts[fund_id]
            part.raised_fen, part.gifts = int(raised or 0), count
            part.donors = donors + anonymous  # an anonymous gift: a donor of its own
        pledge = db.session.scalar(select(MatchPledge).where(
            MatchPledge.campaign_id == campaign.id))
        if pledge is not None:
            for fund_id, matched in db.session.execute(
                    select(MatchAllocation.fund_id,
                           func.sum(MatchAllocation.matched_fen - MatchAllocation.returned_fen))
                    .where(MatchAllocation.pledge_id == pledge.id)
                    .group_by(MatchAllocation.fund_id)):
                if fund_id in parts:
                    parts[fund_id].matched_fen = int(matched or 0)
    return Figures(sorted(parts.values(), key=lambda p: p.fund_id), pledge)


def _gifts_of(campaign: Campaign):
    """The campaign's counted gifts: those to a taking-part fund's campaign purpose."""
    return (select(Donation.id, Donation.fund_id, Donation.donor_id, Donation.amount_fen,
                   Donation.refunded_fen, Donation.channel)
            .join(CampaignFund, (CampaignFund.fund_id == Donation.fund_id)
                  & (CampaignFund.designation_id == Donation.designation_id))
            .where(CampaignFund.campaign_id == campaign.id, Donation.status.in_(REACHED_FUND))
            .subquery())


def version(campaign: Campaign) -> tuple:
    """What the campaign page shows changes only with a ledger entry in one of its funds (a
    gift, a refund, a match) or with the campaign itself: the newest entry's id names it."""
    with using(scope_of(campaign)):
        newest = db.session.scalar(
            select(func.max(LedgerEntry.id)).where(LedgerEntry.fund_id.in_(
                select(CampaignFund.fund_id).where(CampaignFund.campaign_id == campaign.id))))
    return (campaign.id, campaign.status, newest)


def parts_of_fund() -> list[tuple[Campaign, CampaignFund]]:
    """The current fund's campaigns, newest first (for its board and pages)."""
    return list(db.session.execute(
        select(Campaign, CampaignFund).join(CampaignFund, CampaignFund.campaign_id == Campaign.id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())).all())
