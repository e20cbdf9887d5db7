"""The database connection: SQLite made to keep PostgreSQL's promise about locks, lock(),
on_commit(): work that may run only once the session's transaction has committed, and
kept(): a read a request asks for several times, made once while nothing changes.

PostgreSQL holds a row read by ``lock()`` (SELECT … FOR UPDATE) until commit. SQLite has no row
locks and ignores FOR UPDATE, and pysqlite opens a transaction only at the first write, so two
requests read the same gift before either wrote: parallel refunds all passed the "no more than
the gift" check. So on SQLite a transaction that may write takes the database's write lock
with its first statement (BEGIN IMMEDIATE, SQLAlchemy's recipe for pysqlite: the driver's own
BEGIN turned off, ours emitted in the "begin" event). A second writer waits at its start until
the first commits, then reads what the first wrote: ``lock()`` means the same on both.

Which transactions: every one except those of GET, HEAD and OPTIONS requests. Reads stay
beside a writer (WAL journal: readers never wait for the writer, nor it for them); taking the
lock for every page would queue each page behind every other and behind a receipt's PDF.
Measured roughly (threaded dev server, one process, 2 shared cores, 8 s: four readers of the
donations list, one treasurer adding batch rows): reads 36-53/s and writes 7-9/s this way,
41-44/s and 5-6/s with BEGIN IMMEDIATE everywhere, about even inside one process's GIL; with
gunicorn's processes every page would wait for the one before it. A GET must therefore not
write money; ``lock()`` refuses to run in one.
Outside a request (CLI commands, the jobs worker, migrations) every transaction takes the lock.
"""

from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for the one before it, then gives up
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_LOCKED = "shanlin_write_locked"  # connection.info: this transaction holds the lock
ON_COMMIT = "shanlin_on_commit"  # session.info: what to run once this transaction commits
KEPT = "shanlin_kept"  # session.info: kept() reads, until a write or the transaction ends


def configure(engine: Engine) -> None:
    """Bind the engine's connections to the rules above (SQLite only; PostgreSQL has them)."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own: _on_begin does
    # SQLite enforces foreign keys (and so the cross-fund composite keys) only when asked.
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    dbapi_connection.execute("PRAGMA journal_mode=WAL")  # kept in the file; :memory: ignores it


def _on_begin(connection) -> None:
    writes = not (has_request_context() and request.method in READING_METHODS)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
    connection.info[WRITE_LOCKED] = writes


def lock(row) -> None:
    """Reload the row and hold it until commit, so two requests changing the same donation,
    batch, receipt, payout or motion run one after the other, the second seeing the first's
    work. PostgreSQL locks the row; SQLite's transaction holds the write lock already."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get(WRITE_LOCKED):
        raise RuntimeError("lock() in a read-only transaction (a GET request?): it would not "
                           "hold anything on SQLite")
    db.session.refresh(row, with_for_update=True)


def on_commit(fn: Callable[[], object]) -> None:
    """Run ``fn()`` once the current transaction of ``db.session`` commits, after the work
    registered before it; a rollback drops it. For what must not happen for rows that are not
    there (yet, or ever): queueing a job or a mail whose worker reads them, telling a member
    about a vote the request then failed to open."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the work belongs to a transaction, so that a rollback drops it
    session.info.setdefault(ON_COMMIT, []).append(fn)


def kept(name: str, read: Callable[[], object]) -> object:
    """What ``read()`` returns, read once in ``db.session`` until the session writes (a flush,
    a bulk statement) or its transaction ends: a page asks for the caller's memberships three
    or four times (the access check, two-step sign-in, 待我处理, the list of their funds)."""
    reads = db.session().info.setdefault(KEPT, {})
    if name not in reads:
        reads[name] = read()
    return reads[name]


def install(session_class: type[Session]) -> None:
    """Attach on_commit's and kept()'s hooks to the app's session class; called once by
    create_app()."""
    if not event.contains(session_class, "after_commit", _run_committed):
        event.listen(session_class, "after_commit", _run_committed)
        event.listen(session_class, "after_soft_rollback", _drop_rolled_back)
        event.listen(session_class, "after_flush", _forget_kept)
        event.listen(session_class, "after_transaction_end", _forget_kept)
        event.listen(session_class, "do_orm_execute", _forget_kept_on_write)


def _forget_kept(session: Session, *_) -> None:
    session.info.pop(KEPT, None)


def _forget_kept_on_write(state) -> None:
    if not state.is_select:
        state.session.info.pop(KEPT, None)


def _run_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction around it may still roll back
    for fn in session.info.pop(ON_COMMIT, []):
        fn()


def _drop_rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its rows are gone
        session.info.pop(ON_COMMIT, None)
