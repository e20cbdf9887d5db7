"""flask jobs worker: run the background-job consumer next to the web server."""

import click
from flask import Blueprint, current_app

from . import queue

bp = Blueprint("jobs_cli", __name__, cli_group="jobs")


@bp.cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time.")
def worker(workers: int):
    """Run queued jobs and the every-minute tasks until stopped (Ctrl-C)."""
    app = current_app._get_current_object()
    click.echo(f"Jobs worker: {workers} thread(s), queue {_where(app)}.")
    queue.consume(app, workers=workers)


def _where(app) -> str:
    url = app.config.get("HUEY_URL")
    if url:
        return url.rsplit("@", 1)[-1]  # never print a password
    return str(app.config["HUEY_FILE"])
