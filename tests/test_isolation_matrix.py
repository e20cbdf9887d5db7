"""Every fund- and township-scoped URL, found in the URL map, against five kinds of caller.

New routes are covered without anyone listing them: a route with an argument this file has
no sample for fails the test until a sample is added below.
"""

import re

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import ANY_MEMBER, PUBLIC
from app.donations.models import Batch, Donation
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.imports import storage
from app.receipts.models import Receipt
from tenants import fund_scope, using

from .conftest import LOGINS
from .test_jobs import finished_job

FUND = "donggangcun"  # 东港村, in 芦湾镇
TOWNSHIP = "luwan"

# Values for URL arguments other than the slugs, read from 东港村's demo data (in its scope).
# Later features add theirs here.
SAMPLES = {
    "donor_id": lambda: db.session.scalar(select(Donor.id).order_by(Donor.id)),
    # An online gift: every donation route takes it, the public status page only such gifts.
    "donation_id": lambda: db.session.scalar(
        select(Donation.id).where(Donation.status == "confirmed", Donation.gateway.is_not(None))
        .order_by(Donation.id)),
    "batch_id": lambda: db.session.scalar(select(Batch.id).where(Batch.status == "open")),
    "kind": lambda: "designations",
    # A real, header-only upload: committing it imports nothing.
    "token": lambda: storage.save(
        db.session.scalar(select(Fund.id).where(Fund.slug == FUND)), "金额\n".encode(),
        {"filename": "sample.csv", "channel": "cash", "received_on": None}),
    "fmt": lambda: "csv",
    "job_id": lambda: finished_job(),  # a job of 东港村 that ran and left a file
    "receipt_id": lambda: db.session.scalar(
        select(Receipt.id).where(Receipt.status == "valid").order_by(Receipt.id)),
    # Governance: a project on public notice (public and member pages), the open vote, a
    # closed vote's resolution, a file, an objection, last year's round, a committee term.
    "proposal_id": lambda: _governance("proposal_id"),
    "motion_id": lambda: _governance("motion_id"),
    "resolution_id": lambda: _governance("resolution_id"),
    "file_id": lambda: _governance("file_id"),
    "objection_id": lambda: _governance("objection_id"),
    "round_id": lambda: _governance("round_id"),
    "membership_id": lambda: _governance("membership_id"),
    # Payouts and disclosure: a paid payout, its evidence (public too), a published report.
    "payout_id": lambda: _payouts("payout_id"),
    "evidence_id": lambda: _payouts("evidence_id"),
    "report_id": lambda: _payouts("report_id"),
    # Township pages: a fund of the township (its status form answers 422 to an empty POST).
    "fund_id": lambda: db.session.scalar(select(Fund.id).where(Fund.slug == FUND)),
    # A person of the township, whom its admin may sign out everywhere.
    "user_id": lambda: db.session.scalar(select(User.id).where(
        User.phone == LOGINS["secretary"])),
}

def _payouts(name: str) -> int:
    from app.payouts import demo

    return demo.sample(name)


def _governance(name: str) -> int:
    from app.governance import demo

    return demo.sample(name)


PERSONAS = ["anonymous", "other_fund_member", "this_fund_member", "other_township_admin",
            "this_township_admin"]


def scoped_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if {"fund_slug", "township_slug"} & rule.arguments:
            yield rule


def sample_url(app, rule, extra: dict | None = None) -> str:
    """The rule's URL with the demo's slugs and, for every other argument, a sample of 东港村:
    from ``extra`` (argument -> callable) first, then SAMPLES; each called in the fund's scope."""
    values = {"fund_slug": FUND, "township_slug": TOWNSHIP}
    samples = {**SAMPLES, **(extra or {})}
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            for argument in sorted(rule.arguments - values.keys()):
                if argument not in samples:
                    pytest.fail(f"{rule.rule}: add a sample value for <{argument}> to SAMPLES")
                values[argument] = str(samples[argument]())
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def _member_login(access) -> str:
    """A 东港村 person holding a role the route allows (the chair for any-member routes)."""
    for role in ("chair", "treasurer", "member", "supervisor", "secretary", "social_worker"):
        if {PUBLIC, ANY_MEMBER, role} & access.allow:
            return LOGINS[role]
    pytest.fail(f"no demo 东港村 person holds a role in {sorted(access.allow)}")


def _expected(kind: str, access, persona: str) -> str:
    if PUBLIC in access.allow:
        return "allowed"
    if kind == "township":
        return {"anonymous": "login", "this_township_admin": "allowed"}.get(persona, "forbidden")
    if persona == "anonymous":
        return "login"
    if persona == "this_fund_member":
        return "allowed"
    if persona == "this_township_admin":
        return "allowed" if ANY_MEMBER in access.allow or "township_admin" in access.allow \
            else "forbidden"
    return "forbidden"


def test_scoped_routes_exist(app):
    rules = {r.rule for r in scoped_rules(app)}
    assert {"/f/<fund_slug>/", "/f/<fund_slug>/public", "/t/<township_slug>/"} <= rules


@pytest.mark.parametrize("persona", PERSONAS)
def test_isolation_matrix(app, persona):
    failures = []
    for rule in scoped_rules(app):
        view = app.view_functions[rule.endpoint]
        access = view.access
        kind = "fund" if "fund_slug" in rule.arguments else "township"
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        client = app.test_client()
        if persona != "anonymous":
            if persona != "this_fund_member":
                login = LOGINS[persona]
            else:
                login = _member_login(access) if kind == "fund" else LOGINS["chair"]
            client.post("/auth/login", data={"login": login, "password": "demo-password-1"})
        response = client.open(sample_url(app, rule), method=method)
        expected = _expected(kind, access, persona)
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
