"""Starting background jobs and running them: the job's row, its progress, its file.

A feature registers what a kind of job does with ``@task(kind, title=...)`` and starts one with
``start(kind, params)``. The job is queued when the caller's transaction commits (so a worker
never looks for a row that is not there yet, and a rolled-back request starts nothing) and a
huey worker runs it (app/jobs/queue.py) under the job's fund scope and the starter's language.

The task body runs in one transaction, committed together with the job's "done" status, and
rolled back if it raises: a failed job leaves none of its own business rows behind. Progress
cannot be committed into the database meanwhile (SQLite lets one connection write at a time,
and the body holds that lock until it ends), so it goes to the queue's own storage (huey's
SQLite file or Redis), where the progress page reads it; so does the heartbeat that tells the
other workers this job's worker is alive (``take_over_stalled`` queues a job again when it
stops).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.auth.policy import may
from app.database import on_commit
from app.db_types import utcnow
from app.extensions import db
from app.uploads import new_name, stored_path
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from . import queue
from .models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)

UNEXPECTED = _l("The job stopped because of an unexpected error. Nothing it did was kept. "
                "Try again; if it happens again, tell the platform's support.")
MAX_RESTARTS = 3
STOPPED = _l("Interrupted: the program running it ended unexpectedly several times. Run it "
             "again; if it stops again, tell the platform's support.")


class JobFailed(Exception):
    """Raised by a task to stop with a message for the person who started the job."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class File:
    name: str  # the download's file name; Chinese is fine
    content_type: str
    data: bytes


@dataclass
class Result:
    message: str = ""  # shown on the job's page when it is done
    file: File | None = None


@dataclass(frozen=True)
class Kind:
    name: str
    title: object  # a lazy string: the page shows it in the reader's language
    func: Callable
    action: str  # who may start it (app/auth/policy.py), and so run it again


_KINDS: dict[str, Kind] = {}
_MINUTELY: list[Callable[[datetime], object]] = []


def task(kind: str, title, action: str):
    """Register what a kind of job does: ``func(job, params, progress)``, returning None, a
    Result, or a (filename, content_type, bytes) tuple for a file to download. ``action`` is
    the policy action of the people who start it."""

    def register(func):
        _KINDS[kind] = Kind(kind, title, func, action)
        return func

    return register


def every_minute(func):
    """Register ``func(now)`` to be called once a minute by the worker, under the system
    scope, in a transaction of its own that is committed when it returns."""
    if func not in _MINUTELY:
        _MINUTELY.append(func)
    return func


def title_of(job: Job):
    kind = _KINDS.get(job.kind)
    return kind.title if kind else job.kind


def start(kind: str, params: dict | None = None, *, user=None, detail: str = "") -> Job:
    """A new job of the current fund, queued when the caller commits. Flushes only."""
    if kind not in _KINDS:
        raise KeyError(f"no job task registered for {kind!r}")
    job = Job(kind=kind, params=params or {}, detail=detail[:200], key=secrets.token_hex(16),
              locale=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
              started_by_id=getattr(user, "id", None), status=QUEUED)
    db.session.add(job)
    db.session.flush()
    on_commit(partial(queue.enqueue, job.id, job.key))
    return job


def may_run_again(job: Job) -> bool:
    """A job that failed (a worker died with it too often, or the work itself refused) may be
    run again by whoever may start its kind: the work is idempotent (annual receipts skip the
    donors already receipted; the others keep nothing until they end)."""
    kind = _KINDS.get(job.kind)
    return job.status == FAILED and kind is not None and may(kind.action)


def run_again(job: Job, user) -> Job:
    """A new job with the same work; the failed one stays on the list as it ended."""
    if not may_run_again(job):
        raise Invalid({"job": _l("Only a failed job can be run again.")})
    return start(job.kind, dict(job.params), user=user, detail=job.detail)


def recent(limit: int = 50) -> list[Job]:
    return list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)))


@dataclass
class Shown:
    """How far a job is, for its page: the row's figures, or the worker's latest report."""

    done: int
    total: int
    message: str

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0


def shown(job: Job) -> Shown:
    # Read, never written back: the page must not wait for the write lock the job holds.
    if job.status == RUNNING and (reported := queue.read_progress(job.id, job.key)):
        return Shown(*reported)
    if job.status == DONE:
        return Shown(job.total or 1, job.total or 1, job.message)
    return Shown(job.done, job.total, job.message)


class Progress:
    """What a task calls to report how far it got: ``progress(done, total, message="")``."""

    INTERVAL = 0.5  # seconds between reports that reach the storage

    def __init__(self, job: Job):
        self.job_id, self.key = job.id, job.key
        self.done, self.total, self.message = 0, 0, ""
        self._sent = 0.0

    def __call__(self, done: int, total: int | None = None, message="") -> None:
        message = str(message)
        changed = message != self.message
        self.done, self.message = done, message
        if total is not None:
            self.total = total
        now = time.monotonic()
        # Thousands of rows a second would flood the storage: a report reaches it at most
        # every INTERVAL, unless it says something new or is the last one.
        if changed or now - self._sent >= self.INTERVAL or (self.total and done >= self.total):
            self._sent = now
            queue.write_progress(self.job_id, self.key, (self.done, self.total, self.message))


def run(job_id: int, key: str) -> None:
    """Run one queued job to the end: done with its file, or failed with a message."""
    with using(SYSTEM):
        fund_id = db.session.scalar(select(Job.fund_id).where(Job.id == job_id,
                                                              Job.key == key))
        db.session.rollback()
    if fund_id is None:  # a task left in the queue for another database
        log.warning("job %s not found: task dropped", job_id)
        return
    with using(fund_scope(fund_id)):
        # One UPDATE claims the job: of two workers handed the same task, one runs it.
        claimed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.key == key, Job.status == QUEUED)
            .values(status=RUNNING, started_at=utcnow())).rowcount
        db.session.commit()
        if not claimed:
            return  # delivered twice; it ran or is running
        locale = db.session.get(Job, job_id).locale
        beat = current_app.config["JOBS_HEARTBEAT_SECONDS"]
        with queue.Heartbeat(job_id, key, beat), force_locale(locale):
            _run_body(job_id, key)


def _run_body(job_id: int, key: str) -> None:
    job = db.session.get(Job, job_id)
    progress = Progress(job)
    stored: Path | None = None
    try:
        kind = _KINDS.get(job.kind)
        if kind is None:
            raise JobFailed(_l("This kind of job is no longer known."))
        result = _result(kind.func(job, dict(job.params or {}), progress))
        db.session.flush()
        if result.file is not None:
            stored = _store(job, result.file)
        job.status, job.finished_at = DONE, utcnow()
        job.done = progress.done if progress.total else job.done
        job.total = progress.total or job.total
        job.message = str(result.message or "")
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        if stored is not None:
            stored.unlink(missing_ok=True)
        _fail(job_id, error, progress)
        if not isinstance(error, JobFailed | Invalid):
            log.exception("job %s (%s) failed", job_id, key)
    finally:
        queue.clear_progress(job_id, key)


def _result(value) -> Result:
    if value is None:
        return Result()
    if isinstance(value, Result):
        return value
    if isinstance(value, File):
        return Result(file=value)
    name, content_type, data = value
    return Result(file=File(name, content_type, data))


def _fail(job_id: int, error: Exception, progress: Progress) -> None:
    job = db.session.get(Job, job_id)
    if isinstance(error, JobFailed):
        job.message = str(error.message)
    elif isinstance(error, Invalid):
        job.message = " ".join(str(message) for message in error.errors.values())
    else:
        job.message = str(UNEXPECTED)
    job.error = "".join(traceback.format_exception(error))[-20000:]
    job.status, job.finished_at = FAILED, utcnow()
    job.done, job.total = progress.done, progress.total or job.total
    db.session.commit()


def folder(fund_id: int) -> Path:
    return Path(current_app.config["JOBS_DIR"]) / str(fund_id)


def file_path(job: Job) -> Path | None:
    return stored_path(folder(job.fund_id), job.file_key)


def _store(job: Job, file: File) -> Path:
    """Write the file beside the fund's other job files, never under static/."""
    data = bytes(file.data)
    job.file_key = new_name()
    job.file_name = file.name[:200]
    job.file_type = file.content_type
    job.file_size = len(data)
    job.file_sha256 = hashlib.sha256(data).hexdigest()
    path = file_path(job)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.rename(path)
    return path


@every_minute
def take_over_stalled(now: datetime) -> int:
    """Queue again each running job whose worker stopped beating (killed, out of memory, the
    machine restarted): a worker was given the task and died with it, so no one else would
    ever run it. Every task may run again: annual receipts skip the donors already receipted,
    the others keep nothing until they end. A job that stopped its worker MAX_RESTARTS times
    fails instead, so it cannot take down every worker in turn."""
    stale = current_app.config["JOBS_STALE_SECONDS"]
    taken = 0
    for job in db.session.scalars(select(Job).where(Job.status == RUNNING)).all():
        started = job.started_at.timestamp() if job.started_at else 0.0
        if now.timestamp() - max(queue.last_beat(job.id, job.key) or 0.0, started) > stale:
            taken += _take_over(job, now)
    return taken


def _take_over(job: Job, now: datetime) -> int:
    """One UPDATE decides, so two workers taking over at once queue the job once."""
    if job.restarts >= MAX_RESTARTS:
        with force_locale(job.locale):
            values = {"status": FAILED, "finished_at": now, "message": str(STOPPED)}
    else:
        values = {"status": QUEUED, "restarts": Job.restarts + 1}
    taken = db.session.execute(update(Job).where(
        Job.id == job.id, Job.status == RUNNING, Job.restarts == job.restarts)
        .values(**values)).rowcount
    if taken and values["status"] == QUEUED:
        on_commit(partial(queue.enqueue, job.id, job.key))
    if taken:
        log.warning("job %s lost its worker: %s", job.id, values["status"])
    return taken


def run_every_minute(now: datetime | None = None) -> None:
    """Call every registered callable; one failing does not keep the others from running."""
    now = now or utcnow()
    for func in list(_MINUTELY):
        try:
            with using(SYSTEM):
                func(now)
                db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("every-minute task %s failed", getattr(func, "__name__", func))
