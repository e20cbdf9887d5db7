"""The rules of 微心愿: collecting, screening, claiming, expiring, fulfilling and counting.

A wish is on the wall once a second person approved it. A claim lives `claim_days` (the
fund's setting) unless the donor's money is in; "expired" is computed on read (live_claim) and
made durable by the every-minute job or by the next POST on the wish. Fulfilling goes through
the money flows every gift takes: goods are an in-kind gift with its receipt; money is a gift
designated to the fund's 微心愿 project, and the fund buys the thing with a payout (two keys);
the wish is fulfilled when that payout is paid.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import jobs
from app.clock import day_refused, local_day
from app.database import lock
from app.db_types import utcnow
from app.donations import services as donations
from app.donors.models import Anonymity
from app.extensions import db
from app.funds.models import Fund
from app.i18n import show_date
from app.money import AmountError, fen_to_input, parse_amount, yuan
from app.notify.codes import check_code, phone_or_refuse, send_code
from app.notify.services import notify
from app.payouts.models import ENDED_STATES, Payout
from app.urls import external_url
from app.validation import Invalid

from . import photos
from .models import (
    DEFAULT_CAP_FEN,
    DEFAULT_CLAIM_DAYS,
    PUBLISHED,
    Confirmer,
    FulfilBy,
    Wish,
    WishClaim,
    WishGift,
    WishSettings,
)

CODE_PURPOSE = "wish.claim"
MONEY_CHANNELS = ("cash", "bank", "wechat", "alipay")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the fund's settings -------------------------------------------------------------------

def settings_of(fund_id: int) -> WishSettings:
    saved = db.session.scalar(select(WishSettings).where(WishSettings.fund_id == fund_id))
    return saved or WishSettings(fund_id=fund_id, cap_fen=DEFAULT_CAP_FEN,
                                 claim_days=DEFAULT_CLAIM_DAYS)


def save_settings(fund_id: int, cap: str, claim_days: int | None, user) -> WishSettings:
    errors = {}
    try:
        cap_fen = parse_amount(cap)
    except AmountError as error:
        errors["cap"] = error.args[0]
    if claim_days is None or not 1 <= claim_days <= 90:
        errors["claim_days"] = _l("A claim lasts from 1 to 90 days.")
    if errors:
        raise Invalid(errors)
    row = settings_of(fund_id)
    if row.id is None:
        db.session.add(row)
    row.cap_fen, row.claim_days = cap_fen, claim_days
    row.updated_by_id, row.updated_at = user.id if user else None, utcnow()
    db.session.flush()
    return row


# --- collecting and screening --------------------------------------------------------------

@dataclass
class WishInput:
    title: str
    value: str
    fulfil_by: str
    village_group: str
    recipient_name: str
    recipient_age: int | None
    situation: str = ""
    details: str = ""
    photo: bytes | None = None  # as uploaded; kept only without faces (photos.py)


def _photo_errors(data: bytes | None, errors: dict) -> bytes | None:
    """The photo to keep (re-encoded), or None; a refusal joins the other fields' messages."""
    if not data:
        return None
    try:
        return photos.checked(data, "photo")
    except Invalid as error:
        errors.update(error.errors)
        return None


def collect(fund_id: int, data: WishInput, user, now: datetime | None = None) -> Wish:
    """A 社工 (or a committee member) writes a wish down; it waits for a second person."""
    errors = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _l("Say what is wished, for example 一个新书包.")
    try:
        value_fen = parse_amount(data.value)
        cap = settings_of(fund_id).cap_fen
        if value_fen > cap:
            errors["value"] = _l("A small wish is worth at most ¥%(cap)s in this fund.",
                                 cap=yuan(cap))
    except AmountError as error:
        errors["value"] = error.args[0]
    if data.fulfil_by not in FulfilBy.values():
        errors["fulfil_by"] = _l("Choose how the wish may be fulfilled.")
    group = (data.village_group or "").strip()
    if not group:
        errors["village_group"] = _l("Enter the village group, for example 三组.")
    name = (data.recipient_name or "").strip()
    if not name:
        errors["recipient_name"] = _l("Enter who the wish is for (kept private).")
    if data.recipient_age is None or not 0 <= data.recipient_age <= 120:
        errors["recipient_age"] = _l("Enter the age in years, from 0 to 120.")
    photo = _photo_errors(data.photo, errors)
    if errors:
        raise Invalid(errors)
    wish = Wish(fund_id=fund_id, title=title[:100], details=(data.details or "").strip()[:500],
                value_fen=value_fen, fulfil_by=data.fulfil_by, village_group=group[:40],
                recipient_name=name[:50], recipient_age=data.recipient_age,
                situation=(data.situation or "").strip()[:1000], status="pending",
                collected_by_id=user.id if user else None, collected_at=now or utcnow(),
                photo_name=photos.store(fund_id, photo) if photo else None)
    db.session.add(wish)
    db.session.flush()
    return wish


def screen(wish: Wish, user, approve: bool, reason: str = "",
           now: datetime | None = None) -> Wish:
    """A second person publishes the wish or returns it with a reason."""
    lock(wish)
    if wish.status != "pending":
        raise Invalid({"reason": _l("This wish is not waiting for screening.")})
    if user is not None and wish.collected_by_id == user.id:
        raise Invalid({"reason": _l("A second person screens a wish: not the one who "
                                    "collected it.")})
    reason = (reason or "").strip()
    if not approve and not reason:
        raise Invalid({"reason": _l("Say why the wish is returned.")})
    wish.status = "open" if approve else "returned"
    wish.return_reason = "" if approve else reason[:300]
    wish.screened_by_id = user.id if user else None
    wish.screened_at = now or utcnow()
    db.session.flush()
    return wish


# --- claims: live or not, computed on read ----------------------------------------------------

def _live(now: datetime):
    return (WishClaim.status == "active") & or_(WishClaim.expires_at.is_(None),
                                                 WishClaim.expires_at > now)


def live_claims(wish_ids, now: datetime | None = None) -> dict[int, WishClaim]:
    now = now or utcnow()
    ids = list(wish_ids)
    if not ids:
        return {}
    found = {c.wish_id: c for c in db.session.scalars(
        select(WishClaim).where(WishClaim.wish_id.in_(ids), _live(now)))}
    lapsed = _lapsed_unpaid(found.values(), now)
    return {wish_id: c for wish_id, c in found.items() if c.id not in lapsed}


def live_claim(wish: Wish, now: datetime | None = None) -> WishClaim | None:
    return live_claims([wish.id], now).get(wish.id)


def is_expired(claim: WishClaim, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return claim.status == "expired" or (
        claim.status == "active" and claim.expires_at is not None and claim.expires_at <= now
    ) or claim.id in _lapsed_unpaid([claim], now)


def _due(claim: WishClaim) -> datetime:
    """When the claim lapses unless money pays for the wish: its deadline, or for a claim
    paid for (which keeps none) the one its days gave it."""
    return claim.expires_at or claim.claimed_at + timedelta(
        days=settings_of(claim.fund_id).claim_days)


def _lapsed_unpaid(claims, now: datetime) -> set[int]:
    """Claims (ids) kept as paid for whose gift no longer pays (refunded or reversed, and the
    job or a POST has not written it yet) and whose own days are over: lapsed for readers."""
    unpaid = [c for c in claims if c.status == "active" and c.expires_at is None
              and _due(c) <= now]
    if not unpaid:
        return set()
    paid = funding(db.session.scalars(select(Wish).where(
        Wish.id.in_([c.wish_id for c in unpaid]))).all())
    return {c.id for c in unpaid if c.wish_id not in paid}


def _expire(claim: WishClaim) -> None:
    claim.status = "expired"
    claim.ended_at = claim.expires_at


def _expire_stale(wish: Wish, now: datetime) -> WishClaim | None:
    """Make a lapsed claim of this wish durable (in a POST); returns it."""
    stale = db.session.scalar(select(WishClaim).where(
        WishClaim.wish_id == wish.id, WishClaim.status == "active",
        WishClaim.expires_at.is_not(None), WishClaim.expires_at <= now))
    if stale is not None:
        _expire(stale)
        db.session.flush()
    return stale


def expire_due(now: datetime) -> int:
    """The every-minute job: claims past their days become expired; the wishes are back on the
    wall (they already were for every reader)."""
    stale = db.session.scalars(select(WishClaim).where(
        WishClaim.status == "active", WishClaim.expires_at.is_not(None),
        WishClaim.expires_at <= now)).all()
    for claim in stale:
        _expire(claim)
    db.session.flush()
    return len(stale)


def _claimable(wish: Wish, now: datetime) -> None:
    if wish.status != "open":
        raise Invalid({"phone": _l("This wish is not open for claims.")})
    settle_funding(wish)  # a claim paid for in time never lapses
    _expire_stale(wish, now)
    if live_claim(wish, now) is not None:
        raise Invalid({"phone": _l("Someone has just claimed this wish. Choose another one on "
                                   "the wall.")})


@dataclass
class ClaimInput:
    name: str
    phone: str
    code: str = ""
    shown_as: str = "show"


def ask_code(fund: Fund, wish: Wish, phone: str, now: datetime | None = None) -> None:
    """Step one of a claim: a code by SMS to the number the donor typed."""
    now = now or utcnow()
    phone = phone_or_refuse(phone)
    _claimable(wish, now)
    send_code(fund, phone, CODE_PURPOSE, now)


def claim(fund: Fund, wish: Wish, data: ClaimInput,
          now: datetime | None = None) -> tuple[WishClaim, str]:
    """Step two: the code proves the number; the claim and the claimer's private link."""
    now = now or utcnow()
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _l("Enter your name, so the 社工 knows who will bring it.")
    elif len(name) > 50:
        errors["name"] = _l("The name is too long (at most 50 characters).")
    if data.shown_as not in Anonymity.values():
        errors["shown_as"] = _l("Choose how we name you in public.")
    try:
        phone = phone_or_refuse(data.phone)
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    lock(wish)  # claims of one wish run one after the other; the index decides if not
    _claimable(wish, now)
    check_code(fund, phone, CODE_PURPOSE, data.code, now)
    made, token = place_claim(wish, name, phone, data.shown_as, now)
    link = external_url("wishes.my_claim", fund_slug=fund.slug, claim_token=token)
    days = settings_of(wish.fund_id).claim_days
    if (args := donate_args(wish)) is not None:  # the money goes through the donate page
        notify(phone, "wish_claimed_money", fund=fund, title=wish.title, days=days, link=link,
               pay=external_url("payments.donate", fund_slug=fund.slug, **args))
    else:
        notify(phone, "wish_claimed", fund=fund, title=wish.title, days=days, link=link)
    return made, token


def place_claim(wish: Wish, name: str, phone: str, shown_as: str,
                now: datetime) -> tuple[WishClaim, str]:
    """The claim row, once the number is proved (by SMS, or in person at the station)."""
    token = secrets.token_urlsafe(24)
    days = settings_of(wish.fund_id).claim_days
    made = WishClaim(fund_id=wish.fund_id, wish_id=wish.id, name=name, phone=phone,
                     shown_as=shown_as, status="active", claimed_at=now,
                     expires_at=now + timedelta(days=days), token_hash=_hash(token))
    db.session.add(made)
    try:
        db.session.flush()
    except IntegrityError:
        raise Invalid({"phone": _l("Someone has just claimed this wish. Choose another one "
                                   "on the wall.")}) from None
    return made, token


def claim_by_token(token: str) -> WishClaim | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(WishClaim).where(WishClaim.token_hash == _hash(token)))


def cancel(claim_: WishClaim, now: datetime | None = None) -> WishClaim:
    """The claimer lets the wish go back to the wall."""
    now = now or utcnow()
    lock(claim_)
    settle_funding(claim_.wish)
    if claim_.status != "active" or is_expired(claim_, now):
        raise Invalid({"": _l("This claim is no longer active.")})
    if claim_.expires_at is None:
        raise Invalid({"": _l("Your money for this wish is already with the fund: ask the "
                              "social worker.")})
    claim_.status, claim_.ended_at = "cancelled", now
    db.session.flush()
    return claim_


def revoke(claim_: WishClaim, user, reason: str, now: datetime | None = None) -> WishClaim:
    """The 社工 ends a claim (the donor cannot be reached, gave up) with a reason."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _l("Say why the claim is revoked.")})
    lock(claim_)
    settle_funding(claim_.wish)
    if claim_.status != "active" or is_expired(claim_, now):
        raise Invalid({"reason": _l("This claim is no longer active.")})
    if claim_.expires_at is None:
        raise Invalid({"reason": _l("The donor's money is already in: buy the wish with it.")})
    claim_.status, claim_.ended_at = "revoked", now
    claim_.ended_by_id, claim_.end_reason = user.id if user else None, reason[:300]
    db.session.flush()
    return claim_


# --- fulfilling ------------------------------------------------------------------------------

def _open_claim(wish: Wish, field: str, now: datetime) -> WishClaim:
    """The wish's live claim, for a step that fulfils it; a lapsed claim is refused by name."""
    if wish.status != "open":
        raise Invalid({field: _l("Only a wish on the wall can be fulfilled.")})
    live = live_claim(wish, now)
    if live is not None:
        return live
    lapsed = db.session.scalar(select(WishClaim).where(WishClaim.wish_id == wish.id)
                               .order_by(WishClaim.id.desc()).limit(1))
    if lapsed is not None and is_expired(lapsed, now):
        raise Invalid({field: _l(
            "The claim expired on %(day)s: nothing was recorded. The wish is back on the wall; "
            "the donor may claim it again.", day=show_date(local_day(lapsed.expires_at)))})
    raise Invalid({field: _l("No one has claimed this wish.")})


def _donor_of(claim_: WishClaim):
    """The fund's donor for the claimer (found by the number, else new), named in public as
    they chose when claiming."""
    from app.payments.services import GiftInput, _donor_for

    return _donor_for(GiftInput(amount="", name=claim_.name, phone=claim_.phone,
                                anonymity=claim_.shown_as))


def _fulfil(wish: Wish, claim_: WishClaim, via: str, now: datetime) -> None:
    wish.status, wish.fulfilled_via, wish.fulfilled_at = "fulfilled", via, now
    claim_.status, claim_.ended_at = "fulfilled", now
    db.session.flush()
    notify(claim_.phone, "wish_thanks", fund=db.session.get(Fund, wish.fund_id),
           title=wish.title)


@dataclass
class HandoverInput:
    handed_over_on: date | None
    confirmed_by: str
    value: str = ""
    note: str = ""
    photo: bytes | None = None  # as uploaded; kept only without faces (photos.py)


def handover(wish: Wish, data: HandoverInput, user, now: datetime | None = None):
    """The donor brought the thing and the recipient (or a guardian) confirmed it: an in-kind
    gift with its receipt, and the wish is fulfilled."""
    from app.receipts import services as receipts

    now = now or utcnow()
    lock(wish)
    errors = {}
    photo = _photo_errors(data.photo, errors)  # a refused photo is said whatever else is
    try:
        if wish.fulfil_by == "money":
            raise Invalid({"handed_over_on": _l("This wish is fulfilled with money, not "
                                                "goods.")})
        settle_funding(wish)
        claim_ = _open_claim(wish, "handed_over_on", now)
        if claim_.expires_at is None:
            raise Invalid({"handed_over_on": _l("The donor gave money for this wish: the fund "
                                                "buys it with a payout.")})
    except Invalid as error:
        raise Invalid({**errors, **error.errors}) from None
    if data.handed_over_on is None:
        errors["handed_over_on"] = _l("Enter the day it was handed over.")
    elif refused := day_refused(data.handed_over_on, local_day(now)):
        errors["handed_over_on"] = refused
    if data.confirmed_by not in Confirmer.values():
        errors["confirmed_by"] = _l("Say who confirmed receiving it.")
    if errors:
        raise Invalid(errors)
    donor = _donor_of(claim_)
    try:
        gift = donations.record_offline(donations.DonationInput(
            amount=(data.value or "").strip() or fen_to_input(wish.value_fen), channel="in_kind",
            received_on=data.handed_over_on, donor_id=donor.id if donor else None,
            item_description=wish.title,
            message=f"微心愿 #{wish.id}", notes=(data.note or "").strip()[:500]), user)
    except Invalid as error:  # the gift's own fields are the hand-over's
        raise Invalid({("value" if k == "amount" else k): v
                       for k, v in error.errors.items()}) from None
    wish.donation_id = gift.id
    wish.handed_over_on, wish.confirmed_by = data.handed_over_on, data.confirmed_by
    wish.handover_note = (data.note or "").strip()[:300]
    if photo:  # the file is written last: a refusal above leaves none behind
        wish.handover_photo_name = photos.store(wish.fund_id, photo)
    _fulfil(wish, claim_, "goods", now)
    receipts.issue(gift, user=user, now=now)
    return gift


def wish_project():
    """The fund's final 微心愿 project, through whose budget and payouts wishes are bought."""
    from app.governance.models import UNDER_WAY, Proposal

    return db.session.scalar(select(Proposal).where(
        Proposal.category == "small_wish", Proposal.status.in_(UNDER_WAY))
        .order_by(Proposal.id.desc()).limit(1))


@dataclass
class MoneyInput:
    amount: str
    channel: str
    received_on: date | None
    reference: str = ""


def record_money(wish: Wish, data: MoneyInput, user, now: datetime | None = None):
    """The claimer's money, given to the 微心愿 project for this wish: a gift like any other,
    with its receipt. The claim then waits for the fund's purchase and no longer expires."""
    from app.receipts import services as receipts

    now = now or utcnow()
    lock(wish)
    if wish.fulfil_by == "goods":
        raise Invalid({"amount": _l("This wish is fulfilled by handing over goods.")})
    settle_funding(wish)
    claim_ = _open_claim(wish, "amount", now)
    if wish.donation_id is not None:
        raise Invalid({"amount": _l("The donor's money for this wish is already recorded.")})
    project = wish_project()
    if project is None or project.designation_id is None:
        raise Invalid({"amount": _l("The fund has no final 微心愿 project to buy wishes "
                                    "through: the committee approves one first.")})
    if data.channel not in MONEY_CHANNELS:
        raise Invalid({"channel": _l("Choose how the money came in.")})
    donor = _donor_of(claim_)
    gift = donations.record_offline(donations.DonationInput(
        amount=data.amount, channel=data.channel, received_on=data.received_on,
        reference=data.reference, donor_id=donor.id if donor else None,
        designation_id=project.designation_id, message=gift_message(wish)), user)
    db.session.add(WishGift(fund_id=wish.fund_id, wish_id=wish.id, donation_id=gift.id,
                            created_at=now))
    settle_funding(wish)  # paid for once the money recorded reaches the wish's value
    receipts.issue(gift, user=user, now=now)
    return gift


# --- money given for a wish: one rule whatever the channel --------------------------------------
#
# The claimer's money is a gift designated to the fund's 微心愿 project and tied to the wish by
# a WishGift row: recorded on the wish's page (cash, a transfer), or paid on the donate page
# through the link the claimer gets (Stripe, WeChat Pay, Alipay), confirmed there by the
# gateway. Tied gifts confirmed while the claim is live pay for the wish once the money still
# in them (refunds taken off) reaches its value (funding); the project's payout buying it
# spends that designated money first (payouts.mark_paid).

def takes_money(wish: Wish) -> bool:
    return wish.fulfil_by != "goods"


def gift_message(wish: Wish) -> str:
    return f"微心愿 #{wish.id}：{wish.title}"[:500]


def donate_args(wish: Wish) -> dict | None:
    """The donate page's arguments that preset the 微心愿 project and name this wish; None
    when the wish is not given with money or the fund has no project to buy it through."""
    project = wish_project() if takes_money(wish) else None
    if project is None or project.designation_id is None:
        return None
    return {"designation": project.designation_id, "wish": wish.id}


def link_gift(donation, wish_id: int | None, now: datetime | None = None) -> WishGift | None:
    """Tie a gift just started on the donate page to the wish its link named, if the gift can
    pay for it: designated to the 微心愿 project, for a claimed wish that takes money and is
    not paid for yet. Otherwise it stays a gift to what the donor chose, as any other."""
    now = now or utcnow()
    wish = db.session.get(Wish, wish_id) if wish_id else None
    if wish is None or wish.status != "open" or not takes_money(wish):
        return None
    settle_funding(wish)  # a wish whose gift was refunded takes money again
    if wish.donation_id is not None:
        return None
    args = donate_args(wish)
    if args is None or donation.designation_id != args["designation"]:
        return None
    if live_claim(wish, now) is None:
        return None
    donation.message = donation.message or gift_message(wish)
    link = WishGift(fund_id=wish.fund_id, wish_id=wish.id, donation_id=donation.id,
                    created_at=now)
    db.session.add(link)
    db.session.flush()
    return link


def funding(wishes) -> dict[int, tuple[int, WishClaim]]:
    """Wish id -> (the gift paying for it, the claim it pays) for open wishes given with money,
    from the gifts as they stand now: the tied gifts still counted (confirmed, or partly
    refunded) and confirmed while the claim was live pay for the wish once what is left of them
    reaches its value, and the gift that got there names the payment. So a gift refunded or
    reversed stops paying at once, and a gift confirmed after the claim lapsed stays a gift to
    the project. A wish the fund is buying keeps the gift it is bought with: the payout was
    signed on that money, and ending the payout puts the wish back under this rule. The job or
    the next POST on the wish makes the answer durable (settle_funding)."""
    from app.donations.models import COUNTED, Donation

    open_ = {w.id: w for w in wishes if w.status == "open" and takes_money(w)}
    if not open_:
        return {}
    buying = _buying(open_.values())
    rows = db.session.execute(
        select(WishGift.wish_id, Donation, WishClaim)
        .join(Donation, (Donation.id == WishGift.donation_id)
              & (Donation.fund_id == WishGift.fund_id))
        .join(WishClaim, (WishClaim.wish_id == WishGift.wish_id)
              & (WishClaim.fund_id == WishGift.fund_id))
        .where(WishGift.wish_id.in_(list(open_)), WishClaim.status == "active",
               WishClaim.claimed_at <= WishGift.created_at)
        .order_by(Donation.confirmed_at, Donation.id)).all()
    found: dict[int, tuple[int, WishClaim]] = {}
    given: dict[int, int] = {}
    for wish_id, gift, claim_ in rows:
        if wish_id in found:
            continue
        wish = open_[wish_id]
        if wish_id in buying:
            if gift.id == wish.donation_id:
                found[wish_id] = (gift.id, claim_)
            continue
        if gift.status in COUNTED and gift.confirmed_at < _due(claim_):
            given[wish_id] = given.get(wish_id, 0) + gift.net_fen
            if given[wish_id] >= wish.value_fen:
                found[wish_id] = (gift.id, claim_)
    return found


def _settle(wish: Wish, found: tuple[int, WishClaim] | None) -> bool:
    """Write the wish's payment as funding() finds it; whether anything changed. Paid for:
    the claim waits for the fund's purchase and no longer expires. No longer paid for (its
    gift refunded or reversed): the wish waits for money again and the claim gets back its
    days, lapsing if they are over. Both are on the audit trail as changes of the rows."""
    if found is not None:
        donation_id, claim_ = found
        if wish.donation_id == donation_id and claim_.expires_at is None:
            return False
        wish.donation_id, claim_.expires_at = donation_id, None
    elif wish.status == "open" and takes_money(wish) and wish.donation_id is not None:
        wish.donation_id = None
        claim_ = db.session.scalar(select(WishClaim).where(WishClaim.wish_id == wish.id,
                                                           WishClaim.status == "active"))
        if claim_ is not None and claim_.expires_at is None:
            claim_.expires_at = _due(claim_)
    else:
        return False
    db.session.flush()
    return True


def settle_funding(wish: Wish) -> None:
    """Make the wish's payment durable as it stands (in a POST, before anything else)."""
    _settle(wish, funding([wish]).get(wish.id))


def settle_funded(now: datetime) -> int:
    """The every-minute job: wishes whose tied gift the gateway confirmed are paid for, and
    those whose gift was refunded or reversed no longer are."""
    wishes = db.session.scalars(select(Wish).where(
        Wish.status == "open", Wish.id.in_(select(WishGift.wish_id)))).all()
    found = funding(wishes)
    return sum(_settle(wish, found.get(wish.id)) for wish in wishes)


@dataclass
class BuyInput:
    amount: str
    payee: str
    payee_account: str = ""


def buy(wish: Wish, data: BuyInput, user, now: datetime | None = None):
    """The fund buys the wish with the donor's money: a payout of the 微心愿 project, signed by
    two people like every payout. The wish is fulfilled when it is paid."""
    from app.payouts import services as payouts

    now = now or utcnow()
    lock(wish)
    settle_funding(wish)
    if wish.status != "open" or wish.donation_id is None or wish.fulfil_by == "goods":
        raise Invalid({"amount": _l("Record the donor's money for this wish first.")})
    if wish.payout_id is not None:
        earlier = db.session.get(Payout, wish.payout_id)
        if earlier is not None and not earlier.ended:  # else the fund may ask again
            raise Invalid({"amount": _l("A payout for this wish is already under way.")})
    payout = payouts.request(wish_project(), payouts.PayoutInput(
        amount=data.amount, payee=data.payee, payee_account=data.payee_account,
        purpose=f"微心愿 #{wish.id}：{wish.title}"), user, now=now)
    wish.payout_id = payout.id
    db.session.flush()
    return payout


def _with_payout(wishes, condition) -> set[int]:
    """The open wishes (ids) whose payout meets the condition (a function of the Payout
    model)."""

    waiting = {w.payout_id: w.id for w in wishes if w.status == "open" and w.payout_id}
    if not waiting:
        return set()
    return {waiting[p] for p in db.session.scalars(
        select(Payout.id).where(Payout.id.in_(list(waiting)), condition(Payout)))}


def paid_payouts(wishes) -> set[int]:
    """The wishes (ids) bought with a paid payout but not yet marked fulfilled: fulfilled for
    every reader; the job makes it durable."""
    return _with_payout(wishes, lambda payout: payout.status == "paid")


def _buying(wishes) -> set[int]:
    """The wishes (ids) the fund is buying or has bought: a payout not rejected, withdrawn or
    reversed."""
    return _with_payout(wishes, lambda payout: payout.status.not_in(ENDED_STATES))


def fulfil_paid(now: datetime) -> int:
    """The every-minute job: wishes whose payout is paid are fulfilled, the donor thanked."""
    wishes = db.session.scalars(select(Wish).where(Wish.status == "open",
                                                   Wish.payout_id.is_not(None))).all()
    done = 0
    for wish in wishes:
        if wish.id not in paid_payouts([wish]):
            continue
        claim_ = db.session.scalar(select(WishClaim).where(WishClaim.wish_id == wish.id,
                                                           WishClaim.status == "active"))
        if claim_ is not None:
            _fulfil(wish, claim_, "money", now)
            done += 1
    return done


# --- what the wall and the board show -----------------------------------------------------------

@dataclass
class Shown:
    wish: Wish
    state: str  # open | claimed | fulfilled
    claim: WishClaim | None  # the live or the fulfilling claim
    funded: bool = False  # the donor's money is in; the fund buys the thing


def _shown(wishes, now: datetime) -> list[Shown]:
    """Published wishes as every reader sees them right now: three queries for any number."""
    live = live_claims([w.id for w in wishes if w.status == "open"], now)
    gifts = funding(wishes)  # paid for online: live even if the job has not run yet
    live.update({wish_id: claim_ for wish_id, (_gift, claim_) in gifts.items()})
    paid = paid_payouts(wishes)
    done = {c.wish_id: c for c in db.session.scalars(select(WishClaim).where(
        WishClaim.status == "fulfilled",
        WishClaim.wish_id.in_([w.id for w in wishes if w.status == "fulfilled"])))}
    shown = []
    for wish in wishes:
        if wish.status == "fulfilled" or wish.id in paid:
            shown.append(Shown(wish, "fulfilled", done.get(wish.id) or live.get(wish.id)))
        elif wish.id in live:
            shown.append(Shown(wish, "claimed", live[wish.id], funded=wish.id in gifts))
        else:
            shown.append(Shown(wish, "open", None))
    return shown


def wall(now: datetime | None = None) -> list[Shown]:
    """The published wishes of the current fund, newest first."""
    return _shown(db.session.scalars(select(Wish).where(Wish.status.in_(PUBLISHED))
                                      .order_by(Wish.id.desc())).all(), now or utcnow())


def shown_of(wish: Wish, now: datetime | None = None) -> Shown | None:
    """One wish as the wall shows it; None while it is not published."""
    if not wish.published:
        return None
    return _shown([wish], now or utcnow())[0]


def donor_shown(claim_: WishClaim | None) -> str:
    """The donor as they chose to be named in public: the name, 爱心人士, or nothing."""
    if claim_ is None or claim_.shown_as == "anonymous":
        return ""
    return claim_.name if claim_.shown_as == "show" else str(_l("爱心人士"))


def claim_history(wish: Wish) -> list[WishClaim]:
    return list(db.session.scalars(select(WishClaim).where(WishClaim.wish_id == wish.id)
                                   .order_by(WishClaim.id.desc())))


def staff_list(status: str | None):
    query = select(Wish).order_by(Wish.id.desc())
    if status:
        query = query.where(Wish.status == status)
    return db.session.scalars(query.limit(200)).all()


@jobs.every_minute
def settle_wishes(now: datetime) -> tuple[int, int]:
    """What fell due since the last minute, made durable: (claims expired, wishes fulfilled).
    Gifts confirmed for a wish count first, so a claim paid for in time never expires."""
    settle_funded(now)
    return expire_due(now), fulfil_paid(now)

