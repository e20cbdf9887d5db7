"""The donor portal as a donor uses it: signing in by an emailed link or with a receipt's
code, every receipt of theirs in every fund and nobody else's, the stored PDFs, what a
designated gift pays for, limits on guessing, signing out."""

import hashlib
import re
import subprocess
import time
from datetime import timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.http import parse_options_header

from app.clock import local_today
from app.db_types import utcnow
from app.donations import services as donations
from app.donations.models import Designation
from app.donors import services as donors
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Proposal
from app.portal import services as portal
from app.portal.models import PortalLink
from app.receipts import services as receipts
from app.receipts.models import Receipt
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS

CHEN = SimpleNamespace(name="陈俊", email="chen.jun@example.cn", phone="13812345678")
ZHOU = SimpleNamespace(name="周敏", email="zhou.min@example.cn", phone="13887654321")
CODE_RE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b")


def _code_on(pdf: bytes, tmp_path) -> str:
    """The verification code as the donor reads it off the paper."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return CODE_RE.search(text).group(1)


def _receipt(person, amount: str, designation_id=None):
    donor = donors.create_donor(donors.DonorInput(name=person.name, email=person.email,
                                                  phone=person.phone))
    gift = donations.record_offline(donations.DonationInput(
        amount=amount, channel="cash", received_on=local_today(), donor_id=donor.id,
        designation_id=designation_id), None)
    return receipts.issue(gift)


@pytest.fixture
def people(app, tmp_path):
    """陈俊 gave to 东港村 (for its elders' lunches, a project under way) and to 南塘村;
    周敏 gave to 东港村. Each has one receipt per gift, with its code printed on it."""
    with app.app_context(), using(SYSTEM):
        dgc, ntc = (db.session.scalar(select(Fund).where(Fund.receipt_prefix == p))
                    for p in ("DGC", "NTC"))
        found = SimpleNamespace(dgc=dgc.name, ntc=ntc.name)
        with using(fund_scope(dgc.id)):
            lunches = Designation(name="敬老午餐", fund_id=dgc.id)
            db.session.add(lunches)
            db.session.flush()
            db.session.add(Proposal(fund_id=dgc.id, title="东港村老年食堂午餐补贴",
                                    category="elderly", requested_fen=500000,
                                    status="in_progress", designation_id=lunches.id))
            chen_dgc = _receipt(CHEN, "200", designation_id=lunches.id)
            zhou = _receipt(ZHOU, "500")
        with using(fund_scope(ntc.id)):
            chen_ntc = _receipt(CHEN, "300")
        for key, receipt in (("chen_dgc", chen_dgc), ("chen_ntc", chen_ntc), ("zhou", zhou)):
            pdf = receipts.file(receipt).data
            setattr(found, key, SimpleNamespace(id=receipt.id, number=receipt.number, pdf=pdf,
                                                code=_code_on(pdf, tmp_path)))
        db.session.commit()
    return found


def outbox(app) -> list:
    return [message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(app.config["OUTBOX_DIR"].glob("*.eml"))]


def english(client):
    client.post("/lang", data={"lang": "en", "next": "/"})
    return client


def by_link(app, client, email: str) -> str:
    """Ask for a link and return the path it points to."""
    before = len(outbox(app))
    response = client.post("/portal/link", data={"email": email})
    assert response.status_code == 302 and response.location.endswith("/portal/")
    message = outbox(app)[before]
    return re.search(r"https?://[^/\s]+(/portal/in/\S+)",
                     message.get_body(("plain",)).get_content()).group(1)


def by_code(client, phone: str, code: str):
    return client.post("/portal/code", data={"phone": phone, "code": code})


def text_of(response) -> str:
    return response.get_data(as_text=True)


def signed_in(client) -> bool:
    return client.get("/portal/receipts").status_code == 200


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_emailed_link_shows_every_receipt_of_the_donor_in_every_fund(app, client, people):
    english(client)
    link = by_link(app, client, "  Chen.Jun@Example.CN ")
    [message] = outbox(app)
    assert message["To"] == CHEN.email

    assert "Show my receipts" in text_of(client.get(link))  # opening it spends nothing
    assert not signed_in(client)
    response = client.post(link)
    assert response.status_code == 302 and response.location.endswith("/portal/receipts")

    page = text_of(client.get("/portal/receipts"))
    assert people.chen_dgc.number in page and people.chen_ntc.number in page
    assert people.dgc in page and people.ntc in page
    assert people.zhou.number not in page and ZHOU.name not in page
    # What the designated gift pays for (art. 42): the designation, its project, how far.
    assert "敬老午餐" in page and "东港村老年食堂午餐补贴" in page and "In progress" in page
    assert "Given to it so far: ¥200.00 of ¥5,000.00 requested." in page
    # A donor is not a staff member: the fund's own pages stay closed.
    assert client.get("/f/donggangcun/receipts/").status_code == 302


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_the_answer_is_the_same_whether_or_not_a_donor_has_the_address(app, client, people):
    english(client)
    answers = []
    for email in (CHEN.email, "nobody.here@example.cn"):
        response = client.post("/portal/link", data={"email": email})
        answers.append((response.status_code, response.location,
                        re.findall(r'class="flash[^"]*"[^>]*>([^<]+)<', text_of(
                            client.get("/portal/")))))
    assert answers[0] == answers[1]
    assert "a sign-in link is on its way" in answers[0][2][0]
    assert [m["To"] for m in outbox(app)] == [CHEN.email]  # nothing sent to a stranger
    with app.app_context():
        assert db.session.scalars(select(PortalLink.email)).all() == [CHEN.email]


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_link_works_once(app, client, people):
    english(client)
    link = by_link(app, client, CHEN.email)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalar(select(PortalLink))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (stored.email, stored.token_hash)  # only its hash is kept

    client.post(link)
    assert signed_in(client)
    client.post("/portal/out")
    assert not signed_in(client)

    again = client.post(link, follow_redirects=True)
    assert "expired or was already used" in text_of(again)
    assert not signed_in(client)
    opened = client.get(link, follow_redirects=True)
    assert "expired or was already used" in text_of(opened)


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_link_older_than_30_minutes_is_refused(app, client, people):
    with app.app_context():
        token = portal.request_link(CHEN.email, now=utcnow() - timedelta(minutes=31))
        db.session.commit()
    english(client)
    assert "Show my receipts" not in text_of(client.get(f"/portal/in/{token}"))
    response = client.post(f"/portal/in/{token}", follow_redirects=True)
    assert "expired or was already used" in text_of(response)
    assert not signed_in(client)
    with app.app_context():
        fresh = portal.request_link(CHEN.email, now=utcnow() - timedelta(minutes=29))
        db.session.commit()
    client.post(f"/portal/in/{fresh}")
    assert signed_in(client)


def test_phone_and_the_code_on_a_receipt_sign_in_to_that_donor_in_that_fund(app, client,
                                                                           people):
    english(client)
    response = by_code(client, CHEN.phone, people.chen_ntc.code.lower().replace("-", " "))
    assert response.status_code == 302 and response.location.endswith("/portal/receipts")
    page = text_of(client.get("/portal/receipts"))
    assert people.chen_ntc.number in page and people.ntc in page
    # A mobile number proves nothing across funds: 东港村's receipt needs the emailed link.
    assert people.chen_dgc.number not in page and people.dgc not in page
    assert people.zhou.number not in page
    assert "sign in with an emailed link" in page
    assert client.get(f"/portal/receipts/{people.chen_ntc.id}/pdf").data == people.chen_ntc.pdf
    assert client.get(f"/portal/receipts/{people.chen_dgc.id}/pdf").status_code == 404


def test_another_funds_treasurer_cannot_open_a_donors_receipts_with_their_phone(
        app, client, auth, people, tmp_path):
    """周敏 gave to 东港村. 南塘村's treasurer types her number into a donor of 南塘村, issues
    a ¥1 receipt to it and signs in to the portal with its code: only that ¥1 receipt."""
    with app.app_context(), using(SYSTEM):
        ntc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "NTC")).slug
    auth.login(LOGINS["other_fund_member"])
    english(client)
    response = client.post(f"/f/{ntc}/donors/new", data={
        "kind": "person", "name": "周敏", "phone": ZHOU.phone, "anonymity": "show",
        "locale": "zh_Hans"})
    assert response.status_code == 302, text_of(response)
    donor_id = int(response.location.rsplit("/", 1)[1])
    response = client.post(f"/f/{ntc}/donations/new", data={
        "donor_id": donor_id, "donor_name": "周敏", "amount": "1", "channel": "cash",
        "received_on": local_today().isoformat()})
    assert response.status_code == 302, text_of(response)
    donation_id = int(response.location.rsplit("/", 1)[1])
    response = client.post(f"/f/{ntc}/receipts/issue/{donation_id}", data={"name": ""})
    assert response.status_code == 302, text_of(response)
    receipt_id = int(response.location.rsplit("/", 1)[1])
    planted = client.get(f"/f/{ntc}/receipts/{receipt_id}/pdf").data
    auth.logout()

    assert by_code(client, ZHOU.phone, _code_on(planted, tmp_path)).status_code == 302
    page = text_of(client.get("/portal/receipts"))
    assert "¥1.00" in page and people.ntc in page
    assert people.zhou.number not in page and people.dgc not in page
    assert client.get(f"/portal/receipts/{receipt_id}/pdf").data == planted
    for victims in (people.zhou, people.chen_dgc):
        response = client.get(f"/portal/receipts/{victims.id}/pdf")
        assert response.status_code == 404 and response.data != victims.pdf

    # A session cookie holding the number alone (as signing in by code used to store it)
    # opens nothing.
    with client.session_transaction() as session:
        session["portal"] = {"kind": "phone", "value": ZHOU.phone, "since": int(time.time())}
    assert client.get(f"/portal/receipts/{people.zhou.id}/pdf").status_code == 302
    assert not signed_in(client)


@pytest.mark.config(HUEY_IMMEDIATE=True, PUBLIC_URL="https://shanlin.example")
def test_the_emailed_link_is_on_the_sites_address_whatever_host_the_request_named(
        app, client, people):
    response = client.post("/portal/link", data={"email": CHEN.email},
                           headers={"Host": "evil.example"})
    assert response.status_code == 302
    [message] = outbox(app)
    body = message.get_body(("plain",)).get_content()
    assert "evil.example" not in body
    [link] = re.findall(r"https?://\S+", body)
    assert link.startswith("https://shanlin.example/portal/in/")


@pytest.mark.parametrize("whose, code", [
    ("chen", "ABCD-EFGH"),  # a wrong code
    ("chen", "receipt number"),  # the receipt's number: sequential, so never a key
    ("chen", "zhou's code"),  # another donor's code with this phone
    ("zhou", "chen's code"),  # a code with another donor's phone
    ("stranger", "chen's code"),  # a code with a number no donor has
])
def test_a_wrong_phone_and_code_pair_is_refused(app, client, people, whose, code):
    english(client)
    phone = {"chen": CHEN.phone, "zhou": ZHOU.phone, "stranger": "13700000000"}[whose]
    code = {"receipt number": people.chen_dgc.number, "zhou's code": people.zhou.code,
            "chen's code": people.chen_dgc.code}.get(code, code)
    response = by_code(client, phone, code)
    assert response.status_code == 422
    body = text_of(response)
    assert ("do not match a valid receipt" in body) or ("not the receipt number" in body)
    assert not signed_in(client)


def test_the_code_of_a_void_receipt_no_longer_signs_in(app, client, people):
    with app.app_context(), using(SYSTEM):
        receipts.void(db.session.get(Receipt, people.chen_dgc.id), "金额写错")
        db.session.commit()
    assert by_code(client, CHEN.phone, people.chen_dgc.code).status_code == 422
    assert by_code(client, CHEN.phone, people.chen_ntc.code).status_code == 302


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_guessing_a_donors_code_is_cut_short_from_any_address(app, people):
    first = app.test_client()
    for _ in range(5):
        assert by_code(first, CHEN.phone, "ABCD-EFGH").status_code == 422
    assert by_code(first, CHEN.phone, people.chen_dgc.code).status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert by_code(elsewhere, CHEN.phone, people.chen_dgc.code).status_code == 429
    assert by_code(elsewhere, ZHOU.phone, people.zhou.code).status_code == 302


@pytest.mark.config(RATELIMIT_ENABLED=True, HUEY_IMMEDIATE=True)
def test_one_address_cannot_try_many_numbers_or_ask_for_many_links(app, people):
    client = app.test_client()
    statuses = [by_code(client, f"1370000{n:04d}", "ABCD-EFGH").status_code for n in range(11)]
    assert statuses == [422] * 10 + [429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    statuses = [other.post("/portal/link", data={"email": CHEN.email}).status_code
                for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert len(outbox(app)) == 5


def test_a_donor_never_gets_another_donors_receipt(app, client, people):
    by_code(client, ZHOU.phone, people.zhou.code)
    assert client.get(f"/portal/receipts/{people.zhou.id}/pdf").data == people.zhou.pdf
    for other in (people.chen_dgc, people.chen_ntc):
        response = client.get(f"/portal/receipts/{other.id}/pdf")
        assert response.status_code == 404 and response.data != other.pdf
    assert people.chen_dgc.number not in text_of(client.get("/portal/receipts"))


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_downloads_are_the_stored_pdfs_and_a_void_one_comes_stamped(app, client, people):
    english(client)
    client.post(by_link(app, client, CHEN.email))
    for receipt in (people.chen_dgc, people.chen_ntc):
        response = client.get(f"/portal/receipts/{receipt.id}/pdf")
        assert response.status_code == 200 and response.data == receipt.pdf
        disposition = parse_options_header(response.headers["Content-Disposition"])
        assert disposition == ("attachment", {"filename": f"{receipt.number}.pdf"})
        assert response.headers["Cache-Control"] == "no-store"

    with app.app_context(), using(SYSTEM):
        voided = receipts.void(db.session.get(Receipt, people.chen_dgc.id), "金额写错")
        stamped = receipts.file(voided, "void").data
        db.session.commit()
    download = client.get(f"/portal/receipts/{people.chen_dgc.id}/pdf")
    assert download.data == stamped and download.data != people.chen_dgc.pdf
    assert "stamped 作废" in text_of(client.get("/portal/receipts"))


def test_signing_out_and_the_end_of_a_session(app, client, people):
    english(client)
    by_code(client, CHEN.phone, people.chen_dgc.code)
    assert signed_in(client)
    client.post("/portal/out")
    response = client.get("/portal/receipts")
    assert response.status_code == 302 and response.location.endswith("/portal/")
    assert client.get(f"/portal/receipts/{people.chen_dgc.id}/pdf").status_code == 302

    by_code(client, CHEN.phone, people.chen_dgc.code)
    with client.session_transaction() as session:
        session["portal"] = {**session["portal"], "since": int(time.time()) - 3601}
    response = client.get("/portal/receipts", follow_redirects=True)
    assert "Your receipts session has ended" in text_of(response)
    assert not signed_in(client)
