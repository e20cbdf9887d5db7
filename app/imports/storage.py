"""Where an uploaded file waits between its preview and its commit.

In the instance's var/ folder, never under static/: the file holds donors' names and phone
numbers. Each fund has its own folder and each upload an unguessable token, so a token is
only found under the fund it was made in. Uploads nobody commits are removed after a day.
"""

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from app.config import VAR_DIR

KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _fund_folder(fund_id: int) -> Path:
    return VAR_DIR / "imports" / str(fund_id)


def _folder(fund_id: int, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token or ""):
        return None  # nothing like "../x" ever reaches the file system
    return _fund_folder(fund_id) / token


def save(fund_id: int, data: bytes, meta: dict) -> str:
    """Keep the file and what the form said about it; returns the token."""
    _sweep(_fund_folder(fund_id))
    token = secrets.token_urlsafe(24)
    folder = _folder(fund_id, token)
    folder.mkdir(mode=0o700, parents=True)
    (folder / "upload").write_bytes(data)
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def claim(fund_id: int, token: str) -> tuple[bytes, dict] | None:
    """Take the upload to commit it: the file and its meta, or None when this fund has no
    such upload. Renaming is atomic, so of two clicks on the button only one gets it."""
    folder = _folder(fund_id, token)
    if folder is None:
        return None
    try:
        if folder.stat().st_mtime < time.time() - KEEP_SECONDS:
            return None
        folder.rename(_busy(folder))
    except FileNotFoundError:  # never made, committed, or being committed right now
        return None
    busy = _busy(folder)
    return (busy / "upload").read_bytes(), json.loads((busy / "meta.json").read_text())


def claimed(fund_id: int, token: str) -> tuple[bytes, dict] | None:
    """The upload a background job is committing (claimed by the request that started it)."""
    folder = _folder(fund_id, token)
    if folder is None or not _busy(folder).is_dir():
        return None
    busy = _busy(folder)
    return (busy / "upload").read_bytes(), json.loads((busy / "meta.json").read_text())


def is_busy(fund_id: int, token: str) -> bool:
    folder = _folder(fund_id, token)
    return folder is not None and _busy(folder).is_dir()


def release(fund_id: int, token: str) -> None:
    """Nothing was recorded: the upload may be committed again."""
    if folder := _folder(fund_id, token):
        _busy(folder).rename(folder)


def discard(fund_id: int, token: str) -> None:
    if folder := _folder(fund_id, token):
        shutil.rmtree(_busy(folder), ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def _busy(folder: Path) -> Path:
    return folder.with_name(folder.name + ".busy")


def _sweep(fund_folder: Path) -> None:
    if not fund_folder.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for folder in fund_folder.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
