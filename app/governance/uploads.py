"""Uploaded photos, quotes and minutes: checked by their content, kept outside static/.

Files live in var/governance/<fund id>/<random name>; the Attachment row says what they are.
They are served only through fund-scoped views, so another fund's file is never reachable.
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from app import uploads as files
from app.config import VAR_DIR
from app.extensions import db
from app.validation import Invalid

from .models import Attachment, FileKind


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "governance" / str(fund_id)


def save(fund_id: int, data: bytes, filename: str, kind: str, user, *, proposal_id=None,
         motion_id=None, field: str = "file") -> Attachment:
    """Check and keep an upload; raises Invalid naming ``field`` when it is refused."""
    if kind not in FileKind.values():  # a posted value outside the form's choices
        raise Invalid({"kind": _l("Choose what the file is.")})
    content_type = files.check(data, field)
    stored = files.store(_folder(fund_id), data)
    attachment = Attachment(fund_id=fund_id, proposal_id=proposal_id, motion_id=motion_id,
                            kind=kind, filename=files.label(filename),
                            content_type=content_type, size=len(data), stored_name=stored,
                            uploaded_by_id=user.id if user else None)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def read(attachment: Attachment) -> bytes | None:
    return files.load(_folder(attachment.fund_id), attachment.stored_name)


def from_form(file_storage, fund_id: int, kind: str, user, **kw) -> Attachment:
    """A FileStorage from a form: read one byte more than allowed to know it is too big."""
    return save(fund_id, files.read(file_storage), getattr(file_storage, "filename", "") or "",
                kind, user, **kw)
