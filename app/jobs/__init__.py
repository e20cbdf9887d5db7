"""Background jobs: long work (imports, annual receipts, print runs) off the request.

    from app import jobs

    @jobs.task("print_run", title=_l("Print run"), action="receipt.print")
    def print_run(job, params, progress):
        progress(0, total)          # as often as you like; it is throttled
        ...                         # work under the job's fund scope; flush, never commit
        return ("打印.pdf", "application/pdf", data)   # or jobs.Result(message, file), or None

    job = jobs.start("print_run", {"batch_id": 3}, user=current_user, detail="第 3 批")
    db.session.commit()             # the job is queued when this commits
    return redirect(url_for("jobs.show", job_id=job.id))

    @jobs.every_minute
    def close_due_motions(now): ...  # system scope, own transaction, committed after

See services.py for the rules and queue.py for the worker (``flask jobs worker``).
"""

from flask import Flask

from . import queue, services
from .services import File, JobFailed, Result, every_minute, start, task

__all__ = ["File", "JobFailed", "Result", "every_minute", "init_app", "start", "task"]


def init_app(app: Flask) -> None:
    """Build the app's queue, its tasks running the services' jobs and every-minute work."""
    queue.init_app(app, run_job=services.run, every_minute=services.run_every_minute)
