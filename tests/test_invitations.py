"""Invitations: an appointment's single-use link sets a password (or joins a signed-in
account) and signs in; expired, used, revoked and unknown links answer a clear page; every
invitation, use and refusal is in the trail; two uses at once make one success."""

import json
import re
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.audit.models import PlatformAuditEntry
from app.auth import invitations
from app.auth.models import Invitation, Membership, User
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.governance import committees
from app.notify.models import Notice
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD, received

FUND = "donggangcun"
NEW_PASSWORD = "village-lamp-42"


def _appoint(app, phone: str, role: str = "treasurer", name: str = "新经办人",
             expired: bool = False) -> str:
    """Appoint someone to 东港村 and return their invitation's token."""
    with app.app_context(), using(SYSTEM):
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        membership = committees.appoint(fund, phone, role, name=name)
        token = invitations.invite(membership, None,
                                   now=utcnow() - timedelta(days=8) if expired else None)
        db.session.commit()
        return token


def _trail(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(PlatformAuditEntry.action).where(
            PlatformAuditEntry.action.like("invitation.%")).order_by(PlatformAuditEntry.id)))


def test_invitation_shows_the_fund_and_role_and_sets_a_password_and_signs_in(app, client):
    token = _appoint(app, "13700000601")
    page = client.get(f"/invite/{token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "东港村" in body and "经办人" in body
    assert "137****0601" in body
    done = client.post(f"/invite/{token}", data={"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith(f"/f/{FUND}/")
    # Signed in, with the role: the treasurer's page opens.
    assert client.get(f"/f/{FUND}/donations/new").status_code == 200
    # And the password works from now on.
    other = app.test_client()
    assert other.post("/auth/login", data={"login": "13700000601",
                                           "password": NEW_PASSWORD}).status_code == 302
    assert _trail(app) == ["invitation.created", "invitation.used"]


def test_opening_an_invitation_writes_nothing(app, client):
    token = _appoint(app, "13700000602")
    before = _trail(app)
    assert client.get(f"/invite/{token}").status_code == 200
    assert client.get(f"/invite/{token}x").status_code == 404
    assert _trail(app) == before
    with app.app_context():
        assert db.session.scalar(select(Invitation.used_at)) is None


def test_a_short_password_is_refused_beside_the_field_and_keeps_the_link(app, client):
    token = _appoint(app, "13700000603")
    response = client.post(f"/invite/{token}", data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert client.get(f"/invite/{token}").status_code == 200  # still usable


def test_a_signed_in_account_takes_up_the_appointment(app, client, auth):
    token = _appoint(app, "13700000604", role="social_worker", name="张社工")
    auth.login(LOGINS["two_funds"])
    page = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "Take up the role" in page or "接受任命" in page
    assert client.post(f"/invite/{token}").status_code == 302
    with app.app_context():
        account = db.session.scalar(select(User).where(User.phone == LOGINS["two_funds"]))
        roles = {(m.role, m.fund.slug) for m in db.session.scalars(
            select(Membership).where(Membership.user_id == account.id))}
    assert ("social_worker", FUND) in roles
    assert client.get(f"/f/{FUND}/donations/new").status_code == 200
    assert _trail(app)[-1] == "invitation.linked"


def test_used_invitation_answers_a_clear_page_and_the_refusal_is_audited(app, client):
    token = _appoint(app, "13700000605")
    client.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    second = app.test_client()
    page = second.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "already used" in page.get_data(as_text=True) or "已经用过" in page.get_data(
        as_text=True)
    again = second.post(f"/invite/{token}", data={"password": "another-pass-1",
                                                  "confirm": "another-pass-1"})
    assert again.status_code == 410
    assert _trail(app)[-1] == "invitation.refused"
    # The second use changed nothing: the first password still signs in.
    assert app.test_client().post("/auth/login", data={
        "login": "13700000605", "password": NEW_PASSWORD}).status_code == 302


def test_expired_invitation_answers_a_clear_page(app, client):
    token = _appoint(app, "13700000606", expired=True)
    page = client.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "seven days" in page.get_data(as_text=True) or "七天" in page.get_data(as_text=True)
    assert client.post(f"/invite/{token}", data={"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD}).status_code == 410
    with app.app_context():
        entry = db.session.scalar(select(PlatformAuditEntry).where(
            PlatformAuditEntry.action == "invitation.refused"))
        assert json.loads(entry.after) == {"reason": "expired"}
        assert token not in str(entry.after)


def test_a_new_invitation_revokes_the_old_one_and_resets_the_password(app, client, auth):
    old = _appoint(app, "13700000607")
    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).join(User).where(
            User.phone == "13700000607"))
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
    client.post(f"/invite/{old}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    admin = app.test_client()
    admin.post("/auth/login", data={"login": LOGINS["this_township_admin"],
                                    "password": PASSWORD})
    response = admin.post(f"/t/luwan/funds/{fund_id}/staff/{membership_id}/invite")
    assert response.status_code == 302
    page = admin.get(response.location).get_data(as_text=True)
    new = re.search(r"/invite/([\w-]{20,})", page).group(1)
    # An unused earlier link stops working when a newer one is made.
    third = admin.post(f"/t/luwan/funds/{fund_id}/staff/{membership_id}/invite")
    assert third.status_code == 302
    revoked = app.test_client().get(f"/invite/{new}")
    assert revoked.status_code == 410
    newest = re.search(r"/invite/([\w-]{20,})",
                       admin.get(third.location).get_data(as_text=True)).group(1)
    # Using the newest sets a new password and signs the old sessions out.
    assert app.test_client().post(f"/invite/{newest}", data={
        "password": "a-new-password-9", "confirm": "a-new-password-9"}).status_code == 302
    assert client.get(f"/f/{FUND}/donations/new").status_code == 302  # signed out
    assert "invitation.revoked" in _trail(app)


def test_unknown_invitation_is_404_with_a_message(client):
    page = client.get("/invite/not-a-real-token")
    assert page.status_code == 404
    body = page.get_data(as_text=True)
    assert "not known" in body or "无法识别" in body
    assert client.post("/invite/not-a-real-token", data={}).status_code == 404


def test_ending_the_term_revokes_its_invitation(app, client, auth):
    token = _appoint(app, "13700000608")
    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).join(User).where(
            User.phone == "13700000608"))
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
    auth.login(LOGINS["this_township_admin"])
    assert client.post(f"/t/luwan/funds/{fund_id}/staff/{membership_id}/end").status_code == 302
    assert app.test_client().get(f"/invite/{token}").status_code in (404, 410)


def test_two_uses_at_once_make_one_success(app, live_server):
    token = _appoint(app, "13700000609")
    start = threading.Barrier(2)
    statuses = [None, None]

    def use(i: int, password: str):
        start.wait()
        with requests.Session() as s:
            statuses[i] = s.post(f"{live_server}/invite/{token}", allow_redirects=False,
                                 data={"password": password, "confirm": password},
                                 timeout=120).status_code

    threads = [threading.Thread(target=use, args=(i, f"password-{i}-xyz")) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert sorted(statuses) == [302, 410], statuses
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.phone == "13700000609")).all()) == 1
        assert db.session.scalar(select(Invitation.used_at)) is not None
    winner = statuses.index(302)
    assert app.test_client().post("/auth/login", data={
        "login": "13700000609", "password": f"password-{winner}-xyz"}).status_code == 302
    assert app.test_client().post("/auth/login", data={
        "login": "13700000609", "password": f"password-{1 - winner}-xyz"}).status_code == 422
    trail = _trail(app)
    assert trail.count("invitation.used") == 1 and trail.count("invitation.refused") == 1


@pytest.mark.parametrize("state", ["used", "expired", "revoked", None])
def test_gone_page_has_words_for_every_state(app, state):
    with app.test_request_context():
        from app.rendering import render

        body = render("auth/invitation_gone.html", state=state).get_data(as_text=True)
    assert "<p></p>" not in body.replace("\n", "")


@pytest.mark.config(HUEY_IMMEDIATE=True, PUBLIC_URL="https://shanlin.example")
def test_an_appointed_member_with_a_mobile_gets_the_link_by_sms_and_it_is_not_kept(
        sms_app, fake_sms, client, auth):
    auth.login(LOGINS["this_township_admin"])
    with sms_app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
    assert client.post(f"/t/luwan/funds/{fund_id}/staff", data={
        "login": "13700000302", "name": "短信委员", "role": "member"}).status_code == 302
    [message] = received(fake_sms)
    assert message["phone"] == "+8613700000302" and message["template_id"] == "2000006"
    fund, role, link = message["params"]
    assert role == "委员" and link.startswith("https://shanlin.example/")
    assert client.get(link.removeprefix("https://shanlin.example")).status_code == 200
    with sms_app.app_context(), using(SYSTEM):
        notice = db.session.scalar(select(Notice).where(Notice.template == "invitation"))
        assert notice.status == "sent" and link not in notice.text and notice.params == []
