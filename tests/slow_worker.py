"""The app as `flask jobs worker` runs it, with each annual receipt slowed down (SLOW_SECONDS),
so that a test can kill the worker in the middle of a job (tests/test_jobs.py)."""

import os
import time

from app import create_app
from app.receipts import services

_issue_annual = services.issue_annual


def _slowly(*args, **kwargs):
    time.sleep(float(os.environ["SLOW_SECONDS"]))
    return _issue_annual(*args, **kwargs)


services.issue_annual = _slowly
app = create_app()
