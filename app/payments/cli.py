"""`flask payments reconcile`: book the paid WeChat Pay orders whose notification never came."""

from datetime import date, timedelta

import click
from flask import Blueprint, current_app

from app.clock import local_today

from . import credentials
from . import reconcile as reconciling
from .wechatpay_gateway import WeChatPayGateway

bp = Blueprint("payments_cli", __name__, cli_group="payments")


@bp.cli.command("reconcile")
@click.option("--day", help="The bill's day, YYYY-MM-DD (default: yesterday, Beijing time)")
def reconcile(day: str | None) -> None:
    """Read WeChat Pay's trade bill of a day and book every paid gift still pending."""
    bill_day = date.fromisoformat(day) if day else local_today() - timedelta(days=1)
    # The deployment's merchant account, then each township's own.
    accounts = ([None] if WeChatPayGateway.configured(current_app.config) else []) + [
        code for code in credentials.townships(current_app.config)
        if WeChatPayGateway.configured(credentials.settings_for(current_app.config, code))]
    for township in accounts:
        counts = reconciling.reconcile(bill_day, township)
        whose = f"township {township}: " if township else ""
        for outcome, number in sorted(counts.items()):
            click.echo(f"{whose}{outcome}: {number}")
        if not counts:
            click.echo(f"{whose}no paid orders on {bill_day}")
