"""The life of a fund, decided by its township: created by a wizard with its first people
(committee, treasurers, social workers), each handed an invitation; suspended (read-only,
the public page says so), archived, reactivated."""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.roles import FUND_ROLES, Role
from app.extensions import db
from app.funds import services as funds
from app.funds.models import Fund, FundKind, Township
from app.validation import Invalid

# action -> (states it may start from, state it leads to)
ACTIONS = {
    "suspend": (("active",), "suspended"),
    "archive": (("active", "suspended"), "archived"),
    "reactivate": (("suspended", "archived"), "active"),
}
PREFIX_RE = re.compile(r"^[A-Z0-9]{2,12}$")


@dataclass
class Seat:
    login: str  # mobile number (or email)
    name: str = ""  # only for someone without an account yet
    role: str = Role.MEMBER


@dataclass
class NewFund:
    name: str
    host_charity: str
    receipt_prefix: str
    village: str = ""
    kind: str = "village"
    slug: str = ""  # empty: from the name's pinyin
    committee: list[Seat] = field(default_factory=list)


def suggested_slug(name: str) -> str:
    """What the fund's address will be: 东港村社区慈善基金 -> donggangcun (made unique)."""
    wanted = funds.fund_slug(name or "")
    return funds._unique_slug(Fund, wanted) if wanted else ""


def check(data: NewFund) -> dict[str, str]:
    errors = {}
    data.name = (data.name or "").strip()
    data.host_charity = (data.host_charity or "").strip()
    data.receipt_prefix = (data.receipt_prefix or "").strip().upper()
    data.slug = (data.slug or "").strip().lower()
    if not data.name:
        errors["name"] = _l("Give the fund a name.")
    elif db.session.scalar(select(Fund.id).where(Fund.name == data.name)):
        errors["name"] = _l("A fund of this name already exists.")
    if not data.host_charity:
        errors["host_charity"] = _l("Name the host charity whose account holds the money.")
    if not PREFIX_RE.match(data.receipt_prefix):
        errors["receipt_prefix"] = _l("2 to 12 capital letters or digits, e.g. DGC.")
    elif db.session.scalar(select(Fund.id).where(Fund.receipt_prefix == data.receipt_prefix)):
        errors["receipt_prefix"] = _l("Another fund already numbers its receipts with this "
                                      "prefix.")
    if data.slug:
        if not funds.SLUG_RE.match(data.slug) or len(data.slug) > 80:
            errors["slug"] = _l("Lower-case letters, digits and hyphens only.")
        elif db.session.scalar(select(Fund.id).where(Fund.slug == data.slug)):
            errors["slug"] = _l("This address is taken.")
    elif data.name and not funds.fund_slug(data.name):
        errors["slug"] = _l("No address can be made from this name: type one.")
    if data.kind not in FundKind.values():
        errors["kind"] = _l("Choose what kind of fund this is.")
    seats = [s for s in data.committee if (s.login or "").strip()]
    if not any(s.role == Role.CHAIR for s in seats):
        errors["committee"] = _l("Seat at least a chair (主任) on the committee.")
    elif sum(s.role == Role.CHAIR for s in seats) > 1:
        errors["committee"] = _l("A committee has one chair.")
    elif any(s.role not in FUND_ROLES for s in seats):
        errors["committee"] = _l("Choose a role for everyone.")
    data.committee = seats
    return errors


def create(township: Township, data: NewFund, by=None) -> tuple[Fund, dict[int, str]]:
    """The fund and its first people, or Invalid with every message at once; with each
    appointment's invitation token (membership id -> token), to hand over."""
    from app.auth import invitations
    from app.governance import committees

    errors = check(data)
    if errors:
        raise Invalid(errors)
    fund = funds.create_fund(township, data.name, host_charity=data.host_charity,
                             receipt_prefix=data.receipt_prefix, village=data.village.strip(),
                             kind=data.kind, slug=data.slug or None)
    links = {}
    for n, seat in enumerate(data.committee):
        try:
            membership = committees.appoint(fund, seat.login.strip(), seat.role,
                                            name=seat.name.strip())
        except Invalid as error:  # name the row: "committee member 2: ..."
            raise Invalid({"committee": _l("Committee seat %(n)d: %(message)s", n=n + 1,
                                           message=error.text())}) from error
        links[membership.id] = invitations.invite(membership, by)
    return fund, links


def change_status(fund: Fund, action: str) -> Fund:
    """suspend / archive / reactivate; a fund that is not active is read-only everywhere."""
    if action not in ACTIONS:
        raise Invalid({"action": _l("Choose what to do with the fund.")})
    sources, target = ACTIONS[action]
    if fund.status not in sources:
        from app.labels import label

        raise Invalid({"action": _l("A fund that is %(status)s cannot be changed this way.",
                                    status=label("fund_status", fund.status))})
    fund.status = target
    db.session.flush()
    return fund
