"""A fund's workspace. Its public notice board is disclosure's, the township's workspace
oversight's."""

from flask import Blueprint, g

from app.rendering import render
from app.todo import mine
from tenants.access import fund_access

from . import services

bp = Blueprint("funds", __name__)


@bp.route("/f/<fund_slug>/")
@fund_access("fund.enter")
def workspace():
    from app.ledger.services import balances

    people = services.people_of_fund(g.fund)
    return render("funds/workspace.html", fund=g.fund, people=people, my_roles=g.roles,
                  balances=balances(), todo=mine())

