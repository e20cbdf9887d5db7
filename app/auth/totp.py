"""Two-step sign-in with a one-time code (TOTP, RFC 6238) for those who hold the keys.

Enrolment stores a pending secret, shows it as a QR code, and turns it on only when a code
from the phone confirms it; ten single-use recovery codes are then shown once and kept as
hashes. A code is accepted once (the last used time step is remembered), so a code seen
over someone's shoulder cannot be replayed. A township may require it of its admins.
"""

import hashlib
import secrets
from datetime import date

import pyotp
from sqlalchemy import delete, select

from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db

from .models import Membership, RecoveryCode, User
from .roles import KEY_ROLES, Role
from .services import end_sessions, memberships_of

ISSUER = "Shanlin 善邻"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def new_secret() -> str:
    """A secret for enrolment. It is kept in the browser's signed session until a code
    confirms it: showing the enrolment page (a GET) writes nothing."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(
        name=user.phone or user.email or str(user.id), issuer_name=ISSUER)


def _step_of(user: User, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side), or None."""
    # ASCII digits only: "²" passes isdigit(), and compare_digest refuses non-ASCII text.
    code = "".join(ch for ch in (code or "") if ch in "0123456789")
    if len(code) != 6 or not user.totp_secret:
        return None
    totp = _totp(user.totp_secret)
    now = utcnow()
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def check_code(user: User, code: str) -> bool:
    """A current code not used before. Marks it used (the caller commits)."""
    step = _step_of(user, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _hash(code: str) -> str:
    normal = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working); shown once, stored as hashes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
        RecoveryCode.used_at.is_(None)).with_for_update())
    if row is None:
        return False
    row.used_at = utcnow()
    db.session.flush()
    return True


def check_code_or_recovery(user: User, code: str) -> str | None:
    """"code" or "recovery" when the input signs the user in, else None."""
    if check_code(user, code):
        return "code"
    if use_recovery_code(user, code):
        return "recovery"
    return None


def confirm_enrolment(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-step sign-in on if the code matches the pending secret; the recovery codes."""
    if user.has_totp or not secret:
        return None
    user.totp_secret = secret
    if not check_code(user, code):
        user.totp_secret = None
        return None
    user.totp_enabled_at = utcnow()
    end_sessions(user)  # a password alone, stolen before, no longer holds a session open
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def key_roles(user: User, day: date | None = None) -> list[Membership]:
    """The user's current memberships that hold keys (KEY_ROLES). Their sign-ins and
    two-step events are audited."""
    day = day or local_today()
    return [m for m in memberships_of(user.id) if m.current_on(day) and m.role in KEY_ROLES]


def township_requires(user: User) -> bool:
    """Is the user a current admin of a township that requires two-step sign-in?"""
    today = local_today()
    return any(m.role == Role.TOWNSHIP_ADMIN and m.current_on(today)
               and m.township.require_admin_2fa for m in memberships_of(user.id))


def enrolment_required(user: User) -> bool:
    """A township admin of a township that requires two-step sign-in, without it."""
    return not user.has_totp and township_requires(user)


def audit(user: User, action: str, always: bool = False, **after) -> None:
    """One platform-chain entry per key-holding role, so each township's trail shows it;
    with ``always``, one unlabelled entry for anyone else too."""
    from app.audit import record

    roles = key_roles(user)
    if not roles and not always:
        return
    for m in roles or [None]:
        record(action, township_id=m.township_id if m else None,
               fund_id=m.fund_id if m else None, platform=True, subject=("user", user.id),
               after={"user": user.name, **({"role": m.role} if m else {}), **after})
