"""make load's giving surge, small: a few donors paying through the WeChat Pay and Alipay
fakes to the demo campaign while readers refresh its page, on gunicorn and PostgreSQL; then
its checks (no 5xx, every notification booked once, the match within its caps, the ledger
equal to the fakes' records). bench.surge runs in its own process, locust in another."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DB_KIND, PG_ADMIN_URL, template_demo

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(DB_KIND != "postgresql", reason="needs PostgreSQL"),
]
ROOT = Path(__file__).resolve().parent.parent


def test_a_small_giving_surge_keeps_every_invariant(tmp_path, database):
    env = {
        **os.environ,
        "TEST_POSTGRES_URL": PG_ADMIN_URL,
        "SURGE_DONORS": "24",
        "SURGE_SECONDS": "10",
        "SURGE_READERS": "8",
        "SURGE_WORKERS": "2",
        **template_demo(database, tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench.surge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout
    for check in (
        "no 5xx response",
        "no exception in a user's task",
        "every payment at the fakes booked once",
        "no notification left waiting",
        "each notification sent again",
        "the ledger's online gifts per fund equal the fakes' records",
        "the match within its caps",
        "each fund's ledger balance equals",
    ):
        assert f"PASS  {check}" in out, out[-4000:]
    assert "24 payments" in out
    assert "order (WeChat Pay)" in out and "pay + notification (Alipay)" in out
