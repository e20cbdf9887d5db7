"""Accounts: finding a user by phone or email, passwords, and single-use reset tokens."""

import hashlib
import re
from datetime import date

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import local_today
from app.database import kept
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Township
from app.validation import int_or_none

from .models import Membership, User

# [0-9], not \d: \d takes any script's digits (١٣٨…, full-width １３８…), which no carrier dials.
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
MIN_PASSWORD_LENGTH = 8


def normalize_phone(value: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if PHONE_RE.fullmatch(digits) else None


def mask_contact(value: str) -> str:
    """A mobile number or email address as a page shows it: enough to recognise on a shared
    screen, not to write down (138****8000, z***@example.com)."""
    if "@" not in value:
        return value[:3] + "****" + value[-4:]
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def find_user(login: str) -> User | None:
    """The user whose mobile number or email address this is."""
    phone = normalize_phone(login)
    email = normalize_email(login)
    conditions = [User.email == email]
    if phone:
        conditions.append(User.phone == phone)
    return db.session.scalar(select(User).where(or_(*conditions)))


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError("password too short")
    user.password_hash = generate_password_hash(password, method=_hash_method())
    if user.id is not None:  # whoever signed in with the old password is signed out
        end_sessions(user)


def _hash_method() -> str:
    from flask import current_app

    return current_app.config["PASSWORD_HASH_METHOD"]


# A hash of something to compare against, so an unknown login costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def authenticate(login: str, password: str) -> User | None:
    user = find_user(login)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def create_user(name: str, password: str, phone: str | None = None, email: str | None = None,
                locale: str = "zh_Hans") -> User:
    phone_n = normalize_phone(phone) if phone else None
    if phone and not phone_n:
        raise ValueError(f"not a mobile number: {phone}")
    email_n = normalize_email(email) if email else None
    if not (phone_n or email_n):
        raise ValueError("a user needs a mobile number or an email address")
    user = User(name=name, phone=phone_n, email=email_n, locale=locale)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def add_membership(user: User, role: str, *, fund=None, township=None,
                   start: date | None = None, end: date | None = None) -> Membership:
    membership = Membership(
        user=user, role=role, fund=fund, township=township,
        start_date=start or local_today(), end_date=end,
    )
    db.session.add(membership)
    db.session.flush()
    return membership


def current_memberships(user, day: date | None = None) -> list[Membership]:
    """The user's memberships in force on the day (today in Asia/Shanghai by default); none
    for an anonymous caller. The tenancy layer asks this for every fund or township page."""
    if not user.is_authenticated:
        return []
    day = day or local_today()
    return [m for m in memberships_of(user.id) if m.current_on(day)]


def memberships_of(user_id: int) -> list[Membership]:
    """All the user's memberships, past and future too, read once per request (kept())."""
    return kept(f"memberships:{user_id}", lambda: list(db.session.scalars(
        select(Membership).where(Membership.user_id == user_id))))


def load_user(session_id: str) -> User | None:
    """The user a session or remember cookie names ("<id>:<version>", User.get_id), only
    while that version is still the user's: an older one was signed out."""
    user_id, _, version = session_id.partition(":")
    user_id, version = int_or_none(user_id), int_or_none(version)
    user = db.session.get(User, user_id) if user_id and version else None
    return user if user is not None and user.session_version == version else None


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember cookie stops working. The
    caller signs the current browser in again if it is to stay signed in."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count
    db.session.flush()


def township_people(township: Township) -> list[tuple[User, list[Membership]]]:
    """Everyone who holds or held a role in the township or one of its funds, with those
    roles, by name."""
    fund_ids = [fund.id for fund in township.funds]
    rows = db.session.scalars(
        select(Membership).join(User, User.id == Membership.user_id)
        .where(or_(Membership.township_id == township.id, Membership.fund_id.in_(fund_ids)))
        .order_by(User.name, User.id, Membership.id)).all()
    people: dict[int, tuple[User, list[Membership]]] = {}
    for membership in rows:
        people.setdefault(membership.user_id, (membership.user, []))[1].append(membership)
    return list(people.values())


def township_person(township: Township, user_id: int | None) -> User | None:
    """The user, if they hold or held a role in the township: whom its admins may sign out."""
    for user, _memberships in township_people(township):
        if user.id == user_id:
            return user
    return None


# Reset tokens carry a fingerprint of the current password hash: once the password changes,
# every earlier link stops working, so a link is single-use without a table of tokens.
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User, secret: str) -> str:
    return _serializer(secret).dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(token: str, secret: str, max_age: int) -> User | None:
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user
