"""The rules of paying online: starting a gift, what a gateway's events do, giving money back.

A gift is confirmed only by the gateway's signed event or its signed answer to an order query,
never by the donor's browser coming back: a return URL proves nothing about money.
"""

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.services import normalize_email, normalize_phone
from app.clock import local_today
from app.donations import services as donations
from app.donations.models import (
    Designation,
    Donation,
    DonationPoint,
    EventOutcome,
    PaymentEvent,
)
from app.donors import services as donors
from app.donors.models import Anonymity, Donor
from app.extensions import db
from app.funds.models import Fund
from app.money import AmountError, parse_amount
from app.validation import Invalid
from tenants import fund_scope, using

from . import credentials
from .gateway import FAILED, OTHER, SUCCEEDED, Event, Gateway, Payer, Payment

log = logging.getLogger(__name__)

# Card fees and card testing make gifts below one yuan cost the fund more than they bring.
MIN_ONLINE_FEN = 100


@dataclass
class GiftInput:
    """What a donor typed on the public page; text until checked here."""

    amount: str
    name: str = ""
    phone: str = ""
    email: str = ""
    anonymity: str = "show"
    designation_id: int | None = None
    point_id: int | None = None  # the donation point whose poster the donor scanned
    message: str = ""
    locale: str = "zh_Hans"


def open_designations() -> list[Designation]:
    """The purposes of the current fund a donor may choose."""
    return list(db.session.scalars(
        select(Designation).where(Designation.active).order_by(Designation.id)))


def start_gift(data: GiftInput, gateway: Gateway,
               payer: Payer | None = None) -> tuple[Donation, Payment]:
    """A pending online gift and the gateway's payment for it. Every field is checked before
    anything is asked of the gateway; Invalid names each bad field."""
    errors = {}
    try:
        amount_fen = _online_amount(data.amount)
    except Invalid as error:
        errors.update(error.errors)
    try:
        donor = _donor_for(data)
    except Invalid as error:
        errors.update(error.errors)
    if data.designation_id:
        designation = db.session.get(Designation, data.designation_id)
        if designation is None or not designation.active:
            errors["designation"] = _l("Choose one of this fund's purposes.")
    if errors:
        raise Invalid(errors)
    if data.point_id and db.session.get(DonationPoint, data.point_id) is None:
        data.point_id = None  # a poster of a point since closed: the gift still counts
    donation = donations.start_online(
        amount_fen, gateway=gateway.name, channel=gateway.channel,
        donor_id=donor.id if donor else None, designation_id=data.designation_id or None,
        message=data.message or "", received_on=local_today())
    donation.point_id = data.point_id or None
    payment = gateway.start(donation, payer or Payer())
    donation.gateway_ref = payment.ref
    db.session.flush()
    return donation, payment


def _online_amount(text: str) -> int:
    try:
        fen = parse_amount(text)
    except AmountError as error:
        raise Invalid({"amount": error.args[0]}) from error
    if fen < MIN_ONLINE_FEN:
        raise Invalid({"amount": _l("Online gifts start at 1 yuan.")})
    return fen


def _donor_for(data: GiftInput) -> Donor | None:
    """The fund's donor with this mobile number or email, else a new one; None for a gift
    that is fully anonymous and leaves nothing to keep."""
    if data.anonymity not in Anonymity.values():
        raise Invalid({"anonymity": _l("Choose how we name you in public.")})
    given = [(data.name or "").strip(), (data.phone or "").strip(), (data.email or "").strip()]
    if data.anonymity == "anonymous" and not any(given):
        return None
    donor = _known_donor(data.phone, data.email)
    if donor is not None:
        # Never publish what an earlier gift kept private: only a more private choice sticks.
        if Anonymity.values().index(data.anonymity) > Anonymity.values().index(donor.anonymity):
            donor.anonymity = data.anonymity
        return donor
    # Checks the name and contacts as any donor's, naming every wrong field.
    return donors.create_donor(donors.DonorInput(
        name=data.name or "", phone=data.phone or "", email=data.email or "",
        anonymity=data.anonymity, locale=data.locale))


def _known_donor(phone: str, email: str) -> Donor | None:
    """Looked up only by well-formed contacts: a mistyped number is for create_donor to name."""
    phone = (phone or "").strip()
    if phone and normalize_phone(phone) is None:
        return None
    for column, value in ((Donor.phone, normalize_phone(phone) if phone else None),
                          (Donor.email, normalize_email(email) or None)):
        if value is None:
            continue
        donor = db.session.scalar(select(Donor).where(column == value))
        if donor is not None:
            # A merged record keeps pointing at the donor it became.
            return db.session.get(Donor, donor.merged_into_id) if donor.merged_into_id else donor
    return None


def handle_event(gateway: Gateway, event: Event) -> str:
    """Apply a gateway's verified event once; says what happened (an EventOutcome, or
    "ignored", "not ours", "replayed").

    The one booking path of every gateway, for its notifications and for its answers to an
    order query alike. The event names its fund; its rows are read and written in that fund's
    scope only. The gift's row is locked before the event is looked up, so a notification and
    the donor's query of one payment, arriving together, book it once: the second finds the
    first's event. Invalid (for instance a refund of a gift whose payment event has not
    arrived yet) leaves the caller to roll back and the gateway to send the event again later.
    """
    if event.kind == OTHER:
        return "ignored"
    fund = db.session.get(Fund, event.fund_id) if event.fund_id else None
    if fund is None:
        log.warning("%s event %s names no fund of ours", gateway.name, event.id)
        return "not ours"
    township = getattr(gateway, "township", None)
    if township and credentials.code(fund.township.slug) != township:
        # A township's merchant account is paid only for its own funds' gifts.
        log.warning("%s event %s of township %s names fund %s of another", gateway.name,
                    event.id, township, fund.id)
        return "not ours"
    with using(fund_scope(fund.id)):
        donation = donations.by_gateway_ref(gateway.name, event.payment_ref or "")
        if donation is not None:
            donations.lock(donation)
        seen = db.session.scalar(select(PaymentEvent.id).where(
            PaymentEvent.gateway == gateway.name, PaymentEvent.event_id == event.id))
        if seen is not None:
            return "replayed"
        if donation is None:
            log.warning("%s event %s: no donation for payment %s", gateway.name, event.id,
                        event.payment_ref)
            outcome = EventOutcome.UNKNOWN_PAYMENT
        else:
            outcome = _apply(event, donation, gateway.name)
        db.session.add(PaymentEvent(
            gateway=gateway.name, event_id=event.id, event_type=event.type, outcome=outcome,
            donation_id=donation.id if donation else None, amount_fen=event.amount_fen))
        db.session.flush()
        return outcome


def _apply(event: Event, donation: Donation, gateway_name: str) -> str:
    if event.kind == SUCCEEDED:
        if donation.status not in ("pending", "failed"):
            return EventOutcome.ALREADY_CONFIRMED
        if event.amount_fen != donation.amount_fen:
            # Kept as the event's outcome: the township sees it among its anomalies, and the
            # same payment reported again (a query, a replay) stays refused.
            log.error("donation %s: paid %s fen, expected %s; not confirmed", donation.id,
                      event.amount_fen, donation.amount_fen)
            return EventOutcome.AMOUNT_MISMATCH
        donations.confirm(donation)
        if event.transaction_id:
            # Unique per fund and channel: one WeChat or Alipay trade is never two gifts.
            donation.reference = event.transaction_id
        return EventOutcome.CONFIRMED
    if event.kind == FAILED:
        donations.fail(donation)
        return EventOutcome.FAILED
    if event.refund_ref:
        # A gateway reporting each refund on its own: booked under the name refund() gave it.
        booked = donations.record_refund(donation, event.refund_fen or 0, event.refund_ref)
    else:
        # REFUNDED with the total given back so far: book only what is missing, under the
        # event; the row lock keeps two bookings apart.
        booked = donations.record_refund_total(donation, event.refunded_total_fen or 0,
                                               f"{gateway_name}:{event.id}")
    return EventOutcome.REFUND_BOOKED if booked else EventOutcome.REFUND_ALREADY_BOOKED


def check_payment(gateway: Gateway, donation: Donation) -> str:
    """The donor came back from paying before the notification: ask the gateway about the
    order and book its answer on the same path as a notification."""
    if donation.status != "pending":
        return "settled"
    event = gateway.query(donation)
    if event is None:
        return "pending"
    return handle_event(gateway, event)


def refund(gateway: Gateway, donation: Donation, amount: str, reason: str, user):
    """Give money back through the gateway the gift came in by, then book it under the
    gateway's refund id, so its later refund event finds it booked. Should booking fail
    after the gateway has paid out, that refund event books it instead."""
    errors = {}
    try:
        amount_fen = parse_amount(amount)
    except AmountError as error:
        errors["amount"] = error.args[0]
        amount_fen = 0
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _l("Say why the money is given back.")
    if errors:
        raise Invalid(errors)
    donations.lock(donation)
    donations.check_refund(donation, amount_fen)
    result = gateway.refund(donation, amount_fen)
    return donations.record_refund(donation, result.amount_fen, result.ref, reason=reason,
                                   user=user)
