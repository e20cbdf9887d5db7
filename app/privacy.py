"""The private data of the people a fund helps (beneficiaries, wish recipients, volunteers):
sealed at rest, looked up by a keyed hash, checked on entry and masked wherever the public sees it.

A copy of the database (a backup, a laptop, a support dump) shows ciphertext; the key lives in
the environment (DATA_KEY, app/config.py), apart from the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from app.validation import Invalid

_PREFIX = "v1:"  # the format of a sealed value, so that a new cipher can follow it


def _key() -> bytes:
    key = base64.urlsafe_b64decode(current_app.config["DATA_KEY"])
    if len(key) != 32:
        raise RuntimeError("DATA_KEY must be 32 bytes in urlsafe base64")
    return key


def seal(value: str, purpose: str) -> str:
    """AES-GCM with a fresh nonce; `purpose` (the column) is bound in as associated data, so a
    sealed name copied into an ID number's column does not open."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, value.encode(), purpose.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(value: str, purpose: str) -> str:
    if not value.startswith(_PREFIX):
        raise ValueError("not a sealed value")
    raw = base64.urlsafe_b64decode(value[len(_PREFIX):])
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()


class Sealed(TypeDecorator):
    """A text column stored sealed: Python code reads and writes plain text; the database holds
    only ciphertext. It cannot be searched or sorted by SQL: keep a `lookup_hash` beside it
    when rows must be found by the value. The audit trail leaves such columns out
    (app/audit/recording.py)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value, self.purpose)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value, self.purpose)


def lookup_hash(value: str, purpose: str) -> str:
    """A keyed hash (HMAC-SHA256 under a key derived from DATA_KEY) to find a row by a sealed
    value, e.g. a volunteer by ID number, without a table of hashes of every possible number
    being of any use to whoever copies the database."""
    key = hmac.new(_key(), b"lookup:" + purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def clean_id_number(value: str, field: str = "id_number") -> str:
    """A resident ID number (居民身份证号码) as 18 characters, its region, birth date and check
    digit verified; Invalid beside `field` otherwise."""
    try:
        return ric.validate(re.sub(r"\s", "", value or "").upper())
    except ValidationError:
        raise Invalid({field: _l("This is not a valid resident ID number (18 characters; the "
                                 "last one is a check digit, 0-9 or X).")}) from None


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*, Li Lei -> L*i: enough to recognise, not to identify."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * min(len(name) - 2, 6) + name[-1]


def mask_surname(name: str) -> str:
    """王秀英 -> 王*: what a public wall shows of a person helped."""
    name = name.strip()
    return name[:1] + "*" if name else ""


def mask_id_number(value: str) -> str:
    """320584199001011234 -> 3205**********1234."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
