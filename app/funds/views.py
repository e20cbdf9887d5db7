"""Fund workspace, the fund's public page, and the township workspace."""

from flask import Blueprint, g

from app.auth.roles import ANY_MEMBER, PUBLIC
from app.rendering import render
from tenants.access import fund_access, township_access

from . import services

bp = Blueprint("funds", __name__)


@bp.route("/f/<fund_slug>/")
@fund_access(ANY_MEMBER)
def workspace():
    from app.ledger.services import balances

    people = services.people_of_fund(g.fund)
    return render("funds/workspace.html", fund=g.fund, people=people, my_roles=g.roles,
                  balances=balances())


@bp.route("/f/<fund_slug>/public")
@fund_access(PUBLIC)
def public():
    from app.disclosure.views import public_board  # the notice board lives in disclosure

    return public_board()


@bp.route("/t/<township_slug>/")
@township_access()
def township():
    from app.oversight.views import workspace_page

    return workspace_page()
