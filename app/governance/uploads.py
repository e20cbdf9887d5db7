"""Uploaded photos, quotes and minutes: checked by their content, kept outside static/.

Files live in var/governance/<fund id>/<random name>; the Attachment row says what they are.
They are served only through fund-scoped views, so another fund's file is never reachable.
"""

import re
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.config import VAR_DIR
from app.extensions import db
from app.validation import Invalid

from .models import Attachment

MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES = [(b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"%PDF-", "application/pdf")]
_NAME = re.compile(r"[A-Za-z0-9_-]{32}")


def sniff(data: bytes) -> str | None:
    """The type told by the file's first bytes (never by its name): JPEG, PNG or PDF."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "governance" / str(fund_id)


def save(fund_id: int, data: bytes, filename: str, kind: str, user, *, proposal_id=None,
         motion_id=None, field: str = "file") -> Attachment:
    """Check and keep an upload; raises Invalid naming ``field`` when it is refused."""
    if not data:
        raise Invalid({field: _l("Choose a file.")})
    if len(data) > MAX_BYTES:
        raise Invalid({field: _l("The file is larger than 5 MB.")})
    content_type = sniff(data)
    if content_type is None:
        raise Invalid({field: _l("Only photos (JPEG, PNG) and PDF files can be attached.")})
    stored = secrets.token_urlsafe(24)
    folder = _folder(fund_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    attachment = Attachment(fund_id=fund_id, proposal_id=proposal_id, motion_id=motion_id,
                            kind=kind, filename=(filename or "file")[-200:],
                            content_type=content_type, size=len(data), stored_name=stored,
                            uploaded_by_id=user.id if user else None)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def read(attachment: Attachment) -> bytes | None:
    if not _NAME.fullmatch(attachment.stored_name):
        return None
    path = _folder(attachment.fund_id) / attachment.stored_name
    return path.read_bytes() if path.is_file() else None


def from_form(file_storage, fund_id: int, kind: str, user, **kw) -> Attachment:
    """A FileStorage from a form: read one byte more than allowed to know it is too big."""
    data = file_storage.read(MAX_BYTES + 1) if file_storage else b""
    return save(fund_id, data, getattr(file_storage, "filename", "") or "", kind, user, **kw)
