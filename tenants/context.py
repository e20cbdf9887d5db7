"""The current tenant scope: which funds the code running now may see.

There is no default. Code that touches fund-owned rows without a scope fails instead of
seeing every fund (see tenants.scoping).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class TenantRequired(RuntimeError):
    """A fund-owned table was touched with no tenant scope set."""


class TenantViolation(RuntimeError):
    """A write would put a row into a fund outside the current scope."""


@dataclass(frozen=True)
class Scope:
    """fund_ids is None only for the system scope (CLI, demo data, migrations)."""

    kind: str  # "fund" | "township" | "member" | "system"
    fund_ids: frozenset[int] | None
    fund_id: int | None = None
    township_id: int | None = None

    def allows(self, fund_id: int | None) -> bool:
        return self.fund_ids is None or fund_id in self.fund_ids


SYSTEM = Scope("system", None)

_scope: ContextVar[Scope | None] = ContextVar("shanlin_tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _scope.get()


def fund_scope(fund_id: int) -> Scope:
    return Scope("fund", frozenset({fund_id}), fund_id=fund_id)


def township_scope(township_id: int, fund_ids: Iterator[int] | list[int]) -> Scope:
    return Scope("township", frozenset(fund_ids), township_id=township_id)


def member_scope(fund_ids) -> Scope:
    """The funds a signed-in person holds a role in, for reading their own to-do list across
    them at once, plus the funds the current scope already sees: a page's rows stay in the
    identity map while the list is read (a scope change drops the rows it does not allow).
    Under the system scope, the system scope."""
    current = current_scope()
    if current is not None and current.fund_ids is None:
        return current
    seen = current.fund_ids if current is not None else frozenset()
    return Scope("member", frozenset(fund_ids) | seen)


def set_scope(scope: Scope | None) -> None:
    """Replace the scope for the rest of this request or command."""
    _scope.set(scope)
    _notify(scope)


@contextmanager
def using(scope: Scope | None) -> Iterator[Scope | None]:
    """Run a block under another scope and restore the previous one after it."""
    token = _scope.set(scope)
    _notify(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        _notify(_scope.get())


_listeners: list = []


def on_scope_change(fn):
    """tenants.scoping registers here to keep the database session in step with the scope."""
    _listeners.append(fn)
    return fn


def _notify(scope: Scope | None) -> None:
    for fn in _listeners:
        fn(scope)
