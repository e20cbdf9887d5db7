"""The rules of 关爱发放: programmes decided by the committee, people proposed by the 社工 and
enrolled by a vote, entitlements made once per period, hand-outs signed once, vouchers
redeemed once, and the spending paid through payouts so that it all reconciles."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.clock import local_day, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions
from app.governance import proposals as proposal_rules
from app.governance.models import UNDER_WAY, Category, Motion, Proposal
from app.money import AmountError, fen_to_input, parse_amount, yuan
from app.payouts import services as payouts
from app.payouts.models import ENDED_STATES, Payout
from app.privacy import clean_id_number, lookup_hash
from app.uploads import PNG
from app.uploads import check as check_upload
from app.validation import Invalid

from . import periods
from .changes import Terms, terms_on
from .models import (
    AidKind,
    Beneficiary,
    Collector,
    Enrolment,
    Entitlement,
    Frequency,
    Handout,
    HandoutMethod,
    Programme,
    RosterPhoto,
    Shop,
    Voucher,
)

ID_PURPOSE = "aid_beneficiary.id_number"
CATEGORIES = (Category.ELDERLY, Category.EDUCATION, Category.HARDSHIP, Category.DISABILITY)
STOPPED = ("rejected", "withdrawn", "closed")
MAX_SIGNATURE_BYTES = 300_000
# Payouts that no longer pay for what they listed: the items may go on another one.


# --- programmes ------------------------------------------------------------------------------

@dataclass
class ProgrammeInput:
    title: str
    category: str
    kind: str
    value: str
    frequency: str
    starts_on: date | None
    ends_on: date | None
    rule: str
    budget: str
    goods: str = ""
    designation_id: int | None = None
    public_names: bool = False


def create_programme(data: ProgrammeInput, user) -> Programme:
    """A programme is a proposal to the committee: it runs once that proposal's vote passed
    and its public notice is over (the governance pages carry both)."""
    value, budget, errors = parse_value_and_budget(data.value, data.budget)
    if data.kind not in AidKind.values():
        errors["kind"] = _l("Choose what is given.")
    if data.frequency not in Frequency.values():
        errors["frequency"] = _l("Choose how often.")
    if data.category not in CATEGORIES:
        errors["category"] = _l("Choose a category.")
    if data.kind == AidKind.GOODS and not (data.goods or "").strip():
        errors["goods"] = _l("Say what goods are given.")
    if data.starts_on is None:
        errors["starts_on"] = _l("Enter the first day.")
    elif data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = _l("The programme cannot end before it starts.")
    if not (data.rule or "").strip():
        errors["rule"] = _l("Write who is eligible, in words.")
    if errors:
        raise Invalid(errors)
    title = (data.title or "").strip()
    proposal = proposal_rules.create(proposal_rules.ProposalInput(
        title=title, category=data.category, requested=data.budget,
        description=_programme_description(data, value)), user)
    if data.designation_id:
        proposal.designation_id = data.designation_id  # it spends from this purpose
    programme = Programme(
        fund_id=proposal.fund_id, proposal_id=proposal.id, title=proposal.title,
        kind=data.kind, value_fen=value, goods=(data.goods or "").strip()[:200],
        frequency=data.frequency, starts_on=data.starts_on, ends_on=data.ends_on,
        rule=data.rule.strip(), public_names=bool(data.public_names),
        created_by_id=user.id if user else None)
    db.session.add(programme)
    db.session.flush()
    return programme


def parse_value_and_budget(value: str, budget: str) -> tuple[int | None, int | None, dict]:
    """A programme's amount per person per period and its budget, in fen, as a new programme
    and a change of one take them: (value, budget, the messages by field), None where refused."""
    errors = {}
    fen = {}
    for name, text in (("value", value), ("budget", budget)):
        try:
            fen[name] = parse_amount(text)
        except AmountError as error:
            errors[name] = error.args[0]
    value_fen, budget_fen = fen.get("value"), fen.get("budget")
    if value_fen and budget_fen and value_fen > budget_fen:
        errors["budget"] = _l("The budget is less than one person's amount for one period.")
    return value_fen, budget_fen, errors


def _programme_description(data: ProgrammeInput, value: int) -> str:
    """What the committee reads on the proposal it votes on."""
    what = AidKind.label_of(data.kind) + (f"（{data.goods.strip()}）" if data.goods else "")
    until = data.ends_on.isoformat() if data.ends_on else "—"
    return (f"{_l('Aid programme')}: {what}, ¥{yuan(value)} · {Frequency.label_of(data.frequency)}"
            f" · {data.starts_on.isoformat()} – {until}\n{data.rule.strip()}")


def state_of(programme: Programme) -> str:
    """proposed (before its vote, notice), running, ended or stopped."""
    status = programme.proposal.status
    if status in STOPPED:
        return "stopped"
    if status not in UNDER_WAY:
        return "proposed"
    if programme.ends_on and programme.ends_on < local_today():
        return "ended"
    return "running"


# --- people and enrolments -------------------------------------------------------------------

@dataclass
class PersonInput:
    name: str
    id_number: str
    village_group: str
    household: str
    situation: str
    proxy_name: str = ""
    proxy_phone: str = ""
    name_consent: bool = False
    starts_on: date | None = None
    ends_on: date | None = None


def _person(data: PersonInput, user) -> Beneficiary:
    """The person with this ID number, or a new one; what the 社工 typed now is kept."""
    from app.auth.services import normalize_phone

    errors = {}
    name = (data.name or "").strip()
    if not 2 <= len(name) <= 40:
        errors["name"] = _l("Enter the person's name (2 to 40 characters).")
    id_number = None
    try:
        id_number = clean_id_number(data.id_number)
    except Invalid as error:
        errors.update(error.errors)
    if not (data.village_group or "").strip():
        errors["village_group"] = _l("Enter the village group (where they collect).")
    if not (data.situation or "").strip():
        errors["situation"] = _l("Describe the person's situation.")
    phone = None
    if (data.proxy_phone or "").strip():
        phone = normalize_phone(data.proxy_phone)
        if phone is None:
            errors["proxy_phone"] = _l("Enter an 11-digit mobile number.")
    if phone and not (data.proxy_name or "").strip():
        errors["proxy_name"] = _l("Enter the proxy's name.")
    if errors:
        raise Invalid(errors)
    id_hash = lookup_hash(id_number, ID_PURPOSE)
    person = db.session.scalar(select(Beneficiary).where(Beneficiary.id_hash == id_hash))
    if person is None:
        person = Beneficiary(id_number=id_number, id_hash=id_hash,
                             created_by_id=user.id if user else None)
        db.session.add(person)
    person.name = name
    person.village_group = data.village_group.strip()[:40]
    person.household = (data.household or "").strip()[:200]
    person.situation = data.situation.strip()[:1000]
    person.proxy_name = (data.proxy_name or "").strip()[:40] or None
    person.proxy_phone = phone
    person.name_consent = bool(data.name_consent)
    db.session.flush()
    return person


def propose(programme: Programme, data: PersonInput, user) -> Enrolment:
    """The 社工 proposes a person for the programme; the committee decides in a batch vote.
    An enrolment lasts at most a year: it is reviewed (proposed again) each year."""
    if state_of(programme) in ("stopped", "ended"):
        raise Invalid({"name": _l("This programme takes no new people.")})
    start = data.starts_on or max(local_today(), programme.starts_on)
    end = data.ends_on or start + timedelta(days=364)
    if programme.ends_on:
        end = min(end, programme.ends_on)
    errors = {}
    if start < programme.starts_on or (programme.ends_on and start > programme.ends_on):
        errors["starts_on"] = _l("The enrolment must start within the programme's dates.")
    elif end < start:
        errors["ends_on"] = _l("The enrolment cannot end before it starts.")
    elif end > start + timedelta(days=365):
        errors["ends_on"] = _l("An enrolment lasts at most a year; it is reviewed each year.")
    person = None
    try:
        person = _person(data, user)
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.programme_id == programme.id, Enrolment.beneficiary_id == person.id))
    if enrolment is not None and enrolment_state(enrolment) != "refused":
        raise Invalid({"id_number": _l("This person is already in this programme.")})
    if enrolment is None:
        enrolment = Enrolment(fund_id=programme.fund_id, programme_id=programme.id,
                              beneficiary_id=person.id)
        db.session.add(enrolment)
    enrolment.motion_id = None
    enrolment.starts_on, enrolment.ends_on = start, end
    enrolment.proposed_by_id = user.id if user else None
    enrolment.proposed_at = utcnow()
    db.session.flush()
    return enrolment


def enrolment_state(enrolment: Enrolment) -> str:
    """proposed (waiting for a vote), voting, approved or refused: read from its vote."""
    motion = enrolment.motion
    if motion is None:
        return "proposed"
    if motion.status == "open":
        return "voting"  # also past its deadline: the job or the next POST closes it
    return "approved" if motion.passed else "refused"


def enrolments(programme: Programme) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.programme_id == programme.id).order_by(Enrolment.id)))


def put_to_vote(programme: Programme, user, now: datetime | None = None) -> Motion:
    """Every proposed enrolment of the programme, in one motion on its proposal. A member
    related to one of them recuses on that motion (governance's recusal)."""
    proposal = db.session.get(Proposal, programme.proposal_id)
    lock(proposal)  # two chairs at once: the second finds nothing left to put to the vote
    waiting = [e for e in enrolments(programme) if e.motion_id is None]
    if not waiting:
        raise Invalid({"vote": _l("No proposed person is waiting for a vote.")})
    if proposal.status not in UNDER_WAY:
        raise Invalid({"vote": _l("People can be enrolled once the programme itself has "
                                  "passed its vote and public notice.")})
    motion = motions.open_motion(proposal, user, kind="enrolment", now=now,
                                 amount_fen=programme.value_fen * len(waiting))
    for enrolment in waiting:
        enrolment.motion_id = motion.id
    db.session.flush()
    motions.announce(motion)
    return motion


# --- entitlements ----------------------------------------------------------------------------

def period_bounds(programme: Programme, period: str) -> tuple[date, date]:
    from .changes import period_bounds as bounds_of  # a frequency changed by a vote

    found = bounds_of(programme, period)
    if found is None or not periods.overlaps(*found, programme.starts_on, programme.ends_on):
        raise Invalid({"period": _l("This is not a period of this programme.")})
    return found


def entitle(enrolment: Enrolment, programme: Programme, period: str) -> Entitlement | None:
    """The enrolment's entitlement for the period: made once (None when it existed before);
    refused for a period outside the enrolment or before the committee approved it."""
    first, last = period_bounds(programme, period)
    if enrolment_state(enrolment) != "approved":
        raise Invalid({"period": _l("This person's enrolment is not approved by the committee.")})
    if not periods.overlaps(first, last, enrolment.starts_on, enrolment.ends_on):
        raise Invalid({"period": _l("This period is outside the person's enrolment "
                                    "(%(start)s to %(end)s).", start=enrolment.starts_on,
                                    end=enrolment.ends_on)})
    if db.session.scalar(select(Entitlement.id).where(Entitlement.enrolment_id == enrolment.id,
                                                      Entitlement.period == period)):
        return None
    entitlement = Entitlement(fund_id=programme.fund_id, programme_id=programme.id,
                              enrolment_id=enrolment.id, period=period,
                              amount_fen=terms_on(programme, first).value_fen)
    db.session.add(entitlement)
    db.session.flush()
    if programme.kind == AidKind.VOUCHER:
        _voucher(programme, entitlement)
    return entitlement


def make_entitlements(programme: Programme, period: str) -> int:
    """The period's entitlements of everyone approved and enrolled in it; running it again
    makes nothing new. The programme row is held, so two runs at once make them once."""
    first, last = period_bounds(programme, period)
    if state_of(programme) not in ("running", "ended"):
        raise Invalid({"period": _l("The programme is not running.")})
    if first > local_today():
        raise Invalid({"period": _l("This period has not begun.")})
    lock(programme)
    made = 0
    for enrolment in enrolments(programme):
        if enrolment_state(enrolment) == "approved" and periods.overlaps(
                first, last, enrolment.starts_on, enrolment.ends_on):
            made += entitle(enrolment, programme, period) is not None
    return made


def _voucher(programme: Programme, entitlement: Entitlement) -> Voucher:
    """A serial people read out (programme-period-number) and a code nobody can guess for
    the QR; the code alone opens the voucher's check page."""
    number = db.session.scalar(select(func.count()).select_from(Entitlement).where(
        Entitlement.programme_id == programme.id, Entitlement.period == entitlement.period))
    voucher = Voucher(fund_id=programme.fund_id, entitlement_id=entitlement.id,
                      serial=f"{programme.id}-{entitlement.period}-{number:03d}",
                      code=secrets.token_urlsafe(16))
    db.session.add(voucher)
    db.session.flush()
    return voucher


# --- the hand-out sheet ----------------------------------------------------------------------

@dataclass
class SheetRow:
    entitlement: Entitlement
    person: Beneficiary
    handout: Handout | None
    voucher: Voucher | None

    @property
    def state(self) -> str:
        """handed, redeemed (a voucher used at a shop) or missed (未领取)."""
        if self.voucher is not None and self.voucher.redeemed_at is not None:
            return "redeemed"
        return "handed" if self.handout is not None else "missed"


def sheet(programme: Programme, period: str, group: str | None = None) -> list[SheetRow]:
    """Who is owed what this period, at one place (village group) or all; four queries."""
    rows = db.session.execute(
        select(Entitlement, Beneficiary).join(Enrolment, Enrolment.id == Entitlement.enrolment_id)
        .join(Beneficiary, Beneficiary.id == Enrolment.beneficiary_id)
        .where(Entitlement.programme_id == programme.id, Entitlement.period == period)
        .order_by(Beneficiary.village_group, Entitlement.id)).all()
    if group:
        rows = [(e, b) for e, b in rows if b.village_group == group]
    ids = [e.id for e, _b in rows]
    handouts = {h.entitlement_id: h for h in db.session.scalars(
        select(Handout).where(Handout.entitlement_id.in_(ids)))} if ids else {}
    vouchers = {v.entitlement_id: v for v in db.session.scalars(
        select(Voucher).where(Voucher.entitlement_id.in_(ids)))} if ids else {}
    return [SheetRow(e, b, handouts.get(e.id), vouchers.get(e.id)) for e, b in rows]


def _open_for_handout(entitlement: Entitlement, programme: Programme, now: datetime) -> None:
    _first, last = period_bounds(programme, entitlement.period)
    if local_day(now) > last:
        raise Invalid({"signature": _l("This period is over: a missed hand-out can be given "
                                       "only within its period.")})
    done = db.session.scalar(select(Handout).where(Handout.entitlement_id == entitlement.id))
    if done is not None:
        raise Invalid({"signature": _l("This was already handed out (%(at)s).",
                                       at=local_day(done.at))})


_DATA_URL = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def signature_png(data_url: str) -> bytes:
    """The signature drawn on the phone, as the canvas sends it (a PNG data URL)."""
    import base64

    match = _DATA_URL.fullmatch((data_url or "").strip())
    if match is None:
        raise Invalid({"signature": _l("Sign in the box first.")})
    try:
        data = base64.b64decode(match[1], validate=True)
    except ValueError:
        raise Invalid({"signature": _l("Sign in the box first.")}) from None
    check_upload(data, "signature", allowed={PNG}, max_bytes=MAX_SIGNATURE_BYTES,
                 wrong_type=_l("Sign in the box first."))
    return data


def hand_out(entitlement: Entitlement, user, *, signature: bytes, collector: str = "self",
             now: datetime | None = None) -> Handout:
    """The person (or their proxy) signs on the phone: the image and its sha256 are kept.
    Once per entitlement: the row is held, and the database has one hand-out per entitlement."""
    now = now or utcnow()
    programme = db.session.get(Programme, entitlement.programme_id)
    lock(entitlement)
    _check_collector(entitlement, collector)
    _open_for_handout(entitlement, programme, now)
    handout = Handout(fund_id=entitlement.fund_id, entitlement_id=entitlement.id,
                      method=HandoutMethod.SIGNATURE, collector=collector, signature=signature,
                      signature_sha256=hashlib.sha256(signature).hexdigest(),
                      by_id=user.id if user else None, at=now)
    db.session.add(handout)
    db.session.flush()
    return handout


def _check_collector(entitlement: Entitlement, collector: str) -> None:
    if collector not in Collector.values():
        raise Invalid({"collector": _l("Choose who collects.")})
    if collector == Collector.PROXY and not entitlement.enrolment.beneficiary.proxy_name:
        raise Invalid({"collector": _l("No proxy is recorded for this person.")})


def hand_out_on_paper(programme: Programme, period: str, entitlement_ids: list[int],
                      photo: bytes, user, now: datetime | None = None) -> list[Handout]:
    """The 社工 photographs the signed paper roster and ticks who signed on it."""
    from app.uploads import JPEG

    now = now or utcnow()
    content_type = check_upload(photo, "photo", allowed={JPEG, PNG})
    if not entitlement_ids:
        raise Invalid({"entitlements": _l("Tick who signed on the paper roster.")})
    period_bounds(programme, period)
    chosen = list(db.session.scalars(select(Entitlement).where(
        Entitlement.id.in_(entitlement_ids), Entitlement.programme_id == programme.id,
        Entitlement.period == period)))
    if len(chosen) != len(set(entitlement_ids)):
        raise Invalid({"entitlements": _l("Tick only people on this sheet.")})
    row = RosterPhoto(fund_id=programme.fund_id, programme_id=programme.id, period=period,
                      content_type=content_type, data=photo,
                      sha256=hashlib.sha256(photo).hexdigest(),
                      by_id=user.id if user else None, at=now)
    db.session.add(row)
    db.session.flush()
    done = []
    for entitlement in chosen:
        lock(entitlement)
        _open_for_handout(entitlement, programme, now)
        done.append(Handout(fund_id=programme.fund_id, entitlement_id=entitlement.id,
                            method=HandoutMethod.PAPER, collector=Collector.SELF,
                            photo_id=row.id, by_id=user.id if user else None, at=now))
    db.session.add_all(done)
    db.session.flush()
    return done


# --- shops and vouchers ----------------------------------------------------------------------

def add_shop(name: str, payee_account: str = "") -> Shop:
    name = (name or "").strip()
    if not 2 <= len(name) <= 100:
        raise Invalid({"name": _l("Enter the shop's name (2 to 100 characters).")})
    shop = Shop(name=name, payee_account=(payee_account or "").strip()[:60],
                token=secrets.token_urlsafe(24))
    db.session.add(shop)
    db.session.flush()
    return shop


def shop_by_token(token: str) -> Shop | None:
    if not token or len(token) > 43:
        return None
    return db.session.scalar(select(Shop).where(Shop.token == token, Shop.active.is_(True)))


def voucher_by_code(code: str) -> Voucher | None:
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(Voucher).where(Voucher.code == code))


def _typed_voucher(typed: str) -> Voucher | None:
    """What the shop typed or scanned: the serial, the code, or the QR's whole link."""
    text = (typed or "").strip().rstrip("/")
    code = text.rsplit("/", 1)[-1]
    return (db.session.scalar(select(Voucher).where(Voucher.serial == text))
            or voucher_by_code(code))


def redeem(shop: Shop, typed: str, now: datetime | None = None) -> Voucher:
    """The shop takes the voucher: once, whoever tries at the same moment (one UPDATE that
    only an unredeemed voucher matches)."""
    now = now or utcnow()
    voucher = _typed_voucher(typed)
    if voucher is None:
        raise Invalid({"voucher": _l("No voucher has this number.")})
    entitlement = db.session.get(Entitlement, voucher.entitlement_id)
    if db.session.scalar(select(Handout.id).where(Handout.entitlement_id == entitlement.id)) \
            is None:
        raise Invalid({"voucher": _l("This voucher has not been handed out yet.")})
    taken = db.session.execute(
        update(Voucher).where(Voucher.id == voucher.id, Voucher.redeemed_at.is_(None))
        .values(redeemed_at=now, shop_id=shop.id).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        db.session.refresh(voucher)
        raise Invalid({"voucher": _l("This voucher was already redeemed (%(at)s).",
                                     at=local_day(voucher.redeemed_at))})
    db.session.refresh(voucher)
    return voucher


# --- paying for it: payouts with two keys ---------------------------------------------------

def unpaid(programme: Programme, shop: Shop | None = None) -> list[Entitlement]:
    """What was given and is not yet on a payout that stands: vouchers redeemed at the shop,
    or (cash, goods) what was handed out."""
    query = (select(Entitlement).outerjoin(Payout, Payout.id == Entitlement.payout_id)
             .where(Entitlement.programme_id == programme.id,
                    (Entitlement.payout_id.is_(None)) | Payout.status.in_(ENDED_STATES)))
    if programme.kind == AidKind.VOUCHER:
        query = query.join(Voucher, Voucher.entitlement_id == Entitlement.id).where(
            Voucher.shop_id == (shop.id if shop else -1))
    else:
        query = query.join(Handout, Handout.entitlement_id == Entitlement.id)
    return list(db.session.scalars(query.order_by(Entitlement.id)))


def settle(programme: Programme, user, shop: Shop | None = None,
           now: datetime | None = None) -> Payout:
    """Ask for the money through a payout on the programme's proposal (the second key signs
    it, the treasurer pays it): to the shop for the vouchers it redeemed, or for the cash
    and goods handed out. Each entitlement is on one standing payout at most."""
    lock(programme)
    if programme.kind == AidKind.VOUCHER and shop is None:
        raise Invalid({"shop_id": _l("Choose the shop to pay.")})
    items = unpaid(programme, shop)
    if not items:
        raise Invalid({"shop_id": _l("Nothing given is waiting to be paid for.")})
    total = sum(e.amount_fen for e in items)
    payee = shop.name if shop else str(_l("Cash and goods handed out (social worker)"))
    purpose = str(_l("%(title)s: %(count)d hand-outs (%(periods)s)", title=programme.title,
                     count=len(items), periods=", ".join(sorted({e.period for e in items}))))
    proposal = db.session.get(Proposal, programme.proposal_id)
    payout = payouts.request(proposal, payouts.PayoutInput(
        amount=fen_to_input(total), payee=payee[:100],
        payee_account=shop.payee_account if shop else "", purpose=purpose[:500]), user, now)
    for entitlement in items:
        entitlement.payout_id = payout.id
    db.session.flush()
    return payout


@dataclass
class Reconciliation:
    handed_fen: int  # given out: hand-outs (cash, goods) or vouchers redeemed
    items_paid_fen: int  # of those, the ones on a paid payout
    payouts_fen: int  # those paid payouts' amounts
    ledger_fen: int  # what the ledger booked for those payouts (debits, net of reversals)
    other_fen: int  # paid payouts on the programme not for hand-outs (e.g. goods bought)

    @property
    def waiting_fen(self) -> int:
        """Given, and on no paid payout yet."""
        return self.handed_fen - self.items_paid_fen

    @property
    def balanced(self) -> bool:
        return self.items_paid_fen == self.payouts_fen == self.ledger_fen


def reconcile(programme: Programme) -> Reconciliation:
    """Hand-outs against payouts against the ledger, for one programme."""
    from app.ledger.models import LedgerEntry

    given = select(Entitlement.id).where(Entitlement.programme_id == programme.id)
    if programme.kind == AidKind.VOUCHER:
        given = given.join(Voucher, Voucher.entitlement_id == Entitlement.id).where(
            Voucher.redeemed_at.is_not(None))
    else:
        given = given.join(Handout, Handout.entitlement_id == Entitlement.id)
    rows = db.session.execute(select(Entitlement.amount_fen, Payout.status, Payout.id)
                              .outerjoin(Payout, Payout.id == Entitlement.payout_id)
                              .where(Entitlement.id.in_(given))).all()
    paid_ids = {r.id for r in rows if r.status == "paid"}
    paid = db.session.execute(select(Payout).where(
        Payout.proposal_id == programme.proposal_id, Payout.status == "paid")).scalars().all()
    refs = [payouts.reference_of(p, part) for p in paid if p.id in paid_ids
            for part in ("project", "general")]
    booked = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.kind == "payout", LedgerEntry.reference.in_(refs)))) if refs else []
    reversed_fen = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                     .where(LedgerEntry.reverses_id.in_(
                                         [e.id for e in booked]))) if booked else 0
    return Reconciliation(
        handed_fen=sum(r.amount_fen for r in rows),
        items_paid_fen=sum(r.amount_fen for r in rows if r.status == "paid"),
        payouts_fen=sum(p.amount_fen for p in paid if p.id in paid_ids),
        ledger_fen=-(sum(e.amount_fen for e in booked) + int(reversed_fen or 0)),
        other_fen=sum(p.amount_fen for p in paid if p.id not in paid_ids))


# --- what the committee and the public see ---------------------------------------------------

@dataclass
class Summary:
    programme: Programme
    state: str
    people: int  # approved and enrolled today
    per_period_fen: int
    spent_fen: int  # paid payouts on the programme
    names: list[str]  # masked, of those who consent, when the programme's rule allows
    terms: Terms  # in force today: a carried change shows from the period it starts


def summary(programme: Programme, today: date | None = None, *, masked_names: bool = False
            ) -> Summary:
    from app.privacy import mask_name

    today = today or local_today()
    current = [e for e in enrolments(programme) if enrolment_state(e) == "approved"
               and e.starts_on <= today <= e.ends_on]
    spent = db.session.scalar(select(func.coalesce(func.sum(Payout.amount_fen), 0)).where(
        Payout.proposal_id == programme.proposal_id, Payout.status == "paid"))
    names = []
    if masked_names and programme.public_names:
        names = [mask_name(e.beneficiary.name) for e in current if e.beneficiary.name_consent]
    terms = terms_on(programme, today)  # a carried change may start next period
    return Summary(programme, state_of(programme), len(current), terms.value_fen * len(current),
                   int(spent or 0), names, terms)


def programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.id)))


def public_summaries() -> list[Summary]:
    """The board's programmes: those past their vote and notice."""
    return [summary(p, masked_names=True) for p in programmes()
            if state_of(p) in ("running", "ended")]
