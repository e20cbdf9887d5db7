"""`flask payments reconcile`: book the paid WeChat Pay orders whose notification never came."""

from datetime import date, timedelta

import click
from flask import Blueprint

from app.clock import local_today

from . import reconcile as reconciling

bp = Blueprint("payments_cli", __name__, cli_group="payments")


@bp.cli.command("reconcile")
@click.option("--day", help="The bill's day, YYYY-MM-DD (default: yesterday, Beijing time)")
def reconcile(day: str | None) -> None:
    """Read WeChat Pay's trade bill of a day and book every paid gift still pending."""
    bill_day = date.fromisoformat(day) if day else local_today() - timedelta(days=1)
    counts = reconciling.reconcile(bill_day)
    for outcome, number in sorted(counts.items()):
        click.echo(f"{outcome}: {number}")
    if not counts:
        click.echo(f"no paid orders on {bill_day}")
