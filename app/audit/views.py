"""The audit trail pages (a fund's, a township's) and `flask audit verify`."""

import sys
from datetime import date

import click
from flask import Blueprint, g, request
from sqlalchemy import select

from app.auth.policy import may
from app.extensions import db
from app.funds.models import Fund
from app.rendering import render
from app.validation import int_or_none
from tenants import SYSTEM, using
from tenants.access import fund_access, township_access

from . import chain, services, words

bp = Blueprint("audit", __name__, cli_group="audit")


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(fund_ids: list[int]) -> services.Filters:
    args = request.args
    fund_id = int_or_none(args.get("fund"))
    return services.Filters(
        fund_id=fund_id if fund_id in fund_ids else None,
        action=(args.get("action") or None), person=(args.get("person") or "").strip() or None,
        date_from=_date(args.get("from")), date_to=_date(args.get("to")))


def _page(template: str, fund_ids: list[int], township_id=None, **context):
    filters = _filters(fund_ids)
    page = services.trail(fund_ids, filters, int_or_none(request.args.get("page")) or 1,
                          township_id=township_id)
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    return render(template, block="results", page=page, args=args,
                  actions=services.actions(fund_ids, township_id), changes=services.changes,
                  action_label=services.action_label, in_words=words.in_words,
                  subject_label=services.subject_label, hidden=services.HIDDEN, **context)


@bp.route("/f/<fund_slug>/audit")
@fund_access("fund.enter")
def fund_trail():
    """Every member reads the fund's trail; donors' personal data only those who may."""
    may_see_personal = may("money.read")
    return _page("audit/fund.html", [g.fund.id], may_see_personal=may_see_personal,
                 fund_names={g.fund.id: g.fund.name})


@bp.route("/t/<township_slug>/audit")
@township_access()
def township_trail():
    funds = g.township.funds
    return _page("audit/township.html", [f.id for f in funds], township_id=g.township.id,
                 may_see_personal=True, funds=funds, fund_names={f.id: f.name for f in funds})


@bp.cli.command("verify")
def verify():
    """Recompute every chain; name the first broken link of each; exit 1 if any."""
    with using(SYSTEM):
        report = chain.verify(db.session)
        slugs = dict(db.session.execute(select(Fund.id, Fund.slug)).all())
    for broken in report.breaks:
        click.echo(f"BROKEN {broken}", err=True)
    if report.ok:
        click.echo(f"OK: {report.chains} chains, {report.entries} entries, "
                   f"{len(slugs)} funds; every hash matches.")
    else:
        sys.exit(1)
