"""flask demo load."""

import click
from flask import Blueprint, current_app
from sqlalchemy import select

from app.extensions import db
from app.funds.models import Township
from tenants import SYSTEM, using

from .data import PEOPLE, build

bp = Blueprint("demo", __name__, cli_group="demo")


@bp.cli.command("load")
def load():
    """Load the demo township and funds, only into an empty database; print the logins."""
    with using(SYSTEM):
        if db.session.scalar(select(Township.id).limit(1)) is not None:
            click.echo("The database already has data; demo data not loaded again.")
        else:
            build(current_app.config["DEMO_PASSWORD"])
            db.session.commit()
            click.echo("Demo data loaded.")
    click.echo("Demo logins (sign in at /auth/login with the mobile number or email):")
    for who, login, *_ in PEOPLE:
        click.echo(f"  {login:<22} {who}")
    click.echo(f"Password for every demo user: {current_app.config['DEMO_PASSWORD']}")
