"""A background job of a fund: what it is doing, how far it got, and the file it made."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import Code
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from tenants.model import FundOwned


class JobStatus(Code):
    QUEUED = "queued", _l("Waiting")
    RUNNING = "running", _l("Running")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Failed")


QUEUED, RUNNING, DONE, FAILED = JobStatus  # the names the queue's code reads best with


class Job(FundOwned, db.Model):
    __fund_args__ = (
        JobStatus.check("status"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    # What this run is about, e.g. the imported file's name; the kind gives the title.
    detail: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Sent with the queued task: a worker holding a stale task for another database finds no
    # job with this id and key, and drops it.
    key: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # for the person who started it
    error: Mapped[str] = mapped_column(Text, default="")  # for support: what went wrong
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How often the job was queued again because the worker running it died (services.py).
    restarts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The file the job made, kept under JOBS_DIR/<fund_id>/<file_key>.
    file_key: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)

    started_by = relationship("User", foreign_keys=[started_by_id])

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)
