"""flask tenants ...: create townships, funds and memberships; list them; PostgreSQL's app role.

The commands keep the group name operators know (``flask tenants create-fund``); they live
here, with the funds they create, so that the tenancy layer below imports no feature."""

from contextlib import contextmanager

import click
from flask import Blueprint
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.roles import FUND_ROLES, Role
from app.extensions import db
from tenants import SYSTEM, using
from tenants.rls import grant_app_role as grant

from . import services as funds
from .models import Township

bp = Blueprint("tenants", __name__, cli_group="tenants")


def _fail(message: str):
    raise click.ClickException(message)


@contextmanager
def _command():
    """Run a command's body in the system scope: commit at the end, or nothing at all."""
    with using(SYSTEM):
        try:
            yield
        except ValueError as error:  # the services' word for bad input
            db.session.rollback()
            raise click.ClickException(str(error)) from error
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


@bp.cli.command("create-township")
@click.argument("name")
@click.option("--region", default="", help="县/区 and 市, e.g. 吴江区, 苏州市")
@click.option("--slug", help="URL name; default: pinyin of NAME")
def create_township(name, region, slug):
    """Create a township (镇/街道)."""
    with _command():
        township = funds.create_township(name, region=region, slug=slug)
    click.echo(f"township {township.name}: /t/{township.slug}/")


@bp.cli.command("create-fund")
@click.argument("township_slug")
@click.argument("name")
@click.option("--host-charity", required=True, help="the host charity, e.g. 苏州市慈善总会")
@click.option("--receipt-prefix", required=True, help="2-12 capital letters or digits")
@click.option("--village", default="")
@click.option("--kind", type=click.Choice(["village", "community", "township"]), default="village")
@click.option("--slug", help="URL name; default: pinyin of NAME")
def create_fund(township_slug, name, host_charity, receipt_prefix, village, kind, slug):
    """Create a fund in a township."""
    with _command():
        township = funds.township_by_slug(township_slug)
        if township is None:
            _fail(f"no township {township_slug}")
        fund = funds.create_fund(township, name, host_charity=host_charity,
                                 receipt_prefix=receipt_prefix, village=village,
                                 kind=kind, slug=slug)
    click.echo(f"fund {fund.name}: /f/{fund.slug}/")


@bp.cli.command("add-member")
@click.argument("login")
@click.argument("role", type=click.Choice(Role.values()))
@click.option("--fund", "fund_slug", help="fund slug, for fund roles")
@click.option("--township", "township_slug", help="township slug, for township_admin")
@click.option("--name", help="creates the user when LOGIN is new")
@click.option("--password", help="password for a new user")
def add_member(login, role, fund_slug, township_slug, name, password):
    """Give the user with mobile number or email LOGIN a role, creating the user if needed."""
    with _command():
        user = accounts.find_user(login)
        if user is None:
            if not (name and password):
                _fail("no such user: give --name and --password to create one")
            phone = accounts.normalize_phone(login)
            user = accounts.create_user(name, password, phone=phone,
                                        email=None if phone else login)
        fund = township = None
        if role in FUND_ROLES:
            fund = funds.fund_by_slug(fund_slug)
            if fund is None:
                _fail(f"role {role} needs --fund with an existing fund slug")
        elif role == Role.TOWNSHIP_ADMIN:
            township = funds.township_by_slug(township_slug)
            if township is None:
                _fail("township_admin needs --township with an existing township slug")
        elif role != Role.PLATFORM_ADMIN:
            _fail(f"unknown role {role}")
        accounts.add_membership(user, role, fund=fund, township=township)
        where = fund.name if fund else township.name if township else "platform"
    click.echo(f"{user.name}: {role} of {where}")


@bp.cli.command("list")
def list_tenants():
    """Townships and their funds."""
    with using(SYSTEM):
        for township in db.session.scalars(select(Township).order_by(Township.id)):
            click.echo(f"{township.slug}\t{township.name}\t{township.region}")
            for fund in township.funds:
                click.echo(f"  {fund.slug}\t{fund.name}\t{fund.receipt_prefix}\t{fund.status}")


@bp.cli.command("grant-app-role")
@click.argument("role")
@click.option("--password", help="set or change the role's password")
def grant_app_role(role, password):
    """PostgreSQL: let ROLE (created if missing, owning nothing) use the tables under RLS."""
    if db.engine.dialect.name != "postgresql":
        _fail("only for PostgreSQL")
    with db.engine.begin() as connection:
        grant(connection, role, password)
    click.echo(f"role {role} may use the tables; row-level security applies to it")
