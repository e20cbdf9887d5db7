"""待我处理 (what waits for me): the signed-in person's list, read once per request and shared
by the page that shows it (the fund's overview, the home page) and the header's count."""

from flask import current_app, g
from flask_login import current_user

from tenants.context import current_scope

from .services import Item, count_of, waiting_for

__all__ = ["Item", "mine", "register"]


def mine() -> list[Item]:
    """The caller's items, read at most once per request: the header's count and the page's
    list are the same reading. Inside a fund (or a township) only what the page's scope sees,
    so reading it never changes the scope under the page's rows; elsewhere (the home page)
    every fund the caller holds a role in. Empty for a visitor, and when TODO_LIST is off
    (the benchmark's page without the list)."""
    if not current_app.config["TODO_LIST"] or not current_user.is_authenticated:
        return []
    if "todo_items" not in g:
        scope = current_scope()
        g.todo_items = waiting_for(current_user, scope.fund_ids if scope else None)
    return g.todo_items


def register(app) -> None:
    app.jinja_env.globals["todo_count"] = lambda: count_of(mine())
