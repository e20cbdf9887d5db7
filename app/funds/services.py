"""Creating townships and funds, and reading who sits on a fund."""

import re
from datetime import date

from pypinyin import lazy_pinyin
from sqlalchemy import select

from app.auth.models import Membership, User
from app.clock import local_today
from app.extensions import db

from .models import Fund, FundKind, Township

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(name: str) -> str:
    """芦湾镇 -> luwanzhen: pinyin without tones, ASCII letters and digits, hyphens between runs."""
    text = "".join(lazy_pinyin(name)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80]


# Every fund is some kind of charity fund: the URL keeps only the part that tells them apart.
GENERIC_SUFFIXES = ("社区慈善基金", "慈善基金", "基金")


def fund_slug(name: str) -> str:
    """东港村社区慈善基金 -> donggangcun."""
    for suffix in GENERIC_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return slugify(name)


def _unique_slug(model, wanted: str) -> str:
    slug, n = wanted, 2
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug, n = f"{wanted}-{n}", n + 1
    return slug


def fund_by_slug(slug: str | None) -> Fund | None:
    return db.session.scalar(select(Fund).where(Fund.slug == slug))


def township_by_slug(slug: str | None) -> Township | None:
    return db.session.scalar(select(Township).where(Township.slug == slug))


def create_township(name: str, region: str = "", slug: str | None = None) -> Township:
    slug = slug or _unique_slug(Township, slugify(name))
    if not SLUG_RE.match(slug):
        raise ValueError(f"bad slug: {slug!r}")
    township = Township(name=name, region=region, slug=slug)
    db.session.add(township)
    db.session.flush()
    return township


def create_fund(township: Township, name: str, *, host_charity: str, receipt_prefix: str,
                village: str = "", kind: str = "village", slug: str | None = None) -> Fund:
    if kind not in FundKind.values():
        raise ValueError(f"unknown fund kind: {kind}")
    slug = slug or _unique_slug(Fund, fund_slug(name))
    if not SLUG_RE.match(slug):
        raise ValueError(f"bad slug: {slug!r}")
    if not re.match(r"^[A-Z0-9]{2,12}$", receipt_prefix):
        raise ValueError(f"receipt prefix must be 2-12 capital letters or digits: {receipt_prefix}")
    fund = Fund(township=township, name=name, slug=slug, kind=kind, village=village,
                host_charity=host_charity, receipt_prefix=receipt_prefix)
    db.session.add(fund)
    db.session.flush()
    return fund


def people_of_fund(fund: Fund, day: date | None = None) -> list[tuple[Membership, User]]:
    """Current members of the fund with their roles, committee first."""
    from app.auth.roles import FUND_ROLES

    day = day or local_today()
    rows = db.session.execute(
        select(Membership, User).join(User).where(Membership.fund_id == fund.id)
    ).all()
    current = [(m, u) for m, u in rows if m.current_on(day)]
    return sorted(current, key=lambda mu: (FUND_ROLES.index(mu[0].role), mu[1].id))


def funds_of_user(user: User, day: date | None = None) -> tuple[list, list]:
    """(townships the user administers, [(fund, roles)] the user sits in), for the home page."""
    from app.auth.roles import Role
    from app.auth.services import current_memberships

    memberships = current_memberships(user, day)
    if any(m.role == Role.PLATFORM_ADMIN for m in memberships):
        townships = list(db.session.scalars(select(Township).order_by(Township.id)))
    else:
        townships = [m.township for m in memberships if m.role == Role.TOWNSHIP_ADMIN]
    funds: dict[int, tuple[Fund, list[str]]] = {}
    for m in memberships:
        if m.fund_id is not None:
            funds.setdefault(m.fund_id, (m.fund, []))[1].append(m.role)
    return townships, sorted(funds.values(), key=lambda fr: fr[0].id)
