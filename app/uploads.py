"""Uploaded files: judged by their bytes, never by their name or the browser's word; kept
outside static/ under names the app makes; served so that a browser never runs them.

Governance attachments, payout evidence and the receipt seal use these rules; imports have
their own reader (a CSV or .xlsx is judged by parsing it).
"""

import io
import re
import secrets
import warnings
from pathlib import Path

from flask import make_response
from flask_babel import lazy_gettext as _l

from app.validation import Invalid

MAX_BYTES = 5 * 1024 * 1024
JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
PHOTO_OR_PDF = frozenset({JPEG, PNG, PDF})
_SIGNATURES = [(b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF)]
_NAME = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_name() makes: nothing like "../x" or "/etc"
# A served upload may be shown, never run: no script, no plugin, no form, not in a frame.
SANDBOX = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def sniff(data: bytes) -> str | None:
    """The type told by the file's first bytes (never by its name): JPEG, PNG or PDF."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def _is_image(data: bytes) -> bool:
    """A photo must decode as one: a PNG header before a page of HTML is not a photo."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Exception:  # Pillow raises many kinds for a broken or hostile file
        return False
    return True


def check(data: bytes, field: str, *, allowed=PHOTO_OR_PDF, max_bytes: int = MAX_BYTES,
          too_big=None, wrong_type=None) -> str:
    """The content type of an acceptable upload; raises Invalid naming ``field`` otherwise."""
    if not data:
        raise Invalid({field: _l("Choose a file.")})
    if len(data) > max_bytes:
        raise Invalid({field: too_big or _l("The file is larger than 5 MB.")})
    content_type = sniff(data)
    if content_type not in allowed or (content_type != PDF and not _is_image(data)):
        raise Invalid({field: wrong_type or
                       _l("Only photos (JPEG, PNG) and PDF files can be attached.")})
    return content_type


def read(file_storage, max_bytes: int = MAX_BYTES) -> bytes:
    """A form's file, read one byte past the limit so check() knows it is too big."""
    return file_storage.read(max_bytes + 1) if file_storage else b""


def new_name() -> str:
    """A random name for a stored file (uploads here, job files in app.jobs)."""
    return secrets.token_urlsafe(24)


def stored_path(folder: Path, name: str | None) -> Path | None:
    """Where the file of that name lives in ``folder``; None for a name new_name() cannot
    have made, so a tampered row never leads out of the folder."""
    return folder / name if _NAME.fullmatch(name or "") else None


def store(folder: Path, data: bytes) -> str:
    """Write the bytes under a random name in ``folder``; the user's file name is never a
    path, only a label kept in the database."""
    name = new_name()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def load(folder: Path, name: str) -> bytes | None:
    path = stored_path(folder, name)
    return path.read_bytes() if path and path.is_file() else None


def file_response(data: bytes, content_type: str):
    """An upload sent back: shown inline as the type its bytes told, sandboxed."""
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def label(filename: str | None) -> str:
    """The user's file name as a label: no folders, no control characters, 200 at most."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if c.isprintable())  # drops bidi overrides too (Cf)
    return name.strip()[-200:] or "file"
