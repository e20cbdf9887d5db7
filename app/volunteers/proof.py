"""A volunteer's mobile number, proved by an SMS code and remembered in the session for a
few hours, for the township whose funds the volunteer may belong to: no password."""

from __future__ import annotations

from datetime import timedelta

from flask import session

from app.db_types import utcnow
from app.funds.models import Fund
from app.notify import codes

from . import services

KEY = "volunteer_proof"
LASTS = timedelta(hours=12)
PURPOSE = "volunteer.proof"


def proved(fund: Fund) -> str | None:
    """The keyed hash of the number proved in this township, or None."""
    proof = session.get(KEY) or {}
    if proof.get("township") != fund.township_id:
        return None
    if utcnow().timestamp() > proof.get("until", 0):
        return None
    return proof.get("phone")


def send(fund: Fund, phone: str) -> str:
    return codes.send_code(fund, phone, PURPOSE).phone


def verify(fund: Fund, phone: str, typed: str) -> None:
    """Spend the code, then remember the number's hash (never the number) in the session."""
    phone = codes.check_code(fund, phone, PURPOSE, typed)
    session[KEY] = {"phone": services.phone_hash(phone), "township": fund.township_id,
                    "until": (utcnow() + LASTS).timestamp()}


def forget() -> None:
    session.pop(KEY, None)
