"""Who may do what: app/auth/policy.py's table is the one answer for routes, buttons and
services. Run with -s to read the table."""

import re
from pathlib import Path

from sqlalchemy import select

from app.auth.policy import POLICY, may
from app.auth.roles import ANY_MEMBER, PUBLIC, Role
from app.extensions import db
from app.funds.models import Fund
from app.payouts.models import Payout
from tenants import fund_scope, using

from .conftest import LOGINS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SOURCES = sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "tenants").rglob("*.py"))
FUND = "donggangcun"  # 东港村, in 芦湾镇

ASKED = re.compile(r"""\b(?:may|fund_access)\(\s*["']([^"']+)["']""")
ROLE_NAMES = "|".join(Role)


def render_table() -> str:
    """The table as a reviewer reads it: one action a line, the roles allowed."""
    width = max(map(len, POLICY))
    lines = [f"{'action':<{width}}  who may (a platform admin always may)"]
    lines += [f"{action:<{width}}  {', '.join(roles)}" for action, roles in POLICY.items()]
    return "\n".join(lines)


def _asked_in(paths) -> dict[str, list[str]]:
    asked: dict[str, list[str]] = {}
    for path in paths:
        for action in ASKED.findall(path.read_text(encoding="utf-8")):
            asked.setdefault(action, []).append(str(path.relative_to(ROOT)))
    return asked


def test_the_table_names_only_roles_that_exist():
    print("\n" + render_table())
    for action, roles in POLICY.items():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", action), action
        assert roles, f"{action} allows nobody"
        unknown = set(roles) - {*Role, PUBLIC, ANY_MEMBER}
        assert not unknown, f"{action}: no such role {unknown}"


def test_every_action_a_template_asks_is_in_the_table():
    asked = _asked_in(TEMPLATES)
    assert asked, "no template asks may(...): the scan is broken"
    assert {a: where for a, where in asked.items() if a not in POLICY} == {}


def test_every_action_a_view_or_service_asks_is_in_the_table():
    asked = _asked_in(SOURCES)
    assert "payout.approve" in asked, "no view declares fund_access(...): the scan is broken"
    assert {a: where for a, where in asked.items() if a not in POLICY} == {}


def test_every_fund_route_declares_an_action_of_the_table(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules()
                  if "fund_slug" in rule.arguments
                  and app.view_functions[rule.endpoint].access.action not in POLICY]
    assert undeclared == []


def test_no_template_tests_a_role_by_name():
    role_test = re.compile(rf"""g\.roles|\.intersection\(|["']({ROLE_NAMES})["']""")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in TEMPLATES
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if role_test.search(line)]
    assert found == []


def test_the_treasurer_records_money_and_a_member_does_not():
    assert may("money.record", {"treasurer"})
    assert not may("money.record", {"member"})
    assert not may("money.record", set())


def test_the_tags_admit_the_public_and_any_member():
    assert may("public", set())
    assert may("fund.enter", {"secretary"})
    assert not may("fund.enter", set())


def test_a_platform_admin_may_do_everything_the_table_names():
    assert all(may(action, {"platform_admin"}) for action in POLICY)


def test_a_township_admin_may_not_vote_or_pay():
    assert may("money.read", {"township_admin"})
    assert not may("motion.vote", {"township_admin"})
    assert not may("payout.pay", {"township_admin"})


def _approved_payout(app) -> int:
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            return db.session.scalar(select(Payout.id).where(Payout.status == "approved")
                                     .order_by(Payout.id))


def test_the_platform_admin_sees_the_buttons_the_door_lets_them_use(app, client, auth):
    """The drift this table ends: the door let a platform admin mark a payout paid and read
    the donations, but the pages hid the form and the tabs from them."""
    approved = _approved_payout(app)
    auth.login(LOGINS["platform_admin"])
    page = client.get(f"/f/{FUND}/payouts/{approved}").get_data(as_text=True)
    assert 'id="paid-form"' in page
    assert f"/f/{FUND}/donations/" in page  # the fund's money tabs


def test_a_member_sees_neither_the_payment_form_nor_the_money_tabs(app, client, auth):
    approved = _approved_payout(app)
    auth.login(LOGINS["member"])
    page = client.get(f"/f/{FUND}/payouts/{approved}").get_data(as_text=True)
    assert 'id="paid-form"' not in page
    assert f"/f/{FUND}/donations/" not in page
