"""待我处理 (what waits for me): the signed-in person's list, read once per request and shared
by the page that shows it (the fund's overview, the home page) and the header's count."""

from flask import current_app, g
from flask_login import current_user

from .services import Item, count_of, waiting_for

__all__ = ["Item", "mine", "register"]


def mine(fund=None) -> list[Item]:
    """The caller's items in every fund they hold a role in, or only in ``fund``; read at most
    once per request (the header's count and the page's list are the same reading). Empty for
    a visitor, and when TODO_LIST is off (the benchmark's page without the list)."""
    if not current_app.config["TODO_LIST"] or not current_user.is_authenticated:
        return []
    if "todo_items" not in g:
        g.todo_items = waiting_for(current_user)
    return [item for item in g.todo_items if fund is None or item.fund.id == fund.id]


def register(app) -> None:
    app.jinja_env.globals["todo_count"] = lambda: count_of(mine())
