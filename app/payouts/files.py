"""Evidence of spending and progress (invoices, photos, PDF): checked by content and size with
the same rules as the governance uploads, kept in var/payouts/<fund id>/, never in static/."""

import re
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.config import VAR_DIR
from app.extensions import db
from app.governance.uploads import MAX_BYTES, sniff
from app.validation import Invalid

from .models import Evidence

MAX_FILES = 6  # per payout or update
_NAME = re.compile(r"[A-Za-z0-9_-]{32}")


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "payouts" / str(fund_id)


def check(data: bytes, field: str = "files") -> str:
    """The file's type told by its content; raises Invalid naming ``field`` if refused."""
    if not data:
        raise Invalid({field: _l("Choose a file.")})
    if len(data) > MAX_BYTES:
        raise Invalid({field: _l("The file is larger than 5 MB.")})
    content_type = sniff(data)
    if content_type is None:
        raise Invalid({field: _l("Only photos (JPEG, PNG) and PDF files can be attached.")})
    return content_type


def save(fund_id: int, data: bytes, filename: str, user, *, payout_id=None, update_id=None,
         kind: str | None = None, field: str = "files") -> Evidence:
    content_type = check(data, field)
    kind = kind or ("photo" if content_type.startswith("image/") else "document")
    stored = secrets.token_urlsafe(24)
    folder = _folder(fund_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    evidence = Evidence(fund_id=fund_id, payout_id=payout_id, update_id=update_id, kind=kind,
                        filename=(filename or "file")[-200:], content_type=content_type,
                        size=len(data), stored_name=stored,
                        uploaded_by_id=user.id if user else None)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def read_uploads(file_storages, field: str = "files") -> list[tuple[bytes, str]]:
    """Every chosen file of a multi-file input, read and checked before anything is kept."""
    chosen = [f for f in (file_storages or []) if f and getattr(f, "filename", "")]
    if len(chosen) > MAX_FILES:
        raise Invalid({field: _l("Attach at most %(n)d files at once.", n=MAX_FILES)})
    files = []
    for storage in chosen:
        data = storage.read(MAX_BYTES + 1)
        check(data, field)
        files.append((data, storage.filename))
    return files


def read(evidence: Evidence) -> bytes | None:
    if not _NAME.fullmatch(evidence.stored_name):
        return None
    path = _folder(evidence.fund_id) / evidence.stored_name
    return path.read_bytes() if path.is_file() else None
