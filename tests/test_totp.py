"""Two-step sign-in for those who hold the keys: enrolment with a QR code, the code after the
password, recovery codes, turning it off, and a township that requires it of its admins."""

import re
import time

import pytest
from sqlalchemy import select

from app.audit.models import PlatformAuditEntry
from app.auth.models import RecoveryCode, User
from app.extensions import db
from app.funds.models import Township
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD
from .helpers import ADMIN, enrol, forget_last_step, totp_code


def _user(app, login=ADMIN) -> User:
    with app.app_context(), using(SYSTEM):
        user = db.session.scalar(select(User).where(User.phone == login))
        db.session.expunge(user)
        return user


def _signed_in(client) -> bool:
    return client.get("/t/luwan/").status_code == 200


def _actions(app) -> list[str]:
    with app.app_context(), using(SYSTEM):
        return db.session.scalars(select(PlatformAuditEntry.action)
                                  .order_by(PlatformAuditEntry.seq)).all()


def test_enrolment_shows_a_qr_code_and_needs_a_code_to_turn_on(app, client, auth):
    auth.login(ADMIN)
    page = client.get("/auth/security").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.get("/auth/security").get_data(as_text=True).count(secret) == 1  # kept
    wrong = client.post("/auth/security", data={"code": "000000" if totp_code(secret) != "000000"
                                                else "111111"})
    assert wrong.status_code == 422 and not _user(app).has_totp
    right = client.post("/auth/security", data={"code": totp_code(secret)})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>",
                       right.get_data(as_text=True))
    assert len(set(codes)) == 10
    user = _user(app)
    assert user.has_totp
    with app.app_context(), using(SYSTEM):
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not set(codes) & set(hashes)  # only hashes are kept
    assert "auth.two_step_enabled" in _actions(app)
    assert client.get("/auth/security").get_data(as_text=True).count("id=\"two-step-on\"") == 1


def test_sign_in_asks_for_the_code_after_the_password(app, client):
    secret, _codes = enrol(app, client)
    response = client.post("/auth/login?next=/t/luwan/",
                           data={"login": ADMIN, "password": PASSWORD})
    assert response.location == "/auth/code"
    assert not _signed_in(client)  # the password alone does not sign in
    response = client.post("/auth/code", data={"code": totp_code(secret, 1)})
    assert response.status_code == 302 and response.location == "/t/luwan/"
    assert _signed_in(client)
    assert _actions(app)[-1] == "auth.login"


def test_a_code_works_only_once(app, client):
    secret, _codes = enrol(app, client)
    code = totp_code(secret, 1)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    assert client.post("/auth/code", data={"code": code}).status_code == 302
    client.post("/auth/logout")
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    replay = client.post("/auth/code", data={"code": code})
    assert replay.status_code == 422 and not _signed_in(client)


def test_a_wrong_code_is_refused_and_audited(app, client):
    secret, _codes = enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    wrong = "123456" if totp_code(secret) != "123456" else "654321"
    response = client.post("/auth/code", data={"code": wrong})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)
    assert not _signed_in(client)
    assert _actions(app)[-1] == "auth.code_failed"


def test_a_recovery_code_signs_in_once(app, client):
    _secret, codes = enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    assert client.post("/auth/code", data={"code": codes[3].upper()}).status_code == 302
    assert _signed_in(client)
    client.post("/auth/logout")
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    assert client.post("/auth/code", data={"code": codes[3]}).status_code == 422
    assert client.post("/auth/code", data={"code": codes[4]}).status_code == 302


def test_the_second_step_starts_a_fresh_session(app, client):
    secret, _codes = enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/auth/code", data={"code": totp_code(secret, 1)})
    with client.session_transaction() as session:
        assert "planted" not in session and "two_step" not in session
        assert session.get("_user_id")


def test_a_waiting_sign_in_expires(app, client):
    secret, _codes = enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    with client.session_transaction() as session:
        session["two_step"] = {**session["two_step"], "at": int(time.time()) - 3600}
    response = client.post("/auth/code", data={"code": totp_code(secret, 1)})
    assert response.location == "/auth/login" and not _signed_in(client)


def test_the_code_page_needs_a_password_first(client):
    assert client.get("/auth/code").location == "/auth/login"


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_code_attempts_are_rate_limited(app):
    client = app.test_client()
    enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    codes = [client.post("/auth/code", data={"code": "000000"}).status_code for _ in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429


def test_turning_it_off_takes_a_code(app, client):
    secret, _codes = enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    client.post("/auth/code", data={"code": totp_code(secret, 1)})
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    assert client.post("/auth/security/off", data={"code": wrong}).status_code == 422
    assert _user(app).has_totp
    forget_last_step(app)
    assert client.post("/auth/security/off", data={"code": totp_code(secret)}).status_code == 302
    user = _user(app)
    assert not user.has_totp and user.totp_secret is None
    assert "auth.two_step_disabled" in _actions(app)
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD}).location == "/"


def _require(app, on=True) -> None:
    with app.app_context(), using(SYSTEM):
        db.session.scalar(select(Township).where(Township.slug == "luwan")) \
            .require_admin_2fa = on
        db.session.commit()


def test_a_township_that_requires_it_sends_its_admin_to_enrolment_first(app, client, auth):
    _require(app)
    auth.login(ADMIN)
    for path in ("/t/luwan/", "/f/donggangcun/", "/t/luwan/audit"):
        assert client.get(path).location == "/auth/security", path
    page = client.get("/auth/security").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    client.post("/auth/security", data={"code": totp_code(secret)})
    assert client.get("/t/luwan/").status_code == 200
    # ... and cannot turn it off while the rule stands.
    forget_last_step(app)
    assert client.post("/auth/security/off", data={"code": totp_code(secret)}).status_code == 422
    assert _user(app).has_totp


def test_the_rule_binds_only_that_townships_admins(app, client, auth):
    _require(app)
    auth.login(LOGINS["treasurer"])
    assert client.get("/f/donggangcun/").status_code == 200
    client.post("/auth/logout")
    auth.login(LOGINS["other_township_admin"])
    assert client.get("/t/taoyuan/").status_code == 200


def test_the_township_admin_sets_the_rule_and_it_is_audited(app, client, auth):
    auth.login(ADMIN)
    assert client.get("/t/luwan/security").status_code == 200
    response = client.post("/t/luwan/security", data={"require": "y"})
    assert response.status_code == 302
    with app.app_context(), using(SYSTEM):
        luwan = db.session.scalar(select(Township).where(Township.slug == "luwan"))
        assert luwan.require_admin_2fa
        entry = db.session.scalar(select(PlatformAuditEntry).where(
            PlatformAuditEntry.action == "township.updated")
            .order_by(PlatformAuditEntry.seq.desc()))
        assert entry.township_id == luwan.id and '"require_admin_2fa":true' in entry.after
    assert client.get("/t/luwan/").location == "/auth/security"  # the rule applies at once


def test_the_secret_is_never_in_the_trail(app, client):
    secret, _codes = enrol(app, client)
    with app.app_context(), using(SYSTEM):
        texts = db.session.scalars(select(PlatformAuditEntry.after)).all()
        texts += db.session.scalars(select(PlatformAuditEntry.before)).all()
    assert not any(secret in t for t in texts)
