"""Donors: creating, finding (by name, phone or pinyin initials), merging, and their totals."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin
from sqlalchemy import extract, func, or_, select, update

from app.auth.services import normalize_email, normalize_phone
from app.extensions import db
from app.validation import Invalid

from .models import Anonymity, Donor, DonorKind


def initials(name: str) -> str:
    """王秀英 -> wxy; letters and digits in the name stay as they are (lower case)."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda s: list(s))
    return re.sub(r"[^a-z0-9]", "", "".join(letters).lower())[:100]


@dataclass
class DonorInput:
    name: str
    kind: str = "person"
    phone: str = ""
    email: str = ""
    address: str = ""
    id_number: str = ""
    anonymity: str = "show"
    locale: str = "zh_Hans"
    notes: str = ""


def _clean(data: DonorInput) -> dict:
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _l("Enter the donor's name.")
    phone = None
    if data.phone and data.phone.strip():
        phone = normalize_phone(data.phone)
        if phone is None:
            errors["phone"] = _l("Enter an 11-digit mobile number, such as 13912345678.")
    email = normalize_email(data.email) or None
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        errors["email"] = _l("Enter an email address such as name@example.cn.")
    id_number = re.sub(r"\s", "", data.id_number or "").upper()
    if id_number and not re.match(r"^[0-9A-Z]{6,30}$", id_number):
        errors["id_number"] = _l("An ID number has digits and letters only.")
    if data.kind not in DonorKind.values():
        errors["kind"] = _l("Choose a person or an organisation.")
    if data.anonymity not in Anonymity.values():
        errors["anonymity"] = _l("Choose how the donor is named in public.")
    if errors:
        raise Invalid(errors)
    return dict(name=name, initials=initials(name), kind=data.kind, phone=phone, email=email,
                address=(data.address or "").strip(), id_number=id_number,
                anonymity=data.anonymity, locale=data.locale or "zh_Hans",
                notes=(data.notes or "").strip())


def likely_duplicates(data: DonorInput, exclude_id: int | None = None) -> list[Donor]:
    """Donors with the same phone, email or name: probably the same person."""
    phone = normalize_phone(data.phone) if data.phone else None
    email = normalize_email(data.email) or None
    conditions = [Donor.name == (data.name or "").strip()]
    if phone:
        conditions.append(Donor.phone == phone)
    if email:
        conditions.append(Donor.email == email)
    query = select(Donor).where(or_(*conditions), Donor.merged_into_id.is_(None))
    if exclude_id is not None:
        query = query.where(Donor.id != exclude_id)
    return list(db.session.scalars(query.order_by(Donor.id).limit(5)))


def _unique_contacts(values: dict, exclude_id: int | None = None) -> None:
    errors = {}
    for field in ("phone", "email"):
        if values[field] is None:
            continue
        query = select(Donor.id).where(getattr(Donor, field) == values[field])
        if exclude_id is not None:
            query = query.where(Donor.id != exclude_id)
        if db.session.scalar(query) is not None:
            errors[field] = _l("Another donor of this fund already has it.")
    if errors:
        raise Invalid(errors)


def create_donor(data: DonorInput) -> Donor:
    values = _clean(data)
    _unique_contacts(values)
    donor = Donor(**values)
    db.session.add(donor)
    db.session.flush()
    return donor


def update_donor(donor: Donor, data: DonorInput) -> Donor:
    values = _clean(data)
    _unique_contacts(values, exclude_id=donor.id)
    for key, value in values.items():
        setattr(donor, key, value)
    db.session.flush()
    return donor


def search(text: str, limit: int = 8) -> list[Donor]:
    """As you type: name contains, phone contains, or pinyin initials start with the text."""
    text = (text or "").strip()
    if not text:
        return []
    lowered = text.lower()
    conditions = [Donor.name.contains(text, autoescape=True)]
    if re.fullmatch(r"\d{3,11}", text):
        conditions.append(Donor.phone.contains(text, autoescape=True))
    if re.fullmatch(r"[a-z]{1,10}", lowered):
        conditions.append(Donor.initials.startswith(lowered, autoescape=True))
    return list(db.session.scalars(
        select(Donor).where(or_(*conditions), Donor.merged_into_id.is_(None))
        .order_by(func.length(Donor.name), Donor.id).limit(limit)
    ))


def resolve(donor_id: int | None, name: str) -> int | None:
    """The donor a typed entry means: the one picked, else the only donor with exactly this
    name, else a new donor of that name; no name at all is an anonymous gift. Two donors of
    the same name are not guessed between: the person must pick one."""
    if donor_id:
        return donor_id
    name = (name or "").strip()
    if not name:
        return None
    same = db.session.scalars(select(Donor.id).where(
        Donor.name == name, Donor.merged_into_id.is_(None)).limit(2)).all()
    if len(same) > 1:
        raise Invalid({"donor_name": _l(
            "Several donors have this name: pick the right one from the suggestions.")})
    return same[0] if same else create_donor(DonorInput(name=name)).id


def merge(keep: Donor, absorb: Donor) -> Donor:
    """Move every gift of ``absorb`` to ``keep``; ``absorb`` stays, marked as merged."""
    from app.donations.models import Donation

    if keep.id == absorb.id:
        raise Invalid({"other": _l("Choose a different donor to merge.")})
    if keep.merged_into_id or absorb.merged_into_id:
        raise Invalid({"other": _l("This donor was already merged into another.")})
    db.session.execute(
        update(Donation).where(Donation.donor_id == absorb.id).values(donor_id=keep.id)
    )
    for field in ("address", "id_number", "notes"):
        if not getattr(keep, field) and getattr(absorb, field):
            setattr(keep, field, getattr(absorb, field))
    # Contacts move too, when the kept record has none (they are unique within the fund).
    for field in ("phone", "email"):
        if getattr(keep, field) is None and getattr(absorb, field) is not None:
            value = getattr(absorb, field)
            setattr(absorb, field, None)
            db.session.flush()
            setattr(keep, field, value)
    absorb.merged_into_id = keep.id
    # Records merged into the absorbed donor earlier now lead straight to the kept one.
    db.session.execute(update(Donor).where(Donor.merged_into_id == absorb.id)
                       .values(merged_into_id=keep.id))
    db.session.flush()
    return keep


def totals_by_year(donor: Donor) -> list[tuple[int, int, int]]:
    """[(year, number of gifts, net fen)] of the donor's confirmed gifts, newest year first."""
    from app.donations.models import COUNTED, Donation

    year = extract("year", Donation.received_on)
    rows = db.session.execute(
        select(year, func.count(), func.sum(Donation.amount_fen - Donation.refunded_fen))
        .where(Donation.donor_id == donor.id,
               Donation.status.in_(COUNTED))
        .group_by(year).order_by(year.desc())
    ).all()
    return [(int(y), int(n), int(total or 0)) for y, n, total in rows]
