"""The pages of the foundation: language, workspaces, public page, health, errors, htmx, CSRF."""

import re
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from app.auth.roles import PUBLIC
from app.extensions import db
from tenants.access import open_access

from .conftest import LOGINS, PASSWORD, page_csrf_token


def test_landing_is_chinese_and_lists_public_boards(client):
    body = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in body
    assert "登录" in body and "各基金公示栏" in body
    assert "/f/donggangcun/public" in body


def test_language_switch_is_remembered_for_visitors(client):
    response = client.post("/lang", data={"lang": "en", "next": "/f/donggangcun/public"})
    assert response.status_code == 302 and response.location == "/f/donggangcun/public"
    body = client.get("/f/donggangcun/public").get_data(as_text=True)
    assert '<html lang="en">' in body and "Public notice board" in body
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    assert "公示栏" in client.get("/f/donggangcun/public").get_data(as_text=True)


def test_language_choice_follows_the_user_to_another_device(app, auth):
    auth.login(LOGINS["chair"])
    auth.client.post("/lang", data={"lang": "en", "next": "/"})
    other_device = app.test_client()
    other_device.post("/auth/login", data={"login": LOGINS["chair"], "password": PASSWORD})
    body = other_device.get("/f/donggangcun/").get_data(as_text=True)
    assert "Committee and staff" in body and "Chair" in body


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post("/lang", data={"lang": "en", "next": "//evil.example/"})
    assert response.location == "/"


def test_fund_workspace_shows_committee_and_my_role(client, auth):
    auth.login(LOGINS["supervisor"])
    body = client.get("/f/donggangcun/").get_data(as_text=True)
    assert "东港村社区慈善基金" in body and "苏州市吴江区慈善总会" in body
    assert "王秀英" in body and "主任" in body and "监事" in body
    assert re.search(r"我的身份</dt><dd>\s*监事", body)


def test_member_of_two_funds_sees_both_on_home(client, auth):
    auth.login(LOGINS["two_funds"])
    body = client.get("/").get_data(as_text=True)
    assert "东港村社区慈善基金" in body and "南塘村社区慈善基金" in body
    assert "西浜村社区慈善基金" not in body


def test_township_admin_sees_every_fund_of_the_township(client, auth):
    auth.login(LOGINS["this_township_admin"])
    body = client.get("/t/luwan/").get_data(as_text=True)
    for village in ("芦湾镇社区慈善基金", "东港村", "南塘村", "西浜村", "北舍社区"):
        assert village in body
    assert "桃源村" not in body
    assert client.get("/f/xibangcun/").status_code == 200  # drills into any fund read-only


def test_platform_admin_sees_all_townships(client, auth):
    auth.login(LOGINS["platform_admin"])
    body = client.get("/").get_data(as_text=True)
    assert "芦湾镇" in body and "桃源镇" in body


def test_public_page_needs_no_login_and_shows_no_phone_numbers(client):
    body = client.get("/f/donggangcun/public").get_data(as_text=True)
    assert "基金管理委员会" in body and "王秀英" in body
    assert "139000000" not in body
    assert "李建国" not in body  # the treasurer is staff, not committee


def test_healthz_checks_the_database(client, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_friendly_404_and_403_pages(client, auth):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
    auth.login(LOGINS["other_fund_member"])
    response = client.get("/f/donggangcun/")
    assert response.status_code == 403
    assert "您没有访问此页面的权限" in response.get_data(as_text=True)


def test_friendly_500_page_and_nothing_half_written(app, client):
    @app.route("/boom")
    @open_access(PUBLIC)
    def boom():
        raise RuntimeError("unexpected")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "没有保存任何内容" in response.get_data(as_text=True)


def test_htmx_partial_gets_only_the_form_with_422(client):
    response = client.post(
        "/auth/login", data={"login": LOGINS["chair"], "password": "wrong"},
        headers={"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith("<form") and "<html" not in body
    assert "HX-Request-Type" in response.headers["Vary"]


def test_htmx_full_request_gets_the_page(client):
    response = client.get("/auth/login", headers={"HX-Request": "true", "HX-Request-Type": "full"})
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_forms_and_htmx_requests_need_the_csrf_token(client):
    refused = client.post("/auth/login", data={"login": LOGINS["chair"], "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/auth/login").get_data(as_text=True)
    token = page_csrf_token(page)
    accepted = client.post("/auth/login", data={"login": LOGINS["chair"], "password": PASSWORD},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert accepted.status_code == 302


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_secure_by_default(database):
    from app import create_app

    from .conftest import BASE_CONFIG

    config = {k: v for k, v in BASE_CONFIG.items() if k != "SESSION_COOKIE_SECURE"}
    app = create_app({**config, **database.template_config()})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_times_are_shown_in_shanghai(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        shown = app.jinja_env.filters["datetime"](datetime(2026, 1, 1, 16, 30, tzinfo=UTC), "short")
    assert shown.startswith("2026/1/2") and "00:30" in shown


def test_a_collision_between_two_requests_answers_409_not_500(app, client):
    from sqlalchemy.exc import IntegrityError

    @app.route("/collide")
    @open_access(PUBLIC)
    def collide():
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    response = client.get("/collide")
    assert response.status_code == 409
    assert "有人同时修改了这里" in response.get_data(as_text=True)


def test_a_page_in_one_language_renders_a_document_in_another_and_back(app):
    """Templates look their language up once a request (app.i18n.translations); a receipt in
    an English donor's language, rendered inside a Chinese treasurer's request, is still
    English, and the page after it Chinese again."""
    from flask import render_template_string

    from app.i18n import translations

    said = "{{ _('Donations') }} {{ ngettext('%(num)d gift', '%(num)d gifts', 2) }}"
    with app.test_request_context():
        chinese = render_template_string(said)
        with force_locale("en"):
            english = render_template_string(said)
            assert translations().ugettext("Donations") == "Donations"
        assert render_template_string(said) == chinese
    assert chinese.startswith("捐赠") and english == "Donations 2 gifts"
