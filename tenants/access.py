"""Who may use a route: every fund- or township-scoped view declares it, and this module
alone decides it.

A fund route is ``/f/<fund_slug>/...`` and a township route ``/t/<township_slug>/...``. Before
the view runs, the slug is resolved, the caller's memberships are checked against the view's
declaration and the tenant scope is set. A scoped route without a declaration is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from .context import fund_scope, set_scope, township_scope

PUBLIC = "public"  # a route anyone may open, signed in or not


@dataclass(frozen=True)
class Access:
    kind: str  # "fund" | "township" | "global"
    allow: frozenset[str] = frozenset()  # a route outside any tenant: PUBLIC or "login"
    action: str | None = None  # a fund route's action in the application's policy table


def fund_access(action: str):
    """Declare a fund route by the action it performs ("payout.approve", "public",
    "fund.enter"): the application's policy table (Lookups.may) says who may. An action the
    table does not know fails when the app is made (init_app)."""
    return _declare(Access("fund", action=action))


def township_access():
    """Township routes are for that township's overseers (Lookups.may_enter_township)."""
    return _declare(Access("township"))


def open_access(*allow: str):
    """Declare a route outside any tenant: PUBLIC, or "login" for any signed-in user."""
    return _declare(Access("global", frozenset(allow)))


def _declare(access: Access):
    def decorate(view):
        view.access = access
        return view

    return decorate


@dataclass(frozen=True)
class Lookups:
    """What this layer asks the application, given to init_app, so that it imports no
    feature (the features import its decorators and FundOwned)."""

    fund_by_slug: Callable[[str | None], object | None]
    township_by_slug: Callable[[str | None], object | None]
    roles_in_fund: Callable[[object, object], set[str]]  # (user, fund): the caller's roles
    may: Callable[[str, set[str]], bool]  # (action, roles); an unknown action raises KeyError
    may_enter_township: Callable[[object, object], bool]  # (user, township)
    unauthorized: Callable[[], object]  # the answer to a caller not signed in


EXTENSION = "shanlin_tenants"


def init_app(app: Flask, **lookups: Callable) -> None:
    """Resolve the tenant of every request with these lookups (see Lookups): slugs out of the
    view arguments and back into url_for(), the caller checked before the view, the scope
    ended with the request."""
    app.extensions[EXTENSION] = found = Lookups(**lookups)
    for view in app.view_functions.values():  # fail now on an action the table does not know
        access = getattr(view, "access", None)
        if access is not None and access.kind == "fund":
            found.may(access.action, set())
    app.url_value_preprocessor(pop_slugs)
    app.url_defaults(add_slugs)
    app.before_request(enforce)
    app.teardown_request(leave)


def _lookups() -> Lookups:
    return current_app.extensions[EXTENSION]


def pop_slugs(endpoint, values) -> None:
    """url_value_preprocessor: views read g.fund / g.township instead of slugs."""
    if values:
        g.fund_slug = values.pop("fund_slug", None)
        g.township_slug = values.pop("township_slug", None)


def add_slugs(endpoint, values) -> None:
    """url_defaults: url_for() inside a fund or township page fills the slug itself."""
    rule_args = _rule_args(current_app, endpoint)
    if "fund_slug" in rule_args and "fund_slug" not in values and g.get("fund"):
        values["fund_slug"] = g.fund.slug
    if "township_slug" in rule_args and "township_slug" not in values and g.get("township"):
        values["township_slug"] = g.township.slug


def _rule_args(app, endpoint) -> set[str]:
    cache = app.extensions.setdefault("shanlin_rule_args", {})
    if endpoint not in cache:
        cache[endpoint] = set().union(
            *(r.arguments for r in app.url_map.iter_rules(endpoint)), set()
        )
    return cache[endpoint]


def enforce() -> None:
    """before_request: resolve the tenant from the URL, check the caller, set the scope."""
    set_scope(None)
    g.fund = g.township = None
    g.roles = set()
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        return  # 404 or static: nothing scoped runs
    access: Access | None = getattr(view, "access", None)
    if request.endpoint == "static":
        return
    if access is None:  # fail closed; tests/test_isolation_matrix.py finds these first
        current_app.logger.error("route %s declares no access: refused", request.endpoint)
        abort(500)

    if access.kind == "fund":
        fund = _lookups().fund_by_slug(g.get("fund_slug"))
        if fund is None:
            abort(404)
        g.fund = fund
        g.roles = _lookups().roles_in_fund(current_user, fund)
        if not _lookups().may(access.action, g.roles):
            _refuse()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not fund.is_active:
            abort(403)  # a suspended or archived fund is read-only
        set_scope(fund_scope(fund.id))
    elif access.kind == "township":
        township = _lookups().township_by_slug(g.get("township_slug"))
        if township is None:
            abort(404)
        if not _lookups().may_enter_township(current_user, township):
            _refuse()
        g.township = township
        set_scope(township_scope(township.id, [f.id for f in township.funds]))
    elif PUBLIC not in access.allow and not current_user.is_authenticated:
        _refuse()


def leave(_error=None) -> None:
    """teardown_request: the scope ends with the request that set it."""
    set_scope(None)


def _refuse():
    if not current_user.is_authenticated:
        abort(_lookups().unauthorized())
    abort(403)
