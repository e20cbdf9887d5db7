"""The township staffs a fund: every role a fund needs (several treasurers, one chair), from
the fund's staff page and the new-fund wizard; the role grid; ending a term ends access."""

import re

from sqlalchemy import select

from app.auth.models import Membership, User
from app.clock import local_today
from app.extensions import db
from app.funds.models import Fund
from tenants import SYSTEM, using

from .conftest import LOGINS

TOWNSHIP = "luwan"
FUND = "donggangcun"


def _fund_id(app, slug: str = FUND) -> int:
    with app.app_context():
        return db.session.scalar(select(Fund.id).where(Fund.slug == slug))


def _staff_url(app, slug: str = FUND) -> str:
    return f"/t/{TOWNSHIP}/funds/{_fund_id(app, slug)}/staff"


def _roles(app, slug: str) -> list[tuple[str, str]]:
    with app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == slug))
        return sorted((m.role, m.user.phone) for m in db.session.scalars(
            select(Membership).where(Membership.fund_id == fund_id)))


def test_wizard_seats_every_role_with_two_treasurers_and_the_fund_can_record_money(
        app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    people = [("13700000101", "chair"), ("13700000102", "treasurer"),
              ("13700000103", "treasurer"), ("13700000104", "social_worker"),
              ("13700000105", "supervisor"), ("13700000106", "secretary"),
              ("13700000107", "member")]
    form = {"name": "新桥村社区慈善基金", "village": "新桥村", "kind": "village",
            "host_charity": "吴中区慈善基金会", "receipt_prefix": "XQ"}
    for n, (phone, role) in enumerate(people):
        form |= {f"committee-{n}-login": phone, f"committee-{n}-name": f"新桥{n}",
                 f"committee-{n}-role": role}
    response = client.post(f"/t/{TOWNSHIP}/funds/new", data=form)
    assert response.status_code == 302 and response.location.endswith("/staff")
    assert _roles(app, "xinqiaocun") == sorted((r, p) for p, r in people)
    # The staff page shows each new person's invitation link and QR code, once, here.
    page = client.get(response.location).get_data(as_text=True)
    assert len(set(re.findall(r"/invite/[\w-]{20,}", page))) == len(people)
    assert page.count('src="data:image/svg+xml') == len(people)


def test_the_township_appoints_each_role_from_the_fund_staff_page(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    url = _staff_url(app)
    for n, role in enumerate(["treasurer", "treasurer", "social_worker", "member",
                              "supervisor", "secretary"]):
        response = client.post(url, data={"login": f"1370000020{n}", "name": f"新人{n}",
                                          "role": role})
        assert response.status_code == 302, role
    roles = _roles(app, FUND)
    assert ("treasurer", "13700000200") in roles and ("treasurer", "13700000201") in roles
    assert ("social_worker", "13700000202") in roles


def test_a_second_chair_is_refused_beside_the_role(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    response = client.post(_staff_url(app), data={"login": "13700000300", "name": "二号主任",
                                                   "role": "chair"})
    assert response.status_code == 422
    assert 'id="role-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "13700000300")) is None


def test_a_number_that_is_not_a_mainland_mobile_number_is_refused_beside_the_field(
        app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    for typed in ("12345678901", "1390000000", "+44 7700 900123"):
        response = client.post(_staff_url(app), data={"login": typed, "name": "外地号码",
                                                       "role": "member"})
        assert response.status_code == 422, typed
        body = response.get_data(as_text=True)
        assert 'id="login-error"' in body and "13912345678" in body


def test_role_grid_shows_who_holds_what_and_since_when(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    client.post(_staff_url(app), data={"login": "13700000401", "name": "第二经办人",
                                       "role": "treasurer", "start": "2026-01-05"})
    page = client.get(_staff_url(app)).get_data(as_text=True)
    grid = page[page.index('class="role-grid"'):]
    treasurers = grid[grid.index("经办人"):grid.index("社工")]
    assert "第二经办人" in treasurers and "2026" in treasurers
    assert "137****0401" in treasurers and "13700000401" not in page  # masked on screen


def test_ending_a_term_ends_access_and_the_old_session_cookie_stops_working(app, auth):
    treasurer = app.test_client()
    treasurer.post("/auth/login", data={"login": LOGINS["treasurer"],
                                        "password": "demo-password-1"})
    assert treasurer.get(f"/f/{FUND}/donations/new").status_code == 200
    fund_id = _fund_id(app)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == LOGINS["treasurer"]))
        term = db.session.scalar(select(Membership.id).where(
            Membership.user_id == user_id, Membership.role == "treasurer",
            Membership.fund_id == fund_id))
    auth.login(LOGINS["this_township_admin"])
    ended = auth.client.post(f"{_staff_url(app)}/{term}/end")
    assert ended.status_code == 302
    # The old session is signed out: the fund's pages send it to sign in.
    again = treasurer.get(f"/f/{FUND}/donations/new")
    assert again.status_code == 302 and "/auth/login" in again.location
    # Signed in again, the ended role opens nothing of this fund's money.
    treasurer.post("/auth/login", data={"login": LOGINS["treasurer"],
                                        "password": "demo-password-1"})
    assert treasurer.get(f"/f/{FUND}/donations/new").status_code == 403
    with app.app_context():  # the demo's term began today: withdrawn (the trail keeps it)
        assert db.session.get(Membership, term) is None


def test_a_term_that_began_earlier_ends_yesterday_and_stays_as_history(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    client.post(_staff_url(app), data={"login": "13700000501", "name": "老经办人",
                                       "role": "treasurer", "start": "2025-03-01"})
    with app.app_context():
        term = db.session.scalar(select(Membership).join(User).where(
            User.phone == "13700000501"))
        term_id = term.id
    assert client.post(f"{_staff_url(app)}/{term_id}/end").status_code == 302
    with app.app_context():
        term = db.session.get(Membership, term_id)
        assert term.end_date is not None and not term.current_on(local_today())
