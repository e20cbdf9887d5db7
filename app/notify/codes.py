"""One-time codes by SMS: proof that a person holds a mobile number, for those who have no
account (a villager claiming a wish, a volunteer checking in).

    send_code(fund, "13912345678", "wish.claim")     # in a POST; the SMS goes after commit
    check_code(fund, "13912345678", "wish.claim", typed)   # Invalid unless right, once

A code is six digits, lives CODE_MINUTES and is spent by the one UPDATE that matches it, so
two requests with the same code cannot both pass. Guessing is stopped by rate limits on the
number (``per_phone``), not by a counter in the database: a refused form rolls its transaction
back, a count written in it would go with it. A number gets a new code at most once a minute
per purpose (and the notices' daily limit).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.auth.services import normalize_phone
from app.db_types import utcnow
from app.extensions import db, limiter
from app.funds.models import Fund
from app.validation import Invalid

from .models import PhoneCode
from .services import notify

CODE_MINUTES = 10
RESEND_AFTER = timedelta(seconds=60)
CODE_RE = re.compile(r"[0-9]{6}")


def per_phone(scope: str):
    """A view decorator: POSTs naming a mobile number (the form's "phone") are limited per
    number as well as per machine, so one number's code is not guessed from many machines."""
    def key() -> str:
        typed = request.form.get("phone", "")
        return f"{scope}-phone:" + (normalize_phone(typed) or typed.strip()[:20])

    return limiter.limit(lambda: current_app.config["PHONE_CODE_RATE_LIMIT"], key_func=key,
                         methods=["POST"])


def _digest(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_or_refuse(value: str, field: str = "phone") -> str:
    phone = normalize_phone(value)
    if phone is None:
        raise Invalid({field: _l("This is not a mainland mobile number (11 digits, "
                                 "beginning 13 to 19).")})
    return phone


def send_code(fund: Fund, phone: str, purpose: str, now: datetime | None = None) -> PhoneCode:
    """A new code for this number and purpose, sent by SMS when the caller commits."""
    now = now or utcnow()
    phone = phone_or_refuse(phone)
    latest = db.session.scalar(
        select(PhoneCode.created_at).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose)
        .order_by(PhoneCode.created_at.desc()).limit(1))
    if latest is not None and now - latest < RESEND_AFTER:
        raise Invalid({"phone": _l("A code was sent to this number less than a minute ago. "
                                   "Wait for it, or try again in a minute.")})
    code = f"{secrets.randbelow(10**6):06d}"
    sent = PhoneCode(fund_id=fund.id, phone=phone, purpose=purpose,
                     code_hash=_digest(phone, purpose, code), created_at=now,
                     expires_at=now + timedelta(minutes=CODE_MINUTES))
    db.session.add(sent)
    db.session.flush()
    notify(phone, "phone_code", fund=fund, code=code, minutes=CODE_MINUTES)
    return sent


def check_code(fund: Fund, phone: str, purpose: str, typed: str,
               now: datetime | None = None) -> str:
    """The number, once proved by an unexpired, unused code; Invalid (beside "code") otherwise."""
    now = now or utcnow()
    phone = phone_or_refuse(phone)
    typed = re.sub(r"\s", "", typed or "")
    if not CODE_RE.fullmatch(typed):
        raise Invalid({"code": _l("Type the 6-digit code from the SMS.")})
    spent = db.session.execute(
        update(PhoneCode).where(
            PhoneCode.fund_id == fund.id, PhoneCode.phone == phone, PhoneCode.purpose == purpose,
            PhoneCode.code_hash == _digest(phone, purpose, typed), PhoneCode.used_at.is_(None),
            PhoneCode.expires_at > now)
        .values(used_at=now))
    if spent.rowcount == 1:
        return phone
    raise Invalid({"code": _l("This code is wrong or has expired. Ask for a new one.")})
