"""Fail-closed query scoping for fund-owned models.

Every ORM statement that touches a FundOwned model — selects, relationship and column loads,
``session.get``, bulk updates and deletes — is filtered to the funds of the current scope, and
raises TenantRequired when there is no scope. Flushes refuse rows outside the scope. On
PostgreSQL each transaction also carries the scope in ``shanlin.fund_ids`` for the row-level
security policies (tenants.rls), so a filter forgotten here still returns nothing there.
"""

import functools

from sqlalchemy import Table, event, inspect, literal_column, text
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors

from .context import (
    Scope,
    TenantRequired,
    TenantViolation,
    current_scope,
    on_scope_change,
)
from .model import FundOwned, fund_owned_tables

# Asked for every statement, so made once; mappers configured later (a model imported late)
# empty the cache.
_owned_tables = functools.cache(fund_owned_tables)
event.listen(Mapper, "after_configured", _owned_tables.cache_clear)


def _touches_fund_owned(state: ORMExecuteState) -> bool:
    """Mapped entities, and also tables reached only through FROM clauses and subqueries.

    The loader criteria filter a table where it stands for its mapped class. A bare Table
    (Model.__table__) is still detected, so with no scope it raises; features must not use
    one, and on PostgreSQL row-level security filters it anyway.
    """
    if any(issubclass(m.class_, FundOwned) for m in state.all_mappers):
        return True
    owned = _owned_tables()
    return any(isinstance(e, Table) and e in owned for e in visitors.iterate(state.statement))


def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    if not _touches_fund_owned(state):
        return
    scope = current_scope()
    if scope is None:
        raise TenantRequired("fund-owned data queried with no tenant scope")
    if scope.fund_ids is None:
        return
    if state.is_update and "fund_id" in _set_columns(state.statement):
        raise TenantViolation("a bulk UPDATE may not move rows to another fund")
    if state.is_insert:
        _check_bulk_rows(state, scope)
        if getattr(state.statement, "select", None) is not None:
            # The loader criteria do not reach a SELECT inside an INSERT: refuse, not leak.
            raise TenantViolation("INSERT ... SELECT cannot be scoped to a fund; select the "
                                  "rows first and insert them")
        return
    # The ids are written into the SQL as one literal list (integers only), which is part of
    # the statement's cache key: a township of 1,000 funds as 1,000 bind parameters cost
    # ~20 ms per statement to expand and for the driver to parse.
    ids = ",".join(str(int(i)) for i in sorted(scope.fund_ids)) or "NULL"
    fund_ids = literal_column(f"({ids})")
    state.statement = state.statement.options(
        with_loader_criteria(
            FundOwned, lambda cls: cls.fund_id.op("IN")(fund_ids), include_aliases=True
        )
    )


def _set_columns(statement) -> set[str]:
    """The column names an INSERT or UPDATE statement sets in its .values()."""
    names = set()
    for rows in [[getattr(statement, "_values", None) or {}],
                 *(getattr(statement, "_multi_values", None) or ())]:
        for row in rows:
            names.update(getattr(key, "key", key) for key in (row or {}))
    return names


def _statement_rows(statement) -> list[dict]:
    rows = [dict(getattr(statement, "_values", None) or {})]
    for values in getattr(statement, "_multi_values", None) or ():
        rows.extend(dict(row) for row in values)
    return [{getattr(k, "key", k): getattr(v, "value", v) for k, v in row.items()}
            for row in rows if row]


def _check_bulk_rows(state: ORMExecuteState, scope: Scope) -> None:
    """Bulk inserts (session.execute(insert(Model), rows) or insert().values(...)) skip the
    flush: check each row's fund."""
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    embedded = _statement_rows(state.statement)
    if embedded and any("fund_id" not in row for row in embedded):
        raise TenantViolation("insert().values() into a fund-owned table must name fund_id")
    for row in embedded:
        if not scope.allows(row["fund_id"]):
            raise TenantViolation(f"insert into fund {row['fund_id']} in scope {scope.kind}")
    for row in rows:
        if "fund_id" not in row and scope.fund_id is not None:
            row["fund_id"] = scope.fund_id
        if not scope.allows(row.get("fund_id")):
            raise TenantViolation(f"bulk insert into fund {row.get('fund_id')} "
                                  f"in scope {scope.kind}")


def _check_flush(session: Session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, FundOwned):
            continue
        scope = current_scope()
        if scope is None:
            raise TenantRequired(f"{type(obj).__name__} written with no tenant scope")
        if obj.fund_id is None and scope.fund_id is not None:
            obj.fund_id = scope.fund_id
        if not scope.allows(obj.fund_id):
            raise TenantViolation(
                f"{type(obj).__name__} of fund {obj.fund_id} written in scope {scope.kind}"
            )


def _pg_settings(scope: Scope | None) -> dict[str, str]:
    if scope is None:
        return {"ids": "", "all": "off"}
    if scope.fund_ids is None:
        return {"ids": "", "all": "on"}
    return {"ids": ",".join(str(i) for i in sorted(scope.fund_ids)), "all": "off"}


_SET_SCOPE_SQL = text(
    "SELECT set_config('shanlin.fund_ids', :ids, true), set_config('shanlin.all', :all, true)"
)


def _after_begin(session: Session, transaction, connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_SCOPE_SQL, _pg_settings(current_scope()))


def install(session_class: type[Session], scoped_session) -> None:
    """Attach the listeners to the app's session class; called once by create_app()."""
    if event.contains(session_class, "do_orm_execute", _scope_statement):
        return
    event.listen(session_class, "do_orm_execute", _scope_statement)
    event.listen(session_class, "before_flush", _check_flush)
    event.listen(session_class, "after_begin", _after_begin)

    @on_scope_change
    def _sync_session(scope: Scope | None) -> None:
        # Objects loaded under the old scope must not be served from the identity map
        # (session.get) under the new one, and PostgreSQL must see the new scope at once.
        if not scoped_session.registry.has():
            return
        session = scoped_session()
        # Read fund_id from what is loaded: touching an expired attribute would query.
        stale = [
            obj
            for obj in session.identity_map.values()
            if isinstance(obj, FundOwned)
            and not (scope and scope.allows(inspect(obj).dict.get("fund_id")))
        ]
        for obj in stale:
            session.expunge(obj)
        transaction = session.get_transaction()
        if transaction is not None and transaction.is_active:
            connection = session.connection()
            if connection.dialect.name == "postgresql" and not _failed(connection):
                connection.execute(_SET_SCOPE_SQL, _pg_settings(scope))


def _failed(connection) -> bool:
    """A PostgreSQL transaction already aborted by an error: only a rollback can follow."""
    from psycopg.pq import TransactionStatus

    status = connection.connection.dbapi_connection.info.transaction_status
    return status == TransactionStatus.INERROR
