"""Accounts: finding a user by phone or email, passwords, and single-use reset tokens."""

import hashlib
import re
from datetime import date

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db

from .models import Membership, User

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD_LENGTH = 8


def normalize_phone(value: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if PHONE_RE.match(digits) else None


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


def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


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
