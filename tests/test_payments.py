"""Online giving: the rules with a stand-in gateway, then the whole journey against localstripe.

localstripe runs as a real process; the app runs on a live port so localstripe can deliver its
signed webhooks. A gift counts only once such a webhook arrives.
"""

import io
import json
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import stripe
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.donations.models import Designation, Donation, PaymentEvent
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.ledger.models import LedgerEntry
from app.payments import services
from app.payments.gateway import (
    FAILED,
    REFUNDED,
    SUCCEEDED,
    Checkout,
    Event,
    GatewayError,
    Payment,
    Refund,
    get_gateway,
    online_gateway,
)
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, free_port

FUND = "donggangcun"
WEBHOOK_SECRET = "whsec_shanlin_test_secret"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a gateway that cannot be reached
STRIPE_NOWHERE = {"STRIPE_SECRET_KEY": "sk_test_shanlin", "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
                  "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": NOWHERE}


# ---- helpers -----------------------------------------------------------------------------

@contextmanager
def looking(app):
    """A fresh session under the system scope, to see what the app has committed."""
    with app.app_context(), using(SYSTEM):
        yield db.session


@contextmanager
def in_fund(app, slug=FUND):
    """Run services as a request of that fund would: its scope, one commit at the end."""
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == slug))
        with using(fund_scope(fund.id)):
            yield fund
            db.session.commit()


def gift(**overrides) -> services.GiftInput:
    values = dict(amount="200", name="周慧敏", phone="13812340001", anonymity="show")
    return services.GiftInput(**{**values, **overrides})


@dataclass(frozen=True)
class Gift:
    id: int
    fund_id: int
    gateway_ref: str
    amount_fen: int


def started(app, gateway, **overrides) -> Gift:
    """A pending online gift, started and committed as the donate page would."""
    with in_fund(app):
        donation, _ = services.start_gift(gift(**overrides), gateway)
        return Gift(donation.id, donation.fund_id, donation.gateway_ref, donation.amount_fen)


def ledger_of(session, donation_id: int) -> list[tuple[str, int, str]]:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.donation_id == donation_id)
                           .order_by(LedgerEntry.id))
    return [(e.kind, e.amount_fen, e.reference) for e in rows]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def sign(payload: str, secret: str = WEBHOOK_SECRET) -> dict:
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def stripe_event(event_id: str, kind: str, obj: dict) -> str:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "api_version": None,
                       "created": int(time.time()), "livemode": False,
                       "data": {"object": obj}})


class FakeGateway:
    """Stands in for a card gateway in the unit tests: remembers what it was asked."""

    online = True
    channel = "card"

    def __init__(self, name="fake"):
        self.name = name
        self.refunds: list[int] = []

    def start(self, donation, payer=None) -> Payment:
        return Payment(ref=f"pay_{donation.id}", client_secret=f"secret_{donation.id}")

    def checkout(self, payment: Payment, return_url: str = "") -> Checkout:
        return Checkout("payments/pay_stripe.html")

    def query(self, donation):
        return None

    def parse_webhook(self, body, headers) -> Event:
        raise NotImplementedError

    def refund(self, donation, amount_fen: int) -> Refund:
        self.refunds.append(amount_fen)
        return Refund(ref=f"re_{donation.id}_{len(self.refunds)}", amount_fen=amount_fen)


def event(kind, donation, n=1, **values) -> Event:
    return Event(id=f"evt_{donation.id}_{n}", type=kind, kind=kind, fund_id=donation.fund_id,
                 payment_ref=donation.gateway_ref, **values)


# ---- the rules, with a stand-in gateway ----------------------------------------------------

def test_online_gift_is_pending_until_the_gateway_confirms_it(app):
    donation = started(app, FakeGateway())
    with looking(app) as session:
        row = session.get(Donation, donation.id)
        assert (row.status, row.channel, row.gateway, row.gateway_ref) == (
            "pending", "card", "fake", f"pay_{donation.id}")
        assert row.amount_fen == 20000 and row.donor.name == "周慧敏"
        assert ledger_of(session, donation.id) == []


def test_a_bad_gift_names_every_wrong_field_and_writes_nothing(app):
    with looking(app) as session:
        before = count(session, Donation), count(session, Donor)
    with in_fund(app), pytest.raises(Invalid) as error:
        services.start_gift(gift(amount="0.5", name="", phone="12345"), FakeGateway())
    assert set(error.value.errors) == {"amount", "name", "phone"}
    with in_fund(app), pytest.raises(Invalid) as error:
        services.start_gift(gift(amount="abc", name="", phone=""), FakeGateway())
    assert set(error.value.errors) == {"amount", "name"}
    with looking(app) as session:
        assert (count(session, Donation), count(session, Donor)) == before


def test_a_returning_donor_is_found_by_phone_and_never_made_less_private(app):
    first = started(app, FakeGateway(), anonymity="caring")
    second = started(app, FakeGateway(), phone="+86 138-1234-0001", anonymity="show",
                     name="周 慧敏")
    third = started(app, FakeGateway(), phone="", email="ZHM@example.cn", anonymity="anonymous")
    fourth = started(app, FakeGateway(), phone="13812340001", email="zhm@example.cn")
    with looking(app) as session:
        rows = [session.get(Donation, d.id) for d in (first, second, third, fourth)]
        assert rows[0].donor_id == rows[1].donor_id
        assert rows[0].donor.anonymity == "caring"  # "show" later does not undo "爱心人士"
        assert rows[2].donor_id != rows[0].donor_id  # an email nobody has: someone new
        assert rows[3].donor_id == rows[0].donor_id  # the phone decides first


def test_a_fully_anonymous_gift_without_details_keeps_no_donor(app):
    donation = started(app, FakeGateway(), name="", phone="", anonymity="anonymous")
    with looking(app) as session:
        assert session.get(Donation, donation.id).donor_id is None


def test_only_an_active_purpose_of_this_fund_can_be_chosen(app):
    with in_fund(app, "nantangcun"):
        other = db.session.scalar(select(Designation.id))
    with in_fund(app), pytest.raises(Invalid) as error:
        services.start_gift(gift(designation_id=other), FakeGateway())
    assert set(error.value.errors) == {"designation"}


def test_a_succeeded_event_confirms_once_with_one_ledger_entry(app):
    gateway = FakeGateway()
    donation = started(app, gateway)
    with app.app_context():
        assert services.handle_event(gateway, event(SUCCEEDED, donation, amount_fen=20000)) \
            == "confirmed"
        db.session.commit()
        assert services.handle_event(gateway, event(SUCCEEDED, donation, amount_fen=20000)) \
            == "replayed"
        db.session.commit()
    with looking(app) as session:
        assert session.get(Donation, donation.id).status == "confirmed"
        assert ledger_of(session, donation.id) == [("donation", 20000, f"donation:{donation.id}")]
        assert count(session, PaymentEvent) == 1


def test_a_payment_of_another_amount_is_not_confirmed(app):
    gateway = FakeGateway()
    donation = started(app, gateway)
    with app.app_context():
        assert services.handle_event(gateway, event(SUCCEEDED, donation, amount_fen=100)) \
            == "amount_mismatch"
        db.session.commit()
    with looking(app) as session:
        assert session.get(Donation, donation.id).status == "pending"
        assert ledger_of(session, donation.id) == []


def test_a_declined_card_then_another_card_on_the_same_payment_counts_once(app):
    gateway = FakeGateway()
    donation = started(app, gateway)
    with app.app_context():
        assert services.handle_event(gateway, event(FAILED, donation, 1)) == "failed"
        db.session.commit()
    with looking(app) as session:
        assert session.get(Donation, donation.id).status == "failed"
    with app.app_context():
        services.handle_event(gateway, event(SUCCEEDED, donation, 2, amount_fen=20000))
        db.session.commit()
    with looking(app) as session:
        assert session.get(Donation, donation.id).status == "confirmed"
        assert [kind for kind, *_ in ledger_of(session, donation.id)] == ["donation"]


def test_an_event_naming_no_fund_of_ours_changes_nothing(app):
    gateway = FakeGateway()
    with app.app_context():
        stray = Event(id="evt_x", type=SUCCEEDED, kind=SUCCEEDED, fund_id=999999,
                      payment_ref="pay_1", amount_fen=100)
        assert services.handle_event(gateway, stray) == "not ours"
        assert services.handle_event(gateway, Event(id="evt_y", type="customer.created",
                                                    kind="other")) == "ignored"
    with looking(app) as session:
        assert count(session, PaymentEvent) == 0


def confirmed_gift(app, gateway, amount="200"):
    donation = started(app, gateway, amount=amount)
    with app.app_context():
        services.handle_event(gateway, event(SUCCEEDED, donation, 0,
                                             amount_fen=donation.amount_fen))
        db.session.commit()
    return donation


def test_a_treasurer_refund_is_checked_before_any_money_moves(app):
    gateway = FakeGateway()
    donation = confirmed_gift(app, gateway)
    with in_fund(app):
        row = db.session.get(Donation, donation.id)
        for amount, reason, field in [("300", "退回", "amount"), ("50", " ", "reason"),
                                      ("-1", "退回", "amount")]:
            with pytest.raises(Invalid) as error:
                services.refund(gateway, row, amount, reason, None)
            assert field in error.value.errors
    assert gateway.refunds == []


def test_a_refund_event_after_the_treasurers_refunds_books_nothing_twice(app):
    gateway = FakeGateway()
    donation = confirmed_gift(app, gateway)
    with in_fund(app):
        services.refund(gateway, db.session.get(Donation, donation.id), "50", "捐赠人申请", None)
    with in_fund(app):
        services.refund(gateway, db.session.get(Donation, donation.id), "150", "捐赠人申请", None)
    with app.app_context():
        total = event(REFUNDED, donation, 5, refunded_total_fen=20000)
        assert services.handle_event(gateway, total) == "refund_already_booked"
        db.session.commit()
    with looking(app) as session:
        row = session.get(Donation, donation.id)
        assert (row.status, row.refunded_fen) == ("refunded", 20000)
        refunds = [(kind, fen) for kind, fen, _ in ledger_of(session, donation.id)]
        assert refunds == [("donation", 20000), ("refund", -5000), ("refund", -15000)]


def test_a_refund_made_at_the_gateway_is_booked_from_its_event_once(app):
    gateway = FakeGateway()
    donation = confirmed_gift(app, gateway)
    refunded = event(REFUNDED, donation, 7, refunded_total_fen=3000)
    with app.app_context():
        assert services.handle_event(gateway, refunded) == "refund_booked"
        db.session.commit()
        assert services.handle_event(gateway, refunded) == "replayed"
        db.session.commit()
    with looking(app) as session:
        row = session.get(Donation, donation.id)
        assert (row.status, row.refunded_fen) == ("partially_refunded", 3000)
        assert ledger_of(session, donation.id)[-1] == ("refund", -3000,
                                                     f"{gateway.name}:{refunded.id}")


def test_offline_money_has_nothing_to_pay_online_but_can_be_given_back(app):
    offline = get_gateway(None, app.config)
    with pytest.raises(GatewayError):
        offline.start(None)
    with in_fund(app):
        cash = db.session.scalar(select(Donation).where(Donation.channel == "cash",
                                                        Donation.status == "confirmed"))
        services.refund(offline, cash, "10", "多收了", None)
        services.refund(offline, cash, "10", "多收了", None)
        references = [e.reference for e in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.donation_id == cash.id,
                                      LedgerEntry.kind == "refund"))]
    assert len(set(references)) == 2


def test_stripe_is_offered_only_when_fully_configured(app):
    assert online_gateway(app.config) is None
    assert online_gateway({**STRIPE_NOWHERE, "STRIPE_WEBHOOK_SECRET": ""}) is None
    assert online_gateway(STRIPE_NOWHERE).name == "stripe"


# ---- the pages ------------------------------------------------------------------------------

def test_without_stripe_the_donate_page_shows_how_to_give_offline(client):
    page = client.get(f"/f/{FUND}/donate")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "苏州市吴江区慈善总会" in body and "社工站捐赠站点" in body
    assert "donate-form" not in body and "js.stripe.com" not in page.headers[
        "Content-Security-Policy"]
    assert client.post(f"/f/{FUND}/donate", data={"amount": "100"}).status_code == 200


@pytest.mark.config(**STRIPE_NOWHERE)
def test_donate_form_offers_presets_and_this_funds_purposes(client):
    body = client.get(f"/f/{FUND}/donate").get_data(as_text=True)
    for preset in ("50", "100", "200", "500", "other"):
        assert f'value="{preset}"' in body
    assert "重阳敬老餐" in body and 'name="anonymity"' in body


@pytest.mark.config(**STRIPE_NOWHERE)
def test_bad_donate_input_answers_422_beside_each_field(app, client):
    with looking(app) as session:
        before = count(session, Donation)
    response = client.post(f"/f/{FUND}/donate", data={
        "amount": "other", "other_amount": "12.345", "name": "", "phone": "123",
        "anonymity": "show", "designation": "0"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="amount-error"' in body and 'id="phone-error"' in body
    with looking(app) as session:
        assert count(session, Donation) == before


@pytest.mark.config(**STRIPE_NOWHERE)
def test_an_unreachable_gateway_leaves_no_pending_gift(app, client):
    with looking(app) as session:
        before = count(session, Donation), count(session, Donor)
    response = client.post(f"/f/{FUND}/donate", data={
        "amount": "100", "name": "钱多多", "phone": "13812340099", "anonymity": "show",
        "designation": "0"})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    with looking(app) as session:
        assert (count(session, Donation), count(session, Donor)) == before


def test_status_page_polls_while_pending_and_stops_when_settled(app, client):
    gateway = FakeGateway()
    donation = started(app, gateway)
    url = f"/f/{FUND}/donate/{donation.id}/status"
    pending = client.get(url, headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    body = pending.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="donation-status"') and 'hx-trigger="every 2s"' in body
    assert "周慧敏" not in body and "13812340001" not in body  # anyone may guess this URL
    with app.app_context():
        services.handle_event(gateway, event(SUCCEEDED, donation, amount_fen=20000))
        db.session.commit()
    assert "hx-trigger" not in client.get(url).get_data(as_text=True)
    assert client.get(f"/f/{FUND}/donate/99999999/status").status_code == 404


def test_a_refund_page_for_a_pending_gift_offers_no_form(app, client, auth):
    donation = started(app, FakeGateway())
    auth.login(LOGINS["treasurer"])
    body = client.get(f"/f/{FUND}/donations/{donation.id}/refund").get_data(as_text=True)
    assert "refund-form" not in body


@pytest.mark.config(**STRIPE_NOWHERE)
def test_webhooks_with_a_bad_signature_change_nothing(app, client):
    donation = started(app, FakeGateway("stripe"))
    forged = stripe_event("evt_forged", "payment_intent.succeeded", {
        "id": f"pay_{donation.id}", "object": "payment_intent", "amount": 20000,
        "currency": "cny", "metadata": {"fund_id": str(donation.fund_id)}})
    for headers in (sign(forged, "whsec_wrong"), {"Stripe-Signature": "t=1,v1=00"}, {}):
        response = client.post("/payments/stripe/webhook", data=forged, headers=headers,
                               content_type="application/json")
        assert response.status_code == 400
    assert client.post("/payments/offline/webhook", data=forged).status_code == 400
    assert client.post("/payments/nosuch/webhook", data=forged).status_code == 404
    with looking(app) as session:
        assert session.get(Donation, donation.id).status == "pending"
        assert count(session, PaymentEvent) == 0


@pytest.mark.config(**STRIPE_NOWHERE)
def test_a_refund_event_stripe_cannot_explain_yet_is_asked_again(client):
    """A charge names no fund; when Stripe cannot be asked which, the answer makes Stripe
    send the event again later."""
    payload = stripe_event("evt_charge", "charge.refunded", {
        "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount": 100,
        "amount_refunded": 100, "currency": "cny", "metadata": {}})
    response = client.post("/payments/stripe/webhook", data=payload, headers=sign(payload))
    assert response.status_code == 503


# ---- the whole journey against localstripe ----------------------------------------------

@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    """localstripe as a process of its own, on a free port, for this module."""
    port = free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "localstripe.log").open("wb")
    executable = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen([str(executable), "--port", str(port), "--from-scratch"],
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"localstripe did not start (see {log.name})")
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)
    log.close()


class Recorder:
    """WSGI middleware keeping each webhook exactly as delivered, to replay it."""

    def __init__(self, app):
        self.app = app
        self.webhooks: list[tuple[bytes, str]] = []

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/payments/stripe/webhook":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            self.webhooks.append((body, environ.get("HTTP_STRIPE_SIGNATURE", "")))
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


@pytest.fixture
def stripe_app(app, localstripe):
    """The app on a live port, paying through localstripe, which sends it its webhooks."""
    app.config.update(STRIPE_SECRET_KEY="sk_test_shanlin", STRIPE_PUBLISHABLE_KEY="pk_test_x",
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe)
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    form = urlencode({"url": f"http://127.0.0.1:{port}/payments/stripe/webhook",
                      "secret": WEBHOOK_SECRET}).encode()
    with urllib.request.urlopen(f"{localstripe}/_config/webhooks/shanlin", data=form):
        pass
    yield recorder
    server.shutdown()
    thread.join(5)


@pytest.fixture
def card_network(localstripe):
    """Stripe as the donor's browser (Stripe.js) talks to it: a card, then confirming."""
    http = stripe.RequestsClient()
    client = stripe.StripeClient("sk_test_browser", base_addresses={"api": localstripe},
                                 http_client=http)
    yield client
    http.close()


def pay(card_network, intent_id: str, number: str):
    method = card_network.v1.payment_methods.create({"type": "card", "card": {
        "number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}})
    card_network.v1.payment_intents.update(intent_id, {"payment_method": method.id})
    return card_network.v1.payment_intents.confirm(intent_id)


def give(app, client, **form) -> Donation:
    data = {"amount": "200", "name": "周慧敏", "phone": "13812340001", "anonymity": "caring",
            "designation": "0", **form}
    response = client.post(f"/f/{FUND}/donate", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert 'id="payment-element"' in body and "data-client-secret=\"pi_" in body
    assert "https://js.stripe.com" in response.headers["Content-Security-Policy"]
    with looking(app) as session:
        donation = session.scalar(select(Donation).order_by(Donation.id.desc()))
        assert donation.status == "pending" and donation.gateway_ref.startswith("pi_")
        return donation


def wait_for_status(app, donation_id: int, wanted: str) -> Donation:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with looking(app) as session:
            donation = session.get(Donation, donation_id)
            if donation.status == wanted:
                return donation
        time.sleep(0.1)
    pytest.fail(f"donation {donation_id} never became {wanted}")


def test_card_gift_is_confirmed_by_the_webhook_only(app, client, stripe_app, card_network):
    donation = give(app, client)
    status = f"/f/{FUND}/donate/{donation.id}/status"
    assert 'hx-trigger="every 2s"' in client.get(status).get_data(as_text=True)

    assert pay(card_network, donation.gateway_ref, "4242424242424242").status == "succeeded"
    wait_for_status(app, donation.id, "confirmed")
    with looking(app) as session:
        assert ledger_of(session, donation.id) == [("donation", 20000, f"donation:{donation.id}")]
        assert session.get(Donation, donation.id).donor.anonymity == "caring"
    assert "hx-trigger" not in client.get(status).get_data(as_text=True)
    assert stripe.api_key is None and stripe.api_base == "https://api.stripe.com"

    # Stripe sends an event again when unsure it arrived: the very same bytes change nothing.
    body, signature = stripe_app.webhooks[-1]
    again = client.post("/payments/stripe/webhook", data=body,
                        headers={"Stripe-Signature": signature},
                        content_type="application/json")
    assert again.status_code == 200 and again.get_json()["outcome"] == "replayed"
    tampered = client.post("/payments/stripe/webhook", data=body.replace(b"20000", b"90000"),
                           headers={"Stripe-Signature": signature},
                           content_type="application/json")
    assert tampered.status_code == 400
    with looking(app) as session:
        assert len(ledger_of(session, donation.id)) == 1
        assert count(session, PaymentEvent) == 1


def test_declined_card_leaves_a_failed_gift_and_no_money(app, client, stripe_app, card_network):
    donation = give(app, client, amount="other", other_amount="88.50")
    with pytest.raises(stripe.CardError):
        pay(card_network, donation.gateway_ref, "4000000000000341")
    failed = wait_for_status(app, donation.id, "failed")
    assert failed.amount_fen == 8850
    with looking(app) as session:
        assert ledger_of(session, donation.id) == []
    page = client.get(f"/f/{FUND}/donate/{donation.id}/status").get_data(as_text=True)
    assert "hx-trigger" not in page and f"/f/{FUND}/donate" in page


def test_treasurer_refunds_in_two_parts_and_the_refund_event_books_nothing_more(
        app, client, auth, stripe_app, card_network):
    donation = give(app, client)
    pay(card_network, donation.gateway_ref, "4242424242424242")
    wait_for_status(app, donation.id, "confirmed")

    auth.login(LOGINS["treasurer"])
    url = f"/f/{FUND}/donations/{donation.id}/refund"
    assert 'value="200"' in client.get(url).get_data(as_text=True)
    too_much = client.post(url, data={"amount": "250", "reason": "捐赠人申请退款"})
    assert too_much.status_code == 422 and 'id="amount-error"' in too_much.get_data(as_text=True)

    first = client.post(url, data={"amount": "50", "reason": "捐赠人申请部分退款"})
    assert first.status_code == 302
    assert first.location.endswith(f"/f/{FUND}/donations/{donation.id}")
    with looking(app) as session:
        row = session.get(Donation, donation.id)
        assert (row.status, row.refunded_fen) == ("partially_refunded", 5000)
    assert client.post(url, data={"amount": "150", "reason": "项目取消"}).status_code == 302

    intent = card_network.v1.payment_intents.retrieve(donation.gateway_ref).to_dict()
    charge = card_network.v1.charges.retrieve(intent["latest_charge"]["id"]).to_dict()
    assert charge["amount_refunded"] == 20000  # the money really went back at the gateway

    # localstripe sends no refund events: send the one Stripe would, signed like Stripe.
    payload = stripe_event("evt_refunded_all", "charge.refunded", {
        **{k: charge[k] for k in ("id", "amount", "amount_refunded", "currency")},
        "object": "charge", "payment_intent": donation.gateway_ref, "metadata": {}})
    response = client.post("/payments/stripe/webhook", data=payload, headers=sign(payload))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "refund_already_booked"
    with looking(app) as session:
        row = session.get(Donation, donation.id)
        assert (row.status, row.refunded_fen) == ("refunded", 20000)
        assert [(kind, fen) for kind, fen, _ in ledger_of(session, donation.id)] == [
            ("donation", 20000), ("refund", -5000), ("refund", -15000)]
        refund_refs = [ref for kind, _, ref in ledger_of(session, donation.id) if kind == "refund"]
        assert all(ref.startswith("re_") for ref in refund_refs)
