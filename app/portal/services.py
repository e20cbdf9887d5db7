"""The donor portal's rules: signing in without an account, and finding a donor's receipts.

A donor is a ``Donor`` row of one fund; the same person giving to several funds has a row in
each. An emailed link proves the inbox, so signing in with one shows the receipts of every
donor with that email address, in every fund: finding those donors is the portal's one read
across funds (``donors_of``); each fund's receipts are then read under that fund's own scope.

A mobile number proves nothing: nobody verified it, and any fund's treasurer can type anyone's
number into a donor record of their own fund. So the code printed on a receipt signs in to
that receipt's donor (and the donors merged into it) in that one fund, and no further.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from app.auth.services import normalize_email, normalize_phone
from app.db_types import utcnow
from app.donations.models import COUNTED, Designation, Donation
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.receipts import services as receipts
from app.receipts.models import Receipt
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .models import PortalLink

LINK_MAX_AGE = timedelta(minutes=30)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(rf"^[{receipts.CODE_ALPHABET}]{{8}}$")


@dataclass(frozen=True)
class Identity:
    """Who is signed in to the portal: a verified email address (every fund), or a mobile
    number with the one donor of one fund whose receipt's code was typed."""

    kind: str  # "email" | "phone"
    value: str
    fund_id: int | None = None  # a code sign-in: the fund of the receipt
    donor_id: int | None = None  # and its donor (the kept record, when merged)

    @property
    def scoped(self) -> bool:
        return self.kind == "phone"


def donors_of(identity: Identity) -> dict[int, list[int]]:
    """Fund id -> ids of the donors this identity may see, and of donors merged into them
    (their receipts keep the old donor id; the merge moved the contact to the kept one).

    An email address: every donor with it, in every fund. A code sign-in: its one donor in
    its one fund. A phone number without that scope sees nothing."""
    if identity.scoped:
        if identity.fund_id is None or identity.donor_id is None:
            return {}
        with using(fund_scope(identity.fund_id)):
            ids = db.session.scalars(select(Donor.id).where(or_(
                Donor.id == identity.donor_id, Donor.merged_into_id == identity.donor_id))
                .order_by(Donor.id)).all()
        return {identity.fund_id: list(ids)} if ids else {}
    return _donors_with("email", identity.value)


def _donors_with(kind: str, value: str) -> dict[int, list[int]]:
    """Fund id -> ids of the donors with this contact, in every fund, and of donors merged
    into them."""
    column = Donor.email if kind == "email" else Donor.phone
    matched = select(Donor.id).where(column == value)
    # The portal's one read across funds, under the system scope: which funds' donors this
    # person is. It reads donor ids only; receipts are read afterwards, fund by fund.
    with using(SYSTEM):
        rows = db.session.execute(
            select(Donor.fund_id, Donor.id)
            .where(or_(column == value, Donor.merged_into_id.in_(matched)))
            .order_by(Donor.fund_id, Donor.id)
        ).all()
    found: dict[int, list[int]] = {}
    for fund_id, donor_id in rows:
        found.setdefault(fund_id, []).append(donor_id)
    return found


# --- signing in with an emailed link ----------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid({"email": _l("Enter an email address such as name@example.cn.")})
    return email


def request_link(email: str, now: datetime | None = None) -> str | None:
    """A new single-use sign-in token when some donor has this address, else None (and
    nothing stored). The caller answers the same either way."""
    email = clean_email(email)
    if not _donors_with("email", email):
        return None
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(PortalLink(email=email, token_hash=_digest(token), created_at=now,
                              expires_at=now + LINK_MAX_AGE))
    db.session.flush()
    return token


def link_is_usable(token: str, now: datetime | None = None) -> bool:
    return db.session.scalar(select(PortalLink.id).where(
        PortalLink.token_hash == _digest(token), PortalLink.used_at.is_(None),
        PortalLink.expires_at > (now or utcnow()))) is not None


def use_link(token: str, now: datetime | None = None) -> Identity | None:
    """Spend a sign-in link. One UPDATE matches only an unused, unexpired link, so of two
    uses at once exactly one signs in; the other (and any later one) gets None."""
    now = now or utcnow()
    digest = _digest(token)
    spent = db.session.execute(
        update(PortalLink)
        .where(PortalLink.token_hash == digest, PortalLink.used_at.is_(None),
               PortalLink.expires_at > now)
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        return None
    email = db.session.scalar(select(PortalLink.email).where(PortalLink.token_hash == digest))
    return Identity("email", email)


# --- signing in with a phone number and a receipt's code ------------------------------------

def use_code(phone: str, code: str) -> Identity:
    """The phone number of a donor plus the code printed on one of that donor's valid
    receipts. A receipt number is not a code: numbers are sequential and easy to guess.

    The identity is that receipt's donor in that receipt's fund, never every donor with the
    number: a number is only what some fund typed in."""
    number = normalize_phone(phone)
    typed = re.sub(r"[\s\-]", "", code or "").upper()
    errors = {}
    if number is None:
        errors["phone"] = _l("Enter an 11-digit mobile number, such as 13912345678.")
    if not CODE_RE.match(typed):
        errors["code"] = _l("Type the 8-character verification code printed on the receipt "
                            "(such as ABCD-EF23), not the receipt number.")
    if errors:
        raise Invalid(errors)
    digest = receipts.hash_code(typed)
    for fund_id, donor_ids in _donors_with("phone", number).items():
        with using(fund_scope(fund_id)):
            donor_id = db.session.scalar(select(Receipt.donor_id).where(
                Receipt.donor_id.in_(donor_ids), Receipt.code_hash == digest,
                Receipt.status == "valid"))
            if donor_id is not None:
                donor = db.session.get(Donor, donor_id)
                return Identity("phone", number, fund_id, donor.merged_into_id or donor.id)
    # One answer for an unknown number and a wrong code: nobody learns whose number it is.
    raise Invalid({"code": _l("This code and mobile number do not match a valid receipt. "
                              "Check both and try again.")})


# --- what a signed-in donor sees ------------------------------------------------------------

@dataclass
class Use:
    """What a designated gift is paying for (Charity Law art. 42)."""

    designation: str
    proposal_id: int | None = None
    proposal_title: str = ""
    proposal_status: str = ""
    requested_fen: int = 0
    given_fen: int = 0  # every confirmed gift to the designation so far, not only this donor's
    public: bool = False  # the project has a public page on the fund's notice board


@dataclass
class Entry:
    id: int
    number: str
    kind: str
    status: str
    name: str
    amount_fen: int
    received_on: date
    issued_on: date
    purpose: str
    use: Use | None = None


@dataclass
class FundReceipts:
    fund_id: int
    fund_name: str
    fund_slug: str
    host_charity: str
    receipts: list[Entry] = field(default_factory=list)


def receipts_of(identity: Identity) -> list[FundReceipts]:
    """Every receipt this identity may see, fund by fund, each read under its fund's scope."""
    donors = donors_of(identity)
    funds = {fund.id: fund for fund in db.session.scalars(
        select(Fund).where(Fund.id.in_(donors.keys())))}
    result = []
    for fund_id, donor_ids in donors.items():
        fund = funds[fund_id]
        group = FundReceipts(fund.id, fund.name, fund.slug, fund.host_charity)
        with using(fund_scope(fund_id)):
            rows = db.session.scalars(select(Receipt).where(Receipt.donor_id.in_(donor_ids))
                                      .order_by(Receipt.issued_at.desc(), Receipt.id.desc()))
            uses = _uses(rows := list(rows))
            group.receipts = [
                Entry(r.id, r.number, r.kind, r.status, r.name, r.amount_fen, r.received_on,
                      r.issued_on, r.purpose, uses.get(r.donation_id))
                for r in rows
            ]
        if group.receipts:
            result.append(group)
    return sorted(result, key=lambda g: g.fund_name)


def _uses(rows: list[Receipt]) -> dict[int, Use]:
    """Donation id -> what its designation pays for, for the designated gifts among rows."""
    from app.governance.models import Proposal
    from app.governance.proposals import PUBLIC_STATES

    gifts = dict(db.session.execute(select(Donation.id, Donation.designation_id).where(
        Donation.id.in_([r.donation_id for r in rows if r.donation_id]),
        Donation.designation_id.is_not(None))).all())
    if not gifts:
        return {}
    wanted = set(gifts.values())
    names = dict(db.session.execute(
        select(Designation.id, Designation.name).where(Designation.id.in_(wanted))).all())
    projects = {p.designation_id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.designation_id.in_(wanted)).order_by(Proposal.id))}
    given = dict(db.session.execute(
        select(Donation.designation_id,
               func.sum(Donation.amount_fen - Donation.refunded_fen))
        .where(Donation.designation_id.in_(wanted), Donation.status.in_(COUNTED))
        .group_by(Donation.designation_id)).all())
    uses = {}
    for designation_id in wanted:
        use = Use(names[designation_id], given_fen=int(given.get(designation_id) or 0))
        if (project := projects.get(designation_id)) is not None:
            use.proposal_id, use.proposal_title = project.id, project.title
            use.proposal_status, use.requested_fen = project.status, project.requested_fen
            use.public = project.status in PUBLIC_STATES
        uses[designation_id] = use
    return {donation_id: uses[designation_id] for donation_id, designation_id in gifts.items()}


def receipt_pdf(identity: Identity, receipt_id: int):
    """(number, PDF, sha256) when this identity may see this receipt, else None. The file
    is the stored one: the copy stamped 作废 once the receipt is void, the original before."""
    for fund_id, donor_ids in donors_of(identity).items():
        with using(fund_scope(fund_id)):
            receipt = db.session.scalar(select(Receipt).where(
                Receipt.id == receipt_id, Receipt.donor_id.in_(donor_ids)))
            if receipt is not None:
                stored = receipts.current_pdf(receipt)
                return receipt.number, stored.data, stored.sha256
    return None
