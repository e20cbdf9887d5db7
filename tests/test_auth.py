"""Signing in with a mobile number or email, signing out, resetting a password."""

import re
from email import message_from_bytes, policy

import pytest

from app.auth import services
from app.extensions import db

from .conftest import LOGINS, PASSWORD, free_port


@pytest.mark.parametrize("login", ["13900000013", "139 0000 0013", "+86 139-0000-0013"])
def test_member_signs_in_with_mobile_number_and_lands_in_their_fund(client, login):
    response = client.post("/auth/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True)
    assert "东港村社区慈善基金" in page.get_data(as_text=True)
    assert page.request.path == "/f/donggangcun/"


def test_sign_in_with_email_ignores_case(client):
    response = client.post("/auth/login",
                           data={"login": "ChenMeiling@Example.cn", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "东港村社区慈善基金" in home and "南塘村社区慈善基金" in home  # sits in two funds


def test_wrong_password_answers_422_with_message_beside_the_field(client):
    response = client.post("/auth/login", data={"login": LOGINS["chair"], "password": "nope"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="password-error"' in body and "手机号、邮箱或密码错误" in body
    assert client.get("/f/donggangcun/").status_code == 302  # still not signed in


def test_empty_form_names_each_missing_field(client):
    response = client.post("/auth/login", data={"login": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="login-error"' in body and 'id="password-error"' in body


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    response = client.post("/auth/login", data={"login": "13812345678", "password": "whatever"})
    assert response.status_code == 422
    assert "手机号、邮箱或密码错误" in response.get_data(as_text=True)


def test_sign_out(client, auth):
    auth.login(LOGINS["chair"])
    assert client.get("/f/donggangcun/").status_code == 200
    auth.logout()
    assert client.get("/f/donggangcun/").status_code == 302


def test_sign_out_needs_post(client, auth):
    auth.login(LOGINS["chair"])
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/f/donggangcun/").status_code == 200


def test_next_parameter_only_goes_to_local_paths(client):
    response = client.post("/auth/login?next=https://evil.example/x",
                           data={"login": LOGINS["chair"], "password": PASSWORD})
    assert response.location == "/"
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/t/luwan/",
                           data={"login": LOGINS["this_township_admin"], "password": PASSWORD})
    assert response.location == "/t/luwan/"


def test_sign_in_starts_a_fresh_session(client):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/auth/login", data={"login": LOGINS["chair"], "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_login_is_rate_limited(app):
    client = app.test_client()
    codes = [
        client.post("/auth/login", data={"login": LOGINS["chair"], "password": "bad"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429
    assert "请稍等一分钟" in client.post("/auth/login", data={}).get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, system):
    user = services.find_user(LOGINS["member"])
    user.active = False
    db.session.commit()
    response = client.post("/auth/login", data={"login": LOGINS["member"], "password": PASSWORD})
    assert response.status_code == 422


def _reset_link(app) -> str:
    mails = sorted(app.config["OUTBOX_DIR"].glob("*.eml"))
    assert mails, "no mail in the outbox"
    message = message_from_bytes(mails[-1].read_bytes(), policy=policy.default)
    assert message["To"] == "chenmeiling@example.cn"
    body = message.get_content()
    return re.search(re.escape(app.config["PUBLIC_URL"]) + r"(/auth/reset/\S+)", body).group(1)


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_password_reset_by_emailed_single_use_link(app, client):
    response = client.post("/auth/reset", data={"login": "13900000020"})
    assert response.status_code == 302
    link = _reset_link(app)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a-new-secret-9", "confirm": "a-new-secret-9"})
    assert response.status_code == 302 and response.location == "/auth/login"

    ok = client.post("/auth/login", data={"login": "13900000020", "password": "a-new-secret-9"})
    assert ok.status_code == 302
    client.post("/auth/logout")
    # The same link a second time: refused, and the password stays what it is.
    again = client.post(link, data={"password": "third-secret-99", "confirm": "third-secret-99"})
    assert again.status_code == 302 and again.location == "/auth/reset"
    old = client.post("/auth/login", data={"login": "13900000020", "password": PASSWORD})
    assert old.status_code == 422


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_reset_link_expires(app, client):
    client.post("/auth/reset", data={"login": "chenmeiling@example.cn"})
    link = _reset_link(app)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 302 and response.location == "/auth/reset"


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_reset_form_checks_the_two_passwords(app, client):
    client.post("/auth/reset", data={"login": "chenmeiling@example.cn"})
    link = _reset_link(app)
    response = client.post(link, data={"password": "long-enough-1", "confirm": "different-1"})
    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.get_data(as_text=True)
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_reset_does_not_reveal_whether_an_account_exists(app, client):
    known = client.post("/auth/reset", data={"login": "13900000020"}, follow_redirects=True)
    unknown = client.post("/auth/reset", data={"login": "13711112222"}, follow_redirects=True)

    def page(response):  # the CSRF token carries a timestamp: the two may be a second apart
        html = re.sub(r'name="csrf-token" content="[^"]*"', "", response.get_data(as_text=True))
        return re.sub(r'name="csrf_token"[^>]*', "", html)

    assert page(known) == page(unknown)
    assert len(list(app.config["OUTBOX_DIR"].glob("*.eml"))) == 1


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the reset mail is sent by a worker
def test_reset_mail_goes_through_smtp_when_configured(app, client):
    """A real SMTP server on loopback (aiosmtpd) receives the message."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    received = []

    class Collect(Sink):
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        client.post("/auth/reset", data={"login": "chenmeiling@example.cn"})
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in received] == [["chenmeiling@example.cn"]]
    mail = message_from_bytes(received[0].content, policy=policy.default)
    assert "/auth/reset/" in mail.get_content() and "善邻" in mail["Subject"]
    assert not list(app.config["OUTBOX_DIR"].glob("*.eml"))


def test_phone_numbers_are_normalised():
    assert services.normalize_phone("+86 139-0000-0013") == "13900000013"
    assert services.normalize_phone("008613900000013") == "13900000013"
    assert services.normalize_phone("12345") is None
    assert services.normalize_phone("23900000013") is None


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
                    LOGIN_RATE_LIMIT="3/minute")
def test_rate_limit_counts_in_redis_when_configured(app):
    """With REDIS_URL every worker shares the counters: two apps, one budget."""
    import uuid

    from app import create_app

    config = {**app.config, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    second = create_app(config)
    workers = [create_app(config).test_client(), second.test_client()]
    codes = [workers[i % 2].post("/auth/login", data={"login": "x", "password": "y"}).status_code
             for i in range(4)]
    assert codes == [422, 422, 422, 429]
    for worker in workers:
        with worker.application.app_context():
            db.engine.dispose()
    import redis

    server = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = server.keys(f"*{config['RATELIMIT_KEY_PREFIX']}*")
    assert keys, "the counters are not in Redis"
    server.delete(*keys)
