"""Recording: the registry of audited models and the session hooks that turn their changes
into entries, collected during the transaction and written to the chains at commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.base import NO_VALUE

from app.db_types import utcnow
from app.privacy import Sealed
from tenants.context import TenantRequired, TenantViolation, current_scope
from tenants.model import FundOwned

from . import chain as chains


def secret_keys(cls) -> frozenset[str]:
    """The columns marked ``info=SECRET`` (app/db_types.py) and the sealed ones
    (app/privacy.py): never copied into an entry, so the trail, which every member of a fund
    reads, never becomes a key store nor a plain copy of what is sealed."""
    return frozenset(column.key for column in cls.__table__.columns
                     if column.info.get("secret") or isinstance(column.type, Sealed))

_PENDING = "shanlin_audit_pending"


@dataclass(frozen=True)
class Spec:
    table: str
    state: str | None  # a status column: its new value names the action ("batch.closed")
    skip: frozenset[str]  # the columns left out, the secret ones among them
    personal: frozenset[str]  # shown only to those who may read the fund's personal data
    labels: Callable | None  # (obj) -> (township_id, fund_id) for platform-chain entries
    fund_owned: bool


_registry: dict[type, Spec] = {}
_by_table: dict[str, Spec] = {}


def audited(model=None, *, state: str | None = None, skip=(), personal=(), labels=None):
    """Audit every insert, update and delete of this model (usable as a class decorator).

    Rows of a FundOwned model go to their fund's chain; other rows go to the platform chain,
    labelled with the township and fund that ``labels(obj)`` names (by default the row's
    own ``township_id`` / ``fund_id`` attributes, if it has them).
    """

    def register(cls):
        table = cls.__table__.name
        spec = Spec(table=table, state=state,
                    skip=frozenset(skip) | secret_keys(cls), personal=frozenset(personal),
                    labels=labels, fund_owned=issubclass(cls, FundOwned))
        _registry[cls] = spec
        _by_table[table] = spec
        return cls

    return register(model) if model is not None else register


def spec_for_table(table: str) -> Spec | None:
    return _by_table.get(table)


def _spec(obj) -> Spec | None:
    cls = type(obj)
    spec = _registry.get(cls)
    if spec is None and cls not in _registry:  # a subclass of an audited model
        spec = next((s for base, s in _registry.items() if issubclass(cls, base)), None)
    return spec


# --- who ------------------------------------------------------------------------------------

_acting: ContextVar[tuple[int | None, str] | None] = ContextVar("shanlin_audit_actor",
                                                                 default=None)


@contextmanager
def acting_as(user=None, name: str | None = None) -> Iterator[None]:
    """Name the actor outside a request (CLI, background jobs): a user, or a name."""
    token = _acting.set((user.id, user.name) if user is not None else (None, name or "system"))
    try:
        yield
    finally:
        _acting.reset(token)


def _actor() -> tuple[int | None, str]:
    if (override := _acting.get()) is not None:
        return override
    from flask import has_request_context

    if has_request_context():
        from flask_login import current_user

        if current_user.is_authenticated:
            return current_user.id, current_user.name
        return None, "anonymous"
    return None, "system"


# --- collecting -----------------------------------------------------------------------------

def _pending(session: Session) -> list[dict]:
    return session.info.setdefault(_PENDING, [])


def _entry(chain, action: str, table: str, subject_id, before: dict, after: dict,
           township_id=None, fund_id=None) -> dict:
    return {"chain": chain, "at": utcnow(), "action": action, "subject_table": table,
            "subject_id": subject_id, "before": chains.canonical(before),
            "after": chains.canonical(after), "township_id": township_id, "fund_id": fund_id}


def _place(spec: Spec, obj, values: dict) -> dict:
    """Which chain the entry goes to, and the labels of a platform entry."""
    if spec.fund_owned:
        return {"chain": values.get("fund_id")}
    if spec.labels is not None:
        township_id, fund_id = spec.labels(obj)
    else:
        township_id, fund_id = values.get("township_id"), values.get("fund_id")
    return {"chain": chains.PLATFORM, "township_id": township_id, "fund_id": fund_id}


_column_keys: dict[type, tuple[str, ...]] = {}


def _keys(cls, spec: Spec) -> tuple[str, ...]:
    """The recorded column attributes of a class, worked out once."""
    keys = _column_keys.get(cls)
    if keys is None:
        keys = _column_keys[cls] = tuple(
            p.key for p in inspect(cls).column_attrs if p.key not in spec.skip)
    return keys


def unrecorded(session: Session) -> bool:
    """Has this transaction changed rows whose entries are not in the trail yet (they are
    written at the commit)? Readers keyed on a fund's audit head cannot trust it until then."""
    return bool(session.info.get(_PENDING) or session.new or session.dirty or session.deleted)


def _after_flush(session: Session, _flush_context) -> None:
    # new, dirty, deleted and each object's committed_state still describe what this flush
    # wrote: reading them costs no query.
    pending = None
    for kind, objects in (("created", session.new), ("updated", session.dirty),
                          ("deleted", session.deleted)):
        for obj in objects:
            spec = _spec(obj)
            if spec is None:
                continue
            change = _change(obj, spec, kind)
            if change is None:
                continue
            pending = pending if pending is not None else _pending(session)
            pending.append(change)


def _change(obj, spec: Spec, kind: str) -> dict | None:
    state = inspect(obj)
    loaded = state.dict  # what is in memory: reading it never queries
    keys = _keys(type(obj), spec)
    before, after = {}, {}
    if kind == "created":
        after = {key: loaded[key] for key in keys if key in loaded}
    elif kind == "deleted":
        before = {key: loaded[key] for key in keys if key in loaded}
    else:
        old = state.committed_state  # the changed attributes only, with their old values
        for key in keys:
            if key not in old:
                continue
            new = loaded.get(key)
            if old[key] is not NO_VALUE:  # NO_VALUE: the old value was never loaded
                if old[key] == new:
                    continue
                before[key] = old[key]
            after[key] = new
        if not after:
            return None
    action = f"{spec.table}.{kind}"
    if kind == "updated" and spec.state and after.get(spec.state):
        action = f"{spec.table}.{after[spec.state]}"  # "batch.closed", "receipt.void"
    values = {**loaded, **after}
    subject_id = state.key[1][0] if state.key else values.get("id")
    return _entry(action=action, table=spec.table, subject_id=subject_id,
                  before=before, after=after, **_place(spec, obj, values))


def _bulk_statement(state: ORMExecuteState):
    """ORM bulk INSERT/UPDATE/DELETE skip the flush: one entry per statement says what ran."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    spec = _registry.get(mapper.class_) if mapper is not None else None
    if spec is None:
        return None
    session = state.session
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if params else []
        counts = defaultdict(int)
        for row in rows or [{}]:
            counts[row.get("fund_id")] += 1
        for fund_id, count in sorted(counts.items(), key=lambda kv: kv[0] or 0):
            where = ({"chain": fund_id} if spec.fund_owned else
                     {"chain": chains.PLATFORM, "fund_id": fund_id})
            _pending(session).append(_entry(action=f"{spec.table}.created", table=spec.table,
                                            subject_id=None, before={},
                                            after={"rows": count}, **where))
        return None
    result = state.invoke_statement()
    verb = "updated" if state.is_update else "deleted"
    values = {getattr(k, "key", str(k)): getattr(v, "value", None)
              for k, v in (getattr(state.statement, "_values", None) or {}).items()}
    values = {k: v for k, v in values.items() if k not in spec.skip}
    scope = current_scope()
    if spec.fund_owned and scope is not None and scope.fund_id is not None:
        where = {"chain": scope.fund_id}
    else:
        where = {"chain": chains.PLATFORM,
                 "township_id": scope.township_id if scope else None}
    _pending(session).append(_entry(
        action=f"{spec.table}.{verb}", table=spec.table, subject_id=None,
        before={"where": str(state.statement.whereclause)},
        after={"rows": result.rowcount, **values}, **where))
    return result


def record(action: str, *, fund_id: int | None = None, township_id: int | None = None,
           subject=None, before: dict | None = None, after: dict | None = None,
           platform: bool = False, session: Session | None = None) -> None:
    """An event that is not a row change (a sign-in, a failed code, an export).

    With ``fund_id`` (and not ``platform``) it joins that fund's chain, which the current
    scope must allow; otherwise the platform chain, labelled with township and fund. It is
    written when the transaction commits, like every other entry.
    """
    from app.extensions import db

    table, subject_id = "", None
    if isinstance(subject, tuple):
        table, subject_id = subject
    elif subject is not None:
        table, subject_id = type(subject).__table__.name, inspect(subject).identity[0]
    if fund_id is not None and not platform:
        scope = current_scope()  # checked now, as a flush checks a row; written at commit
        if scope is None:
            raise TenantRequired(f"{action} recorded in fund {fund_id} with no tenant scope")
        if not scope.allows(fund_id):
            raise TenantViolation(f"{action} recorded in fund {fund_id} in scope {scope.kind}")
        where = {"chain": fund_id}
    else:
        where = {"chain": chains.PLATFORM, "township_id": township_id, "fund_id": fund_id}
    _pending(session or db.session()).append(_entry(
        action=action, table=table, subject_id=subject_id, before=before or {},
        after=after or {}, **where))


# --- writing at commit ----------------------------------------------------------------------

def _before_commit(session: Session) -> None:
    if not session.info.get(_PENDING) and not session.new and not session.dirty \
            and not session.deleted:
        return
    session.flush()  # the last changes of the transaction, collected by _after_flush
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    actor_id, actor_name = _actor()
    by_chain: dict = defaultdict(list)
    for entry in pending:
        chain = entry.pop("chain")
        entry.update(actor_id=actor_id, actor_name=actor_name[:100])
        by_chain[chain].append(entry)
    # A fixed order (funds by id, the platform last): two transactions that touch the same
    # chains lock their heads in the same order and cannot deadlock on them.
    order = sorted((c for c in by_chain if c != chains.PLATFORM), key=lambda c: (c is None, c))
    if chains.PLATFORM in by_chain:
        order.append(chains.PLATFORM)
    for chain in order:
        if chain is None:
            raise RuntimeError("an audited fund-owned row has no fund_id")
        chains.append(session, chain, by_chain[chain])


def _discard(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction is gone, its entries too
        session.info.pop(_PENDING, None)


def install(session_class: type[Session]) -> None:
    """Attach the hooks to the app's session class; called once by create_app()."""
    if event.contains(session_class, "after_flush", _after_flush):
        return
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _bulk_statement)
    event.listen(session_class, "before_commit", _before_commit)
    event.listen(session_class, "after_soft_rollback", _discard)
