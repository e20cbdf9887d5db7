"""Evidence of spending and progress (invoices, photos, PDF): checked by content and size with
the same rules as the governance uploads, kept in var/payouts/<fund id>/, never in static/."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from app import uploads
from app.config import VAR_DIR
from app.extensions import db
from app.validation import Invalid

from .models import Evidence

MAX_FILES = 6  # per payout or update


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "payouts" / str(fund_id)


def check(data: bytes, field: str = "files") -> str:
    """The file's type told by its content; raises Invalid naming ``field`` if refused."""
    return uploads.check(data, field)


def save(fund_id: int, data: bytes, filename: str, user, *, payout_id=None, update_id=None,
         kind: str | None = None, field: str = "files") -> Evidence:
    content_type = check(data, field)
    kind = kind or ("photo" if content_type.startswith("image/") else "document")
    stored = uploads.store(_folder(fund_id), data)
    evidence = Evidence(fund_id=fund_id, payout_id=payout_id, update_id=update_id, kind=kind,
                        filename=uploads.label(filename), content_type=content_type,
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
        data = uploads.read(storage)
        check(data, field)
        files.append((data, storage.filename))
    return files


def read(evidence: Evidence) -> bytes | None:
    return uploads.load(_folder(evidence.fund_id), evidence.stored_name)
