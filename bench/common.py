"""What every benchmark needs: an app on a fresh database (SQLite, or PostgreSQL as a
non-owner role under row-level security), and timings printed with a ratio to a baseline."""

import atexit
import os
import shutil
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path


def scratch(prefix: str) -> Path:
    """A new folder in the temporary directory, removed when this process exits (every run
    left its folders behind before)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


if "SHANLIN_VAR_DIR" not in os.environ:
    os.environ["SHANLIN_VAR_DIR"] = str(scratch("shanlin-bench-"))

from flask import render_template_string  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.roles import PUBLIC  # noqa: E402
from app.demo.data import build  # noqa: E402
from app.extensions import db  # noqa: E402
from app.funds import services as funds  # noqa: E402
from app.funds.models import Township  # noqa: E402
from tenants import SYSTEM, using  # noqa: E402
from tenants.access import open_access  # noqa: E402

N = int(os.environ.get("BENCH_N", "200"))
# A PostgreSQL database with the demo already in it (migrated and loaded with this code, and
# SHANLIN_VAR_DIR holding its data key and files), copied instead of migrating and loading
# anew: the tests' own template, for their small runs of make load (tests/test_load.py).
TEMPLATE = os.environ.get("BENCH_TEMPLATE", "")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CONFIG = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "DEMO_DONATIONS_PER_FUND": 200}
PLAIN = """<!doctype html><html><body><table>
{% for i in rows %}<tr><td>{{ i }}</td><td>第{{ i }}行</td><td>{{ i * 100 }}</td></tr>{% endfor %}
</table></body></html>"""


def postgres_reachable() -> bool:
    try:
        create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3}).connect().close()
    except Exception:
        return False
    return True


def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def _url(database: str, user: str) -> str:
    head, _, _ = PG_ADMIN_URL.rpartition("/")
    return head.replace("postgres@", f"{user}@", 1) + f"/{database}"


@contextmanager
def bench_app(kind: str, overrides: dict | None = None):
    """An app on a new, migrated, empty database; dropped afterwards. On PostgreSQL the app
    connects as a role named like the database, owning nothing (row-level security applies);
    MIGRATION_DATABASE_URL in its config is the owner."""
    name = f"shanlin_bench_{uuid.uuid4().hex[:8]}"
    config = {**CONFIG, **(overrides or {})}
    if kind == "sqlite":
        path = Path(os.environ["SHANLIN_VAR_DIR"]) / f"{name}.db"
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            upgrade()
        yield app
        return
    from tenants.rls import grant_app_role

    _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if TEMPLATE else ""))
    owner = _url(name, "postgres")
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": _url(name, name),
                      "MIGRATION_DATABASE_URL": owner})
    try:
        with app.app_context():
            if not TEMPLATE:
                upgrade()
            engine = create_engine(owner)
            with engine.begin() as connection:
                grant_app_role(connection, name)
            engine.dispose()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"DROP ROLE IF EXISTS {name}")


@contextmanager
def loading(app):
    """An app context for loading data in bulk: on PostgreSQL as the tables' owner, so that
    ANALYZE afterwards can give the planner statistics (the app's role may not)."""
    owner_url = app.config.get("MIGRATION_DATABASE_URL")
    loader = create_app({**CONFIG, **_loading_config(app), "SQLALCHEMY_DATABASE_URI": owner_url}) \
        if owner_url else app
    with loader.app_context():
        yield
        if owner_url:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()


def _loading_config(app) -> dict:
    """What the loading app must share with the app: the demo's sizes and password."""
    return {k: app.config[k] for k in ("DEMO_PASSWORD", "DEMO_DONATIONS_PER_FUND",
                                       "DEMO_RECEIPTS_PER_FUND", "PASSWORD_HASH_METHOD")}


def demo(password: str) -> None:
    """Inside loading(app) and the system scope: the demo data, unless the database was
    copied from a TEMPLATE that holds it."""
    if not TEMPLATE:
        build(password)
        db.session.commit()


def demo_and_new_fund(password: str) -> int:
    """Inside loading(app): the demo data and one more fund of 芦湾镇, 大桥村 (daqiaocun), for
    a benchmark to fill. Returns the new fund's id."""
    with using(SYSTEM):
        demo(password)
        luwan = db.session.scalar(select(Township).where(Township.slug == "luwan"))
        fund = funds.create_fund(luwan, "大桥村社区慈善基金", host_charity="苏州市慈善总会",
                                 receipt_prefix="DQC", village="大桥村", slug="daqiaocun")
        db.session.commit()
        return fund.id


def add_plain_page(app) -> str:
    @app.route("/bench/plain")
    @open_access(PUBLIC)
    def plain():
        return render_template_string(PLAIN, rows=range(50))

    return "/bench/plain"


def time_requests(client, path: str, n: int = N, before=None) -> list[float]:
    """Timings of n GETs after a warm-up; ``before()`` runs ahead of each, untimed."""
    for _ in range(5):  # warm up
        client.get(path)
    spent = []
    for _ in range(n):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return spent


def summary(spent: list[float]) -> tuple[float, float]:
    return statistics.median(spent), statistics.quantiles(spent, n=20)[-1]


def print_row(label: str, spent: list[float], baseline: float | None = None) -> float:
    p50, p95 = summary(spent)
    ratio = f"{p50 / baseline:>10.1f}" if baseline else f"{'1.0':>10}"
    print(f"  {label:<58}{p50:>9.2f}{p95:>9.2f}{ratio}", flush=True)
    return p50


def print_header(title: str) -> None:
    print(f"\n{title}\n  {'':<58}{'p50 ms':>9}{'p95 ms':>9}{'× base':>10}", flush=True)
