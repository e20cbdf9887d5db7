"""The township's view of 关爱发放: per fund, the programmes running, the people helped
(counted), what was paid this year, and the hand-outs not collected in a period that is over
(未领取): what to ask the fund about. No names: the township sees counts only."""

from flask import g

from app.aid.figures import per_fund
from app.clock import local_today
from app.rendering import render
from tenants.access import township_access

from .views import bp


@bp.route("/aid")
@township_access()
def aid():
    funds = sorted(g.township.funds, key=lambda f: f.id)
    today = local_today()
    return render(
        "oversight/aid.html",
        township=g.township,
        funds=funds,
        figures=per_fund(today),
        year=today.year,
    )
