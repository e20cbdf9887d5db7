"""A session or remember cookie dies on the server: signing out (everywhere), a new password,
two-step sign-in turned on or off, and a township admin's "sign out everywhere" each end every
older session and remember cookie of the person (User.session_version, part of get_id())."""

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from app.audit.models import PlatformAuditEntry
from app.auth import services
from app.auth.models import User
from app.extensions import db
from app.funds.models import Township
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD
from .helpers import forget_last_step, totp_code

FUND_PAGE = "/f/donggangcun/"
COOKIES = ("session", "remember_token")


def sign_in(app, who: str):
    """A browser signed in as ``who`` with "keep me signed in" ticked."""
    client = app.test_client()
    response = client.post("/auth/login", data={"login": LOGINS[who], "password": PASSWORD,
                                                "remember": "y"})
    assert response.status_code == 302
    return client


def captured(client) -> dict[str, str]:
    """The browser's cookies as someone who copied them off the phone would have them."""
    return {name: client.get_cookie(name).value for name in COOKIES}


def opens(app, name: str, value: str, page: str = FUND_PAGE) -> bool:
    """Does this one cookie, alone in another browser, open the page?"""
    thief = app.test_client()
    thief.set_cookie(name, value)
    response = thief.get(page)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def assert_dead(app, cookies: dict[str, str], page: str = FUND_PAGE) -> None:
    for name, value in cookies.items():
        assert not opens(app, name, value, page), f"the old {name} cookie still opens {page}"


def user_id(app, who: str) -> int:
    with app.app_context(), using(SYSTEM):
        return services.find_user(LOGINS[who]).id


def test_a_captured_session_or_remember_cookie_opens_the_fund_until_ended(app):
    """What the other tests end: without an action, a copied cookie works."""
    cookies = captured(sign_in(app, "chair"))
    assert all(opens(app, name, value) for name, value in cookies.items())


def test_signing_out_ends_every_session_and_remember_cookie(app):
    laptop, phone = sign_in(app, "chair"), sign_in(app, "chair")
    cookies = captured(laptop)
    response = laptop.post("/auth/logout")
    assert response.status_code == 302
    assert laptop.get_cookie("remember_token") is None  # and this browser forgets it
    assert_dead(app, cookies)
    assert phone.get(FUND_PAGE).status_code == 302  # signed out everywhere
    assert sign_in(app, "chair").get(FUND_PAGE).status_code == 200  # the password still works


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_a_password_reset_ends_every_session(app, client):
    cookies = captured(sign_in(app, "two_funds"))
    client.post("/auth/reset", data={"login": LOGINS["two_funds"]})
    [mail] = app.config["OUTBOX_DIR"].glob("*.eml")
    body = message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
    link = re.search(r"https?://[^/\s]+(/auth/reset/\S+)", body).group(1)
    response = client.post(link, data={"password": "a-new-secret-9", "confirm": "a-new-secret-9"})
    assert response.status_code == 302 and response.location == "/auth/login"
    assert_dead(app, cookies)


def _enrol(client) -> str:
    """Turn two-step sign-in on in this (signed-in) browser; the secret."""
    page = client.get("/auth/security").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/auth/security", data={"code": totp_code(secret)}).status_code == 200
    return secret


def test_turning_two_step_sign_in_on_ends_the_other_sessions_but_not_this_one(app):
    browser, elsewhere = sign_in(app, "this_township_admin"), sign_in(app, "this_township_admin")
    cookies = captured(elsewhere)
    _enrol(browser)
    assert_dead(app, cookies)
    assert elsewhere.get(FUND_PAGE).status_code == 302
    assert browser.get(FUND_PAGE).status_code == 200  # the browser that enrolled goes on
    assert opens(app, "remember_token", captured(browser)["remember_token"])  # renewed


def test_turning_two_step_sign_in_off_ends_the_other_sessions_but_not_this_one(app):
    browser = sign_in(app, "this_township_admin")
    secret = _enrol(browser)
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"login": LOGINS["this_township_admin"],
                                        "password": PASSWORD, "remember": "y"})
    assert elsewhere.post("/auth/code", data={"code": totp_code(secret, 1)}).status_code == 302
    cookies = captured(elsewhere)
    assert opens(app, "session", cookies["session"])
    forget_last_step(app)
    assert browser.post("/auth/security/off", data={"code": totp_code(secret)}).status_code == 302
    assert_dead(app, cookies)
    assert browser.get(FUND_PAGE).status_code == 200


def test_a_township_admin_signs_a_person_out_everywhere(app):
    cookies = captured(sign_in(app, "chair"))
    admin = sign_in(app, "this_township_admin")
    chair = user_id(app, "chair")
    page = admin.get("/t/luwan/security").get_data(as_text=True)
    action = f"/t/luwan/people/{chair}/sign-out"
    assert f'action="{action}"' in page
    response = admin.post(action)
    assert response.status_code == 302 and response.location == "/t/luwan/security"
    assert_dead(app, cookies)
    assert admin.get(FUND_PAGE).status_code == 200
    with app.app_context(), using(SYSTEM):
        luwan = db.session.scalar(select(Township).where(Township.slug == "luwan"))
        entry = db.session.scalars(select(PlatformAuditEntry).where(
            PlatformAuditEntry.action == "auth.sessions_ended")).one()
        assert (entry.township_id, entry.subject_table, entry.subject_id) == (
            luwan.id, "user", chair)
    assert entry.actor_id == user_id(app, "this_township_admin")


def test_only_an_admin_of_the_persons_township_may_sign_them_out(app):
    cookies = captured(sign_in(app, "chair"))
    chair, stranger = user_id(app, "chair"), user_id(app, "other_township_admin")
    other = sign_in(app, "other_township_admin")
    assert other.post(f"/t/luwan/people/{chair}/sign-out").status_code == 403
    member = sign_in(app, "member")
    assert member.post(f"/t/luwan/people/{chair}/sign-out").status_code == 403
    admin = sign_in(app, "this_township_admin")
    # Someone who holds no role in this township, and no one at all: not found.
    assert admin.post(f"/t/luwan/people/{stranger}/sign-out").status_code == 404
    assert admin.post("/t/luwan/people/999999/sign-out").status_code == 404
    assert admin.get(f"/t/luwan/people/{chair}/sign-out").status_code == 405
    assert all(opens(app, name, value) for name, value in cookies.items())


@pytest.mark.parametrize("shape", ["{id}", "{id}:0", "{id}:2", "{id}:", ":1", "{id}:1:1",
                                   "{id}:²", "x:1", ""])
def test_an_id_without_the_current_version_loads_no_one(app, shape):
    """A session signed before versions existed ("<id>") ends too: one sign-in again."""
    with app.app_context(), using(SYSTEM):
        user = services.find_user(LOGINS["chair"])
        assert services.load_user(user.get_id()) is user
        assert user.get_id() == f"{user.id}:1"
        assert services.load_user(shape.format(id=user.id)) is None


def test_a_new_user_starts_at_version_one(app):
    with app.app_context(), using(SYSTEM):
        user = services.create_user("新用户", "a-long-password", phone="13912345678")
        db.session.commit()
        assert db.session.get(User, user.id).session_version == 1
