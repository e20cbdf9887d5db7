"""gunicorn on 127.0.0.1 for the benchmarks that go through real HTTP (make bench's wrk
figures, make load): a free port, the app from bench/wsgi.py, its own process group, always
stopped afterwards; and wrk's req/s."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK = os.environ.get("WRK", "/usr/bin/wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(app, var_dir: str, **extra: str) -> dict:
    """The environment gunicorn's app reads (app/config.py): the loading app's database and
    data key (the sealed columns it wrote must open), plain http, its own var/ folder and job
    queue file, no Redis."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "HUEY_URL", "MIGRATION_DATABASE_URL")}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               DATA_KEY=app.config["DATA_KEY"], SHANLIN_VAR_DIR=var_dir, SESSION_COOKIE_SECURE="0",
               SECRET_KEY="bench-" + os.urandom(8).hex(), HUEY_FILE=f"{var_dir}/huey.db",
               PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def stop(process: subprocess.Popen) -> None:
    """TERM the whole process group (the arbiter and its workers), KILL what is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def gunicorn(env: dict, *, workers: int = 2, worker_class: str = "sync", threads: int = 1,
             app: str = "bench.wsgi:app", port: int | None = None):
    """Serve ``app`` with these settings (on ``port``, else a free one: known beforehand when
    the app must name its own address); yields the base URL once /healthz answers."""
    port = port or free_port()
    command = [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", worker_class,
               "--threads", str(threads), "--timeout", "60", "--chdir", str(ROOT)]
    base = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="shanlin-gunicorn-", suffix=".log") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            _wait_ready(process, base, Path(log.name), workers)
            yield base
        finally:
            stop(process)


def _wait_ready(process: subprocess.Popen, base: str, log: Path, workers: int) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-3000:]}")
        time.sleep(0.3)
    # Every worker imports the app on its own; ask a few times so each has answered once.
    for _ in range(4 * workers):
        urllib.request.urlopen(base + "/healthz", timeout=10).close()


def wrk(url: str, *, seconds: int = 10, threads: int = 2, connections: int = 16) -> dict:
    """req/s and the non-2xx count of one wrk run on loopback."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("wrk only on 127.0.0.1")
    out = subprocess.run([WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          url], capture_output=True, text=True, check=True, timeout=seconds + 60
                         ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    return {"rps": rate, "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1).strip() if errors else "",
            "p50": p50.group(1) if p50 else "?", "p99": p99.group(1) if p99 else "?"}
