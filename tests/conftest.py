"""Test fixtures: a migrated database with the demo data, cloned fresh for every test.

SHANLIN_TEST_DB=sqlite (default) or postgresql. On PostgreSQL the suite creates its own
databases and a login role that owns no table, and the app connects as that role, so
row-level security is in force exactly as in production.
"""

import atexit
import copy
import functools
import gc
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings as hypothesis_settings
from jinja2 import BytecodeCache

from . import template_cache

# Hypothesis draws the same examples on every run, so a failure in CI fails here too and a
# green run is not luck. HYPOTHESIS_PROFILE=explore draws new ones, to look for more.
# No deadline: with the suite spread over every core, a slow example is load, not a bug.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None,
                                     deadline=None)
hypothesis_settings.register_profile("explore", database=None, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Test processes write their files (each test's database copy, its job queue's SQLite file,
# its mail) in RAM where the machine has it: on disk, the fsync at each commit made the
# kernel write out what the next test deletes anyway (a slice of four files on SQLite: 34 s
# instead of 31 s). Each process removes its folders when it ends; the next run removes
# those of a run that died.
SCRATCH = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())


def scratch_folder(name: str) -> Path:
    for old in SCRATCH.glob("shanlin-test-*-*"):
        pid = old.name.rsplit("-", 1)[1]
        if pid.isdigit() and not template_cache.alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = SCRATCH / f"shanlin-test-{name}-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    atexit.register(shutil.rmtree, folder, True)
    return folder


_VAR = scratch_folder("var")
# The GB 2312 font cut (~4 s to make) is the machine's, kept in var/fonts like under make run,
# not made again by every test process in its own folder.
_FONTS = Path(__file__).resolve().parent.parent / "var" / "fonts"
_FONTS.mkdir(parents=True, exist_ok=True)
(_VAR / "fonts").symlink_to(_FONTS)
os.environ["SHANLIN_VAR_DIR"] = str(_VAR)  # before app.config is imported

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.demo.data import build  # noqa: E402
from app.extensions import db  # noqa: E402
from app.funds.models import Fund  # noqa: E402
from tenants import SYSTEM, fund_scope, using  # noqa: E402


def _compile_url_builders_once() -> None:
    """Every test makes its app anew, and werkzeug makes two URL-building functions for each
    of its ~190 routes by generating Python source and compiling it: about two thirds of
    create_app's time, a quarter of a second of every test. A builder depends only on the
    rule's parts and defaults (it reads converters from the rule it is bound to when called),
    so the suite makes each once and binds it to each app's rule as werkzeug does."""
    from werkzeug.routing.rules import Rule

    make = Rule._compile_builder
    made = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(self._trace), append_unknown, tuple(map(str, defaults)),
               tuple(self._converters[name].to_url(defaults[name])
                     for dynamic, name in self._trace if dynamic and name in defaults))
        if key not in made:
            made[key] = make(self, append_unknown)
        return made[key]

    Rule._compile_builder = compile_builder


_compile_url_builders_once()


def _parse_url_rules_once() -> None:
    """werkzeug also parses each rule's string into the parts its matcher is made of (regular
    expressions, weights): a fifth of create_app's time. The parts depend only on the string
    and the converters of the map; the suite parses each once and gives each app's rule what
    parsing leaves on it (its trace, arguments, and converters: copies bound to its map)."""
    from werkzeug.routing.rules import Rule

    parse = Rule._parse_rule
    parsed = {}
    converters_of = weakref.WeakKeyDictionary()  # map -> its converters, as part of a key

    def parse_rule(self, rule):
        if self.map not in converters_of:
            converters_of[self.map] = tuple(sorted(self.map.converters.items()))
        key = (rule, converters_of[self.map])
        if key not in parsed:
            trace, known = len(self._trace), set(self._converters)
            parts = list(parse(self, rule))
            parsed[key] = (parts, self._trace[trace:], {
                name: converter for name, converter in self._converters.items()
                if name not in known})
            return parts
        parts, trace, converters = parsed[key]
        self._trace.extend(trace)
        for name, converter in converters.items():
            self._converters[name] = bound = copy.copy(converter)
            bound.map = self.map
            self.arguments.add(name)
        return parts

    Rule._parse_rule = parse_rule


_parse_url_rules_once()
# Python's collector ran its youngest generation every 700 new objects, and looked through
# every object of the process now and then, the app's modules and the test modules included:
# ~10 % of a test's time, with an app, an engine and many ORM objects made for each. Fewer,
# larger rounds; what the modules made stays out of them (pytest_collection_finish).
gc.set_threshold(20_000, 20, 20)


class _CompiledTemplates(BytecodeCache):
    """Every test's app has its own Jinja environment, which compiled each template it
    rendered anew: ~18 ms a template, over half a second for a test that renders many pages.
    The process keeps the compiled code, under Jinja's own key (the template's name) and
    checked against its source's hash, for every app after the first; the apps share one
    configuration, which is what the code is compiled for."""

    def __init__(self):
        self.kept = {}

    def load_bytecode(self, bucket):
        checksum, code = self.kept.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self.kept[bucket.key] = (bucket.checksum, bucket.code)


COMPILED_TEMPLATES = _CompiledTemplates()
DB_KIND = os.environ.get("SHANLIN_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "demo-password-1"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt would make the suite slow
    "DEMO_PASSWORD": PASSWORD,
    "DEMO_DONATIONS_PER_FUND": 40,
    "DEMO_RECEIPTS_PER_FUND": 4,
}


def _pg_url(database: str, user: str = "postgres") -> str:
    return re.sub(r"//[^@/]*@([^/]+)/[^?]*", rf"//{user}@\1/{database}", PG_ADMIN_URL)


@functools.cache
def _pg_admin_engine():
    """One pool of admin connections a process: a connection of its own for each CREATE and
    DROP DATABASE started and ended two PostgreSQL backends for every test."""
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_admin(sql: str) -> None:
    with _pg_admin_engine().connect() as connection:
        connection.execute(text(sql))


# The template (migrations + demo) is kept across runs in var/test-cache (tests/
# template_cache.py), built by the first process that finds none young enough for the code as
# it is; the others wait for it and then copy it. Under pytest-xdist the controller names the
# run and hashes the code once, for its workers; without xdist the run is its own worker.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw")
if WORKER == "gw":  # the controller, or a run without xdist: it names the run (pytest_configure)
    os.environ["PYTEST_XDIST_TESTRUNUID"] = uuid.uuid4().hex
RUN_ID = os.environ["PYTEST_XDIST_TESTRUNUID"][:8]
# The login role the app connects as on PostgreSQL: it owns no table, so row-level security
# applies. One for every test database; never dropped (the cached templates grant to it).
APP_ROLE = "shanlin_test_app"


class Database:
    """Where the template lives and how a test gets its own copy."""

    def __init__(self, root: Path):
        self.root = root  # this worker's copies
        self.folder = None  # the cache entry: template.db or the template's name, var/
        self.template = None
        self.role = APP_ROLE
        self.copies = 0
        # Copies are made one ahead and dropped behind, while tests run (a PostgreSQL copy
        # of the 31 MB template takes as long as many a test): one thread, one spare copy.
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-db")
        self.spare = None
        self.where = ""  # PostgreSQL: where and how the copies are made (_ram_tablespace)
        self.held = ExitStack()  # the cache entries taken (serve), held until close()
        self.day = ""  # the key of the one in use: of the day it serves

    def template_config(self) -> dict:
        if DB_KIND == "sqlite":
            return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.folder / 'template.db'}"}
        return {
            "SQLALCHEMY_DATABASE_URI": _pg_url(self.template, self.role),
            "MIGRATION_DATABASE_URL": _pg_url(self.template),
        }

    def use(self, folder: Path) -> None:
        self.folder = folder
        if DB_KIND == "postgresql":
            self.template = (folder / "database").read_text()

    def valid(self, folder: Path) -> bool:
        """Is the entry as its build left it? (A test that wrote into the template would make
        every later run wrong; a PostgreSQL server may have been reset.)"""
        if DB_KIND == "sqlite":
            stat = (folder / "template.db").stat()
            return (folder / "template.stat").read_text() == f"{stat.st_size} {stat.st_mtime_ns}"
        return bool(_pg_databases((folder / "database").read_text()))

    def make(self, folder: Path, name: str) -> None:
        """Migrate (as the owner), then load the demo (as the app); keep the demo's uploaded
        files and keys beside it, or the copies would miss files and tokens."""
        self.folder, self.template = folder, name
        if DB_KIND == "postgresql":
            _drop_orphaned_templates()  # a build makes room: every new clone builds
            (folder / "database").write_text(name)  # first: a build that dies is dropped
            _pg_admin(f"CREATE DATABASE {name}")
            # Whose it is: a checkout removed with its cache (a CI clone) leaves it behind.
            cache = str(template_cache.CACHE).replace("'", "''")
            _pg_admin(f"COMMENT ON DATABASE {name} IS '{cache}'")
        app = create_app({**BASE_CONFIG, **self.template_config()})
        with app.app_context():
            if DB_KIND == "postgresql":
                from tenants.rls import grant_app_role

                owner = create_engine(app.config["MIGRATION_DATABASE_URL"])
                upgrade()
                with owner.begin() as connection:
                    grant_app_role(connection, self.role)
                owner.dispose()
            else:
                upgrade()
            with using(SYSTEM):
                build(PASSWORD)
                db.session.commit()
            db.session.remove()
            db.engine.dispose()
        # Not the demo's job queue: the notices it queued are no test's work.
        shutil.copytree(_VAR, folder / "var", symlinks=True,
                        ignore=shutil.ignore_patterns("fonts", "huey.db*"))
        if DB_KIND == "sqlite":
            stat = (folder / "template.db").stat()
            (folder / "template.stat").write_text(f"{stat.st_size} {stat.st_mtime_ns}")

    def serve(self) -> None:
        """Take today's entry of the cache, built if no run has built it yet, and hold it
        with those taken before until the session ends."""
        self.day = template_cache.dated(os.environ["SHANLIN_TEST_CACHE_KEY"])
        listing = None
        if DB_KIND == "postgresql":
            listing = lambda: _pg_databases(f"shanlin_cache_{template_cache.CHECKOUT}_%")  # noqa: E731
        folder = self.held.enter_context(template_cache.entry(
            DB_KIND, self.day, self.make, self.valid, _pg_drop, listing))
        self.use(folder)
        if DB_KIND == "postgresql" and not self.where:
            self.where = _ram_tablespace()
        # Its uploaded files; the keys are the same in every entry this process builds or
        # takes (a build reuses those in var/, copied there from the first entry).
        shutil.copytree(folder / "var", _VAR, symlinks=True, dirs_exist_ok=True)

    def copy(self) -> dict:
        """A copy of the template for one test: the spare one, and another spare begun.
        After midnight, of the new day's template: a test of "today" on yesterday's demo
        fails (a term that began today is withdrawn when it ends, not ended)."""
        if template_cache.dated(os.environ["SHANLIN_TEST_CACHE_KEY"]) != self.day:
            if self.spare is not None:
                self.drop_copy(self.spare.result())
                self.spare = None
            self.serve()
        config = (self.spare or self.background.submit(self._make)).result()
        self.spare = self.background.submit(self._make)
        return config

    def drop_copy(self, config: dict) -> None:
        self.background.submit(self._drop, config)

    def close(self) -> None:
        if self.spare is not None:
            self.background.submit(self._drop, self.spare.result())
        self.background.shutdown(wait=True)
        self.held.close()

    def _make(self) -> dict:
        self.copies += 1
        if DB_KIND == "sqlite":
            path = self.root / f"test{self.copies}.db"
            shutil.copy(self.folder / "template.db", path)
            return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "_TEST_DB_PATH": path}
        name = f"shanlin_t{self.copies}_{WORKER}_{RUN_ID}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {self.template}{self.where}")
        return {
            "SQLALCHEMY_DATABASE_URI": _pg_url(name, self.role),
            "MIGRATION_DATABASE_URL": _pg_url(name),
            "_TEST_DB_NAME": name,
        }

    @staticmethod
    def _drop(config: dict) -> None:
        if name := config.get("_TEST_DB_NAME"):
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if path := config.get("_TEST_DB_PATH"):  # 30 MB a test: never let them pile up
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)


if WORKER == "gw" or "SHANLIN_TEST_CACHE_KEY" not in os.environ:  # once, for the workers too
    os.environ["SHANLIN_TEST_CACHE_KEY"] = template_cache.key(
        DB_KIND, PG_ADMIN_URL if DB_KIND == "postgresql" else "", PASSWORD,
        repr(sorted(BASE_CONFIG.items())), inspect.getsource(Database.make))


def _pg_databases(like: str) -> list[str]:
    with _pg_admin_engine().connect() as connection:
        return list(connection.scalars(
            text("SELECT datname FROM pg_database WHERE datname LIKE :n"), {"n": like}))


# Each CREATE DATABASE (a copy of the 31 MB template through the WAL) and DROP DATABASE (a
# checkpoint, which writes that copy out) made ~100 MB of disk writes a test, and a test
# waited seconds for its copy while the other suite ran (setup was half of the PostgreSQL
# run's time). A copy lives no longer than its test, so the copies go to a tablespace in RAM
# (/dev/shm on the server's machine), copied file by file: test_bad_input.py went from 65 s
# to 33 s on PostgreSQL, beside 24 s on SQLite. The template stays on disk, kept across runs.
RAM_TABLESPACE = "shanlin_test_ram"


def _ram_tablespace() -> str:
    """What CREATE DATABASE adds to put a copy in RAM, or "" where the server cannot: not a
    superuser, no /dev/shm on its machine. The folder is made by the server's own user (COPY
    TO PROGRAM runs as it, on its machine); after a reboot empties /dev/shm it is made again,
    with the version folder the catalogue's tablespace expects in it."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    folder = f"/dev/shm/{RAM_TABLESPACE}"
    try:
        with engine.connect() as connection:
            run = lambda sql, **p: connection.execute(text(sql), p)  # noqa: E731
            run("SELECT pg_advisory_lock(hashtext(:n))", n=RAM_TABLESPACE)  # the other workers
            version, catalog = run("SELECT current_setting('server_version_num')::int / 10000, "
                                   "catalog_version_no FROM pg_control_system()").one()
            if run("SELECT 1 FROM pg_tablespace WHERE spcname = :n", n=RAM_TABLESPACE).first():
                run(f"COPY (SELECT 1) TO PROGRAM 'mkdir -p -m 700 {folder}/PG_{version}_{catalog}'")
            else:  # CREATE TABLESPACE wants an empty folder
                run(f"COPY (SELECT 1) TO PROGRAM 'rm -rf {folder} && mkdir -m 700 {folder}'")
                run(f"CREATE TABLESPACE {RAM_TABLESPACE} LOCATION '{folder}'")
    except DBAPIError:
        return ""
    finally:
        engine.dispose()
    # PostgreSQL 15's default copies through the WAL, which is on disk.
    return f" TABLESPACE {RAM_TABLESPACE}" + (" STRATEGY FILE_COPY" if version >= 15 else "")


def _pg_drop(name: str) -> None:
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _drop_orphaned_templates() -> None:
    """Other checkouts' cached templates whose cache folder is gone (each fresh clone that
    ran the suite and was removed left ~35 MB on the server). One still in use by a run
    (being copied) refuses to be dropped, and stays."""
    with _pg_admin_engine().connect() as connection:
        owners = connection.execute(text(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname LIKE 'shanlin_cache_%'")).all()
    for name, cache in owners:
        if cache and not Path(cache).exists():
            with suppress(DBAPIError):
                _pg_admin(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture(scope="session")
def database():
    """The template, from the cache or built for it, cloned for every test."""
    database = Database(scratch_folder("db"))  # SQLite's copies; PostgreSQL's are its own
    database.serve()
    yield database
    database.close()


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


def pytest_configure(config):
    if WORKER == "gw" and getattr(config.option, "testrunuid", "") is None:
        config.option.testrunuid = os.environ["PYTEST_XDIST_TESTRUNUID"]  # the workers' too


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_COMPILED_SQL: dict[str, tuple] = {}


def _share_compiled_sql(app) -> None:
    """Every test's app has its own engine, and an engine keeps the SQL it compiled from each
    statement in a cache of its own, keyed on its dialect: each test compiled anew every query
    it ran, ~1.6 ms each, a tenth to a fifth of a test's time. The process's engines share
    the first one's dialect (initialized by a first connection, as an engine does) and its
    cache, as one long-lived engine would in production; they are alike (one database kind,
    one configuration), so what one compiled is what another would."""
    with app.app_context():
        engine = db.engine
        key = engine.url.drivername
        if key not in _COMPILED_SQL:
            with engine.connect():  # the dialect learns the server's version and settings
                pass
            _COMPILED_SQL[key] = (engine.dialect, engine._compiled_cache)
        engine.dialect, engine._compiled_cache = _COMPILED_SQL[key]


@contextmanager
def fresh_app(database, overrides: dict | None = None):
    """An app on its own copy of the template, dropped afterwards."""
    config = database.copy()
    # Its own job queue: in the process's one, a test's worker ran the tasks every earlier
    # test had queued (against their databases, or against its own).
    queue = {"HUEY_FILE": Path(tempfile.mkdtemp(prefix="huey-", dir=_VAR)) / "huey.db"}
    app = create_app({**BASE_CONFIG, **config, **queue, **(overrides or {})})
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    _share_compiled_sql(app)
    app.config["OUTBOX_DIR"] = Path(tempfile.mkdtemp(prefix="outbox-", dir=_VAR))
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        database.drop_copy(config)


@pytest.fixture
def app(database, request):
    """A fresh app and database; @pytest.mark.config(KEY=value) overrides the config."""
    marker = request.node.get_closest_marker("config")
    with fresh_app(database, marker.kwargs if marker else None) as app:
        yield app


def template_demo(database, var: Path) -> dict:
    """The environment that has make load's benchmarks (bench/common.py) copy the template,
    with its demo, instead of migrating and loading anew (~25 s): the database, its files
    and keys in `var`, the demo's password and size."""
    shutil.copytree(database.folder / "var", var, symlinks=True, dirs_exist_ok=True)
    (var / "fonts").symlink_to(_FONTS)
    size = str(BASE_CONFIG["DEMO_DONATIONS_PER_FUND"])
    return {"BENCH_TEMPLATE": database.template, "SHANLIN_VAR_DIR": str(var),
            "DEMO_PASSWORD": PASSWORD, "DEMO_DONATIONS_PER_FUND": size,
            "SURGE_DEMO_DONATIONS": size}


@pytest.fixture(scope="module")
def reading_app(database):
    """One app and database for a module's tests that only read (GETs, which never write:
    test_reads.py), instead of a copy of the template for each."""
    with fresh_app(database) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str = PASSWORD):
        response = self.client.post("/auth/login", data={"login": login, "password": password})
        assert response.status_code == 302, f"login as {login} failed"
        return response

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def system(app):
    """An app context under the system scope, for tests that set up or inspect data."""
    with app.app_context(), using(SYSTEM):
        yield db.session


@pytest.fixture
def fund(app):
    """东港村 (DGC) in its own scope, inside an app context: what a member's page sees."""
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            yield dgc


@pytest.fixture
def fund_in_request(app, fund):
    """`fund` inside a POST request, as a treasurer's page would be. The request's own host is
    deliberately not PUBLIC_URL: links must never follow it."""
    with app.test_request_context(base_url="http://typed-by-someone.example", method="POST"):
        yield fund


@pytest.fixture
def fund_ids(app):
    """东港村's id and slug, and 南塘村's as `other_`: plain values, no context left open, for
    tests that go through the client or a worker and open their own contexts."""
    with app.app_context(), using(SYSTEM):
        dgc, ntc = (db.session.scalar(select(Fund).where(Fund.receipt_prefix == prefix))
                    for prefix in ("DGC", "NTC"))
        return SimpleNamespace(id=dgc.id, slug=dgc.slug, other_id=ntc.id, other_slug=ntc.slug)


# Demo people by what they are to 东港村 (DGC) and 芦湾镇, the fund and township under test.
LOGINS = {
    "platform_admin": "admin@shanlin.local",
    "this_township_admin": "13900000001",
    "other_township_admin": "13900000002",
    "chair": "13900000011",
    "treasurer": "13900000012",
    "member": "13900000013",
    "supervisor": "13900000014",
    "secretary": "13900000015",
    "social_worker": "13900000016",
    "two_funds": "13900000020",
    "other_fund_member": "13900000021",  # 南塘村 treasurer, nothing in 东港村
}


# --- browser tests: the app on a live port, and Debian's Chromium through Playwright --------

# Chromium's headless shell (Debian's chromium-headless-shell, the old headless mode), not
# the whole browser run headless: the same Blink, without the browser's own work. A journey
# and the phone-first walk took 94 s of CPU with the browser, 58 s with the shell.
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
SHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 390, "height": 844}


def _closed_before_sent(app):
    """The app, each response's body read whole and closed before the server sends it. When a
    browser resets the connection (Chromium cancels a script's request as a test moves on),
    werkzeug's server raises while it drains the socket, before it closes the body: the open
    static file then surfaced as an unraisable ResourceWarning in whichever test ran next."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app):
    port = free_port()
    server = make_server("127.0.0.1", port, _closed_before_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


# One Chromium for each test process, as pytest-playwright keeps one: starting it cost ~1 s of
# CPU, once for every browser test module a worker took (some 20 in a run); each test opens
# contexts of its own.
@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium's headless shell is missing: apt-get install "
                    "chromium-headless-shell (make test does this)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def page_csrf_token(html: str) -> str:
    """The token a page hands to htmx (static/js/csrf.js sends it as X-CSRFToken)."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def shot(page, name: str) -> None:
    """The whole page, for a person to look at. JPEG: a full-page PNG of a long list took
    2-3 times as long to encode (270 vs 120 ms), some 250 pictures a run."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.jpg"), full_page=True, quality=85)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- the fake SMS endpoint (tests/fake_sms.py), for the tests of notices by SMS -------------

SECRET_ID, SECRET_KEY, APP_ID = "AKIDshanlintest", "the-real-secret-key", "1400000001"
TEMPLATES = {"vote_opened": "2000001", "vote_reminder": "2000002", "phone_code": "2000005",
             "invitation": "2000006"}


@pytest.fixture(scope="module")
def fake_sms(tmp_path_factory):
    """tests/fake_sms.py as a process of its own, on a free port, for this module."""
    port = free_port()
    log = (tmp_path_factory.mktemp("fake_sms") / "fake_sms.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fake_sms.py")), "--port", str(port),
         "--secret-id", SECRET_ID, "--secret-key", SECRET_KEY, "--app-id", APP_ID],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/messages", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"the fake SMS endpoint did not start (see {log.name})")
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)
    log.close()


def received(base: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/messages", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def sms_app(app, fake_sms):
    """The app with an SMS account at the fake endpoint, which has forgotten earlier tests."""
    app.config.update(SMS_SECRET_ID=SECRET_ID, SMS_SECRET_KEY=SECRET_KEY, SMS_SDK_APP_ID=APP_ID,
                      SMS_TEMPLATES=TEMPLATES, SMS_ENDPOINT=fake_sms)
    urllib.request.urlopen(urllib.request.Request(f"{fake_sms}/messages", method="DELETE"),
                           timeout=5).close()
    return app


@pytest.fixture(autouse=True)
def no_scope_leaks():
    """Every test starts and ends with no tenant scope: a leak would hide fail-closed bugs."""
    from tenants import current_scope

    assert current_scope() is None
    yield
    assert current_scope() is None, "a tenant scope outlived its request or block"


# --- WeChat Pay and Alipay as local processes (tests/payment_fakes.py) ----------------------
from .payment_fakes import alipay, alipay_fake, wechatpay, wechatpay_fake  # noqa: E402, F401
