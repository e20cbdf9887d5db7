"""Every fund- and township-scoped URL, found in the URL map, against five kinds of caller.

New routes are covered without anyone listing them: a route with an argument that has no
sample fails the test until a sample is added to SAMPLES (tests/helpers.py).
"""


import pytest
from flask import Flask

from .conftest import LOGINS
from .helpers import (
    FUND,
    PERSONAS,
    admits,
    expected_outcome,
    member_login,
    sample_url,
    signed_in,
)


def scoped_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if {"fund_slug", "township_slug"} & rule.arguments:
            yield rule


def test_scoped_routes_exist(app):
    rules = {r.rule for r in scoped_rules(app)}
    assert {"/f/<fund_slug>/", "/f/<fund_slug>/public", "/t/<township_slug>/"} <= rules


@pytest.mark.parametrize("persona", PERSONAS)
def test_isolation_matrix(app, persona):
    failures = []
    # A signed-in client per person, used again after a GET (a GET never writes:
    # test_reads.py), made anew after a POST, which may have changed the person or the session.
    clients = {}
    for rule in scoped_rules(app):
        allow = admits(app.view_functions[rule.endpoint].access)
        kind = "fund" if "fund_slug" in rule.arguments else "township"
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        login = None
        if persona not in ("anonymous", "this_fund_member"):
            login = LOGINS[persona]
        elif persona == "this_fund_member":
            login = member_login(allow) if kind == "fund" else LOGINS["chair"]
        client = clients.pop(login, None) or signed_in(app, login)
        response = client.open(sample_url(app, rule), method=method)
        if method == "GET":
            clients[login] = client
        expected = expected_outcome(kind, allow, persona)
        body = response.get_data().decode(errors="replace")  # PDFs and photos are bytes
        if expected == "allowed":  # past the door: the view answered (a 422 is the view's)
            ok = response.status_code not in (401, 403, 404, 500) \
                and "/auth/login" not in (response.location or "")
        elif expected == "login":
            ok = response.status_code == 302 and "/auth/login" in (response.location or "")
        else:
            ok = response.status_code == 403 and "东港村" not in body
        if not ok:
            failures.append(f"{method} {rule.rule}: expected {expected}, got "
                            f"{response.status_code} {response.location or ''}")
    assert not failures, "\n".join(failures)


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "access")
    ]
    assert undeclared == []


def test_a_route_without_declaration_is_refused(app):
    @app.route("/f/<fund_slug>/forgotten")
    def forgotten():
        return "leaked"

    response = app.test_client().get(f"/f/{FUND}/forgotten")
    assert response.status_code == 500
    assert "leaked" not in response.get_data(as_text=True)


def test_unknown_fund_is_404(client):
    assert client.get("/f/no-such-fund/public").status_code == 404
