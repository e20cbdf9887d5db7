"""The huey queue behind background jobs: one instance per app, built from its config.

SqliteHuey in ``HUEY_FILE`` (var/huey.db) by default; RedisHuey when ``HUEY_URL`` (or
``REDIS_URL``) is set; with ``HUEY_IMMEDIATE`` a job runs at once in the process that queued
it (tests). Two tasks are registered on it: ``run_job`` runs one job and ``every_minute`` calls
the callables registered with ``app.jobs.every_minute``. Both run inside an app context.
``create_app`` builds it (``app.jobs.init_app``) before anything registers tasks of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab

EXTENSION = "shanlin_jobs"
log = logging.getLogger(__name__)


class Queue:
    def __init__(self, app: Flask, run_job: Callable[[int, str], None],
                 every_minute: Callable[[], None]):
        config = app.config
        options = {"name": config["HUEY_NAME"], "results": False,
                   "immediate": bool(config["HUEY_IMMEDIATE"])}
        if config.get("HUEY_URL"):
            self.huey = RedisHuey(url=config["HUEY_URL"], **options)
        else:
            config["HUEY_FILE"].parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(filename=str(config["HUEY_FILE"]), **options)

        @self.huey.task(name="run_job")
        def run_job_task(job_id: int, key: str) -> None:
            with app.app_context():
                run_job(job_id, key)

        @self.huey.periodic_task(crontab(), name="every_minute")
        def every_minute_task() -> None:
            with app.app_context():
                every_minute()

        self.run_job = run_job_task
        self.every_minute = every_minute_task


def init_app(app: Flask, run_job: Callable[[int, str], None],
             every_minute: Callable[[], None]) -> None:
    """Build the app's queue; ``run_job`` and ``every_minute`` are what its two tasks call
    (app/jobs/__init__.py passes the services', so this module needs none of them)."""
    app.extensions[EXTENSION] = Queue(app, run_job, every_minute)


def get(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions[EXTENSION]


def enqueue(job_id: int, key: str) -> None:
    get().run_job(job_id, key)


def _progress_key(job_id: int, key: str) -> str:
    return f"progress:{job_id}:{key}"


def write_progress(job_id: int, key: str, report: tuple[int, int, str]) -> None:
    get().huey.put(_progress_key(job_id, key), report)


def read_progress(job_id: int, key: str) -> tuple[int, int, str] | None:
    return get().huey.get(_progress_key(job_id, key), peek=True)


def clear_progress(job_id: int, key: str) -> None:
    get().huey.delete(_progress_key(job_id, key))


def _beat_key(job_id: int, key: str) -> str:
    return f"beat:{job_id}:{key}"


def last_beat(job_id: int, key: str) -> float | None:
    """When the job's worker last said it is alive (seconds since the epoch), if it did."""
    return get().huey.get(_beat_key(job_id, key), peek=True)


class Heartbeat:
    """While a job runs, a daemon thread of its worker writes the time to the queue's storage
    every few seconds. It dies with the process, also under kill -9: a beat that stops is how
    the others learn that the job lost its worker (services.take_over_stalled)."""

    def __init__(self, job_id: int, key: str, every: float):
        self.huey = get().huey
        self.name = _beat_key(job_id, key)
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"job-{job_id}-heartbeat")

    def __enter__(self) -> Heartbeat:
        self.huey.put(self.name, time.time())
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.huey.delete(self.name)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.huey.put(self.name, time.time())
            except Exception:  # a storage hiccup: the next beat tries again
                log.exception("heartbeat %s not written", self.name)


def consume(app: Flask, workers: int = 2, periodic: bool = True) -> None:
    """Run huey's consumer in this process until it is stopped (SIGINT/SIGTERM)."""
    huey = get(app).huey
    huey.immediate = False
    huey.create_consumer(workers=workers, periodic=periodic, worker_type="thread").run()


class ThreadWorker:
    """A consumer in a background thread of this process, for tests and the benchmark: it
    takes tasks off the same queue and runs them as the real consumer does."""

    def __init__(self, app: Flask, poll: float = 0.05):
        self.huey = get(app).huey
        self.poll = poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="jobs-worker")

    def __enter__(self) -> ThreadWorker:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            task = self.huey.dequeue()
            if task is None:
                self._stop.wait(self.poll)
                continue
            try:
                self.huey.execute(task)
            except Exception:  # huey logs it; a test sees the job marked failed
                log.exception("task %s failed", task)
