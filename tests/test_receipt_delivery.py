"""Emailing receipts, against a real SMTP server (aiosmtpd) started by the tests: the message
arrives with the stored PDF byte for byte, in the donor's language; a failing server is tried
again with growing pauses and the failure is written on the receipt for the treasurer."""

import asyncio
import email
import re
import ssl
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.clock import local_today
from app.donations import services as donations
from app.donors import services as donors
from app.extensions import db
from app.funds.models import Fund
from app.jobs import queue
from app.mail import send_mail
from app.receipts import delivery, services
from app.receipts.models import Receipt
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, free_port

FUND = "donggangcun"


class Inbox:
    """An aiosmtpd handler keeping what arrives; ``refuse`` answers RCPT with a code first;
    ``meanwhile`` runs (in another thread) while the server holds the next message's DATA."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: list[str] = []  # answers for the next RCPTs, e.g. "451 4.3.0 Busy"
        self.meanwhile = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await asyncio.get_running_loop().run_in_executor(None, meanwhile)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox(app):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield handler
    controller.stop()


@pytest.fixture
def tls_inbox(app, tmp_path):
    """A mail server that requires STARTTLS, with a certificate of its own making."""
    certificate, key = tmp_path / "server.pem", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    handler = Inbox()
    handler.certificate = certificate
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=True)
    yield handler
    controller.stop()


@pytest.fixture
def nowhere(app):
    """A mail server that is not there: nothing listens on the port."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())


@pytest.fixture
def treasurer(client, auth):
    auth.login(LOGINS["treasurer"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    return client


def gift(app, name="王秀英", email_address="wang.xiuying@example.cn", locale="zh_Hans",
         amount="1050") -> int:
    """A confirmed cash gift to 东港村 from a new donor; the donation's id."""
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            donor = donors.create_donor(donors.DonorInput(
                name=name, email=email_address or "", locale=locale))
            donation = donations.record_offline(donations.DonationInput(
                amount=amount, channel="cash", received_on=local_today(), donor_id=donor.id),
                None)
            db.session.commit()
            return donation.id


def issue(client, donation_id: int) -> int:
    """The treasurer presses "issue"; the new receipt's id."""
    response = client.post(f"/f/{FUND}/receipts/issue/{donation_id}", data={"name": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/receipts/(\d+)$", response.location).group(1))


def row(app, receipt_id: int) -> tuple[Receipt, bytes, Fund]:
    with app.app_context(), using(SYSTEM):
        receipt = db.session.get(Receipt, receipt_id)
        data = services.file(receipt).data
        fund = db.session.get(Fund, receipt.fund_id)
        db.session.expunge_all()
        return receipt, data, fund


def attachments(message) -> list[tuple[str, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_content())
            for part in message.iter_attachments()]


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_issued_receipt_is_emailed_with_its_stored_pdf(app, treasurer, inbox):
    receipt_id = issue(treasurer, gift(app))
    receipt, stored, fund = row(app, receipt_id)

    [message] = inbox.messages
    assert message["To"] == "wang.xiuying@example.cn"
    assert fund.name in message["Subject"] and receipt.number in message["Subject"]
    assert attachments(message) == [(f"{receipt.number}.pdf", "application/pdf", stored)]
    body = message.get_body(("plain",)).get_content()
    assert receipt.number in body and fund.name in body and "1,050.00" in body
    assert f"/r/{receipt.token}" in body  # the verification page
    assert "/portal/" in body
    assert "感谢您关爱乡邻" in body  # a Chinese donor is thanked in Chinese
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 1)
    assert receipt.delivered_at is not None and receipt.delivery_error == ""

    page = treasurer.get(f"/f/{FUND}/receipts/{receipt_id}").get_data(as_text=True)
    assert "Emailed" in page and "attempts: 1" in page


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_english_speaking_donor_is_thanked_in_english(app, treasurer, inbox):
    receipt_id = issue(treasurer, gift(app, name="Li Lei", email_address="li.lei@example.com",
                                       locale="en"))
    receipt, stored, _fund = row(app, receipt_id)
    [message] = inbox.messages
    body = message.get_body(("plain",)).get_content()
    assert "Thank you for caring for your neighbours" in body and "感谢" not in body
    assert "donation receipt" in message["Subject"]
    assert attachments(message)[0][2] == stored


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_donor_without_email_gets_nothing_until_the_treasurer_sends_it(app, treasurer,
                                                                          inbox):
    receipt_id = issue(treasurer, gift(app, email_address=""))
    assert inbox.messages == [] and row(app, receipt_id)[0].delivery_status == "none"

    response = treasurer.post(f"/f/{FUND}/receipts/{receipt_id}/send", follow_redirects=True)
    assert "The donor has no email address" in response.get_data(as_text=True)
    assert inbox.messages == [] and row(app, receipt_id)[0].delivery_status == "none"


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_the_treasurer_sends_a_receipt_again(app, treasurer, inbox):
    receipt_id = issue(treasurer, gift(app))
    response = treasurer.post(f"/f/{FUND}/receipts/{receipt_id}/send", follow_redirects=True)
    assert "is being emailed to wang.xiuying@example.cn" in response.get_data(as_text=True)
    receipt, stored, _fund = row(app, receipt_id)
    assert len(inbox.messages) == 2
    assert all(attachments(m)[0][2] == stored for m in inbox.messages)
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 1)


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_void_receipt_is_not_sent(app, treasurer, inbox):
    receipt_id = issue(treasurer, gift(app))
    treasurer.post(f"/f/{FUND}/receipts/{receipt_id}/void", data={"reason": "姓名写错"})
    page = treasurer.get(f"/f/{FUND}/receipts/{receipt_id}").get_data(as_text=True)
    assert "Send by email" not in page
    response = treasurer.post(f"/f/{FUND}/receipts/{receipt_id}/send", follow_redirects=True)
    assert "A void receipt is not sent" in response.get_data(as_text=True)
    assert len(inbox.messages) == 1  # the one sent when it was issued


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_reissued_receipt_is_emailed_in_place_of_the_void_one(app, treasurer, inbox):
    first = issue(treasurer, gift(app))
    treasurer.post(f"/f/{FUND}/receipts/{first}/void", data={"reason": "姓名写错"})
    response = treasurer.post(f"/f/{FUND}/receipts/{first}/reissue", data={"name": "王秀英"})
    second = int(re.search(r"/receipts/(\d+)$", response.location).group(1))
    receipt, stored, _fund = row(app, second)
    assert [attachments(m)[0][0] for m in inbox.messages] == [
        f"{row(app, first)[0].number}.pdf", f"{receipt.number}.pdf"]
    assert attachments(inbox.messages[1])[0][2] == stored


@pytest.mark.config(HUEY_IMMEDIATE=True, MAIL_RETRY_DELAY=0)
def test_an_unreachable_server_is_tried_three_times_then_the_receipt_shows_the_failure(
        app, treasurer, nowhere):
    receipt_id = issue(treasurer, gift(app))
    receipt = row(app, receipt_id)[0]
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 3)
    assert "refused" in receipt.delivery_error.lower()
    assert receipt.delivered_at is None
    page = treasurer.get(f"/f/{FUND}/receipts/{receipt_id}").get_data(as_text=True)
    assert "Email failed" in page and "attempts: 3" in page
    assert receipt.delivery_error in page
    assert "Send by email again" in page


@pytest.mark.config(HUEY_IMMEDIATE=True, MAIL_RETRY_DELAY=0)
def test_a_server_refusing_for_now_is_tried_again_until_it_accepts(app, treasurer, inbox):
    inbox.refuse = ["451 4.3.0 Mailbox busy, try later", "451 4.3.0 Mailbox busy, try later"]
    receipt_id = issue(treasurer, gift(app))
    receipt, stored, _fund = row(app, receipt_id)
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 3)
    [message] = inbox.messages
    assert attachments(message)[0][2] == stored


@pytest.mark.config(HUEY_IMMEDIATE=True, MAIL_RETRY_DELAY=0)
def test_a_server_that_keeps_refusing_leaves_the_receipt_failed_with_its_answer(
        app, treasurer, inbox):
    inbox.refuse = ["451 4.3.0 Mailbox busy, try later"] * 3
    receipt_id = issue(treasurer, gift(app))
    receipt = row(app, receipt_id)[0]
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 3)
    assert receipt.delivery_error == "451 4.3.0 Mailbox busy, try later"
    assert inbox.messages == []


@pytest.mark.config(HUEY_IMMEDIATE=True, MAIL_RETRY_DELAY=0)
def test_a_mailbox_that_does_not_exist_is_not_tried_again(app, treasurer, inbox):
    inbox.refuse = ["550 5.1.1 No such mailbox"]
    receipt_id = issue(treasurer, gift(app))
    receipt = row(app, receipt_id)[0]
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 1)
    assert receipt.delivery_error == "550 5.1.1 No such mailbox"
    page = treasurer.get(f"/f/{FUND}/receipts/{receipt_id}").get_data(as_text=True)
    assert "550 5.1.1 No such mailbox" in page


@pytest.mark.config(HUEY_IMMEDIATE=True, MAIL_RETRY_DELAY=60)
def test_retries_wait_longer_each_time(app, treasurer, nowhere):
    huey = queue.get(app).huey
    receipt_id = issue(treasurer, gift(app))
    receipt = row(app, receipt_id)[0]
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("queued", 1)
    assert "refused" in receipt.delivery_error.lower()  # shown while it waits to try again

    pauses = []
    for _ in range(5):  # at most: a task that kept coming back would fail the test, not hang
        if not (scheduled := huey.scheduled()):
            break
        [task] = scheduled
        now = datetime.now(UTC).replace(tzinfo=None)  # huey keeps naive UTC times
        pauses.append(round((task.eta - now).total_seconds() / 60))
        [due] = huey.read_schedule(task.eta)  # as the consumer does when the time comes
        huey.execute(due, timestamp=task.eta)
    assert pauses == [1, 4]  # a minute, then four
    receipt = row(app, receipt_id)[0]
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 3)


@pytest.mark.config(HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_a_worker_sends_it_once_the_request_has_committed(app, treasurer, inbox):
    huey = queue.get(app).huey
    receipt_id = issue(treasurer, gift(app))
    with app.test_request_context(), using(SYSTEM):
        delivery.resend(db.session.get(Receipt, receipt_id))
        db.session.rollback()  # the request failed: nothing for a worker
        db.session.commit()
    assert huey.pending_count() == 1  # only the one queued by the issuing request

    with queue.ThreadWorker(app):
        deadline = time.monotonic() + 20
        while not inbox.messages:
            assert time.monotonic() < deadline, "no message arrived"
            time.sleep(0.05)
    receipt, stored, _fund = row(app, receipt_id)
    assert attachments(inbox.messages[0])[0][2] == stored
    assert receipt.delivery_status == "sent"
    assert receipt.delivered_at > datetime.now(UTC) - timedelta(minutes=1)
    assert huey.pending_count() == 0


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_unexpected_error_leaves_the_receipt_failed_not_sending(app, treasurer, inbox,
                                                                   monkeypatch):
    def broken(receipt, fund):
        raise RuntimeError("the template is gone")

    monkeypatch.setattr(delivery, "compose", broken)
    receipt_id = issue(treasurer, gift(app))
    receipt = row(app, receipt_id)[0]
    assert receipt.delivery_status == "failed"
    assert receipt.delivery_error == "RuntimeError: the template is gone"
    assert inbox.messages == []


@pytest.mark.parametrize("before", ["the treasurer pressed send", "a retry was pending"])
@pytest.mark.config(HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_two_workers_with_one_receipt_send_one_email(app, treasurer, inbox, before):
    """Two tasks for one receipt: the one queued when it was issued (or its retry, after the
    server said "busy") and the one the treasurer's button queued. A second worker takes the
    other task while the first is still talking to the mail server: the donor gets one."""
    huey = queue.get(app).huey
    if before == "a retry was pending":
        inbox.refuse = ["451 4.3.0 Mailbox busy, try later"]
    receipt_id = issue(treasurer, gift(app))
    tasks = [huey.dequeue()]
    if before == "a retry was pending":
        huey.execute(tasks.pop())  # refused: it waits on the schedule to be tried again
        assert row(app, receipt_id)[0].delivery_status == "queued"
        [retry] = huey.scheduled()
        tasks = huey.read_schedule(retry.eta)
    treasurer.post(f"/f/{FUND}/receipts/{receipt_id}/send")
    tasks.append(huey.dequeue())
    assert len(tasks) == 2 and all(t.name == "deliver_receipt" for t in tasks)

    first, second = reversed(tasks)  # the newest task first: it finds the receipt waiting
    inbox.meanwhile = lambda: huey.execute(second, timestamp=second.eta)  # the retry is due
    huey.execute(first)

    receipt, stored, _fund = row(app, receipt_id)
    [message] = inbox.messages
    assert attachments(message)[0][2] == stored
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 1)
    assert huey.pending_count() == 0 and huey.scheduled() == []


@pytest.mark.config(HUEY_IMMEDIATE=True, PUBLIC_URL="https://shanlin.example")
def test_the_links_in_the_email_are_on_the_sites_address_whatever_host_was_asked(
        app, treasurer, inbox):
    receipt_id = issue(treasurer, gift(app))  # sent in the request that issued it
    with app.test_request_context(f"/f/{FUND}/receipts/{receipt_id}/send", method="POST",
                                  headers={"Host": "evil.example"}), using(SYSTEM):
        delivery.resend(db.session.get(Receipt, receipt_id))
        db.session.commit()
    token = row(app, receipt_id)[0].token
    assert len(inbox.messages) == 2
    for message in inbox.messages:
        links = re.findall(r"https?://\S+", message.get_body(("plain",)).get_content())
        assert links == [f"https://shanlin.example/r/{token}",
                         "https://shanlin.example/portal/"]


def test_mail_goes_over_tls_only_to_a_server_whose_certificate_checks_out(app, tls_inbox,
                                                                          monkeypatch):
    with app.app_context(), pytest.raises(ssl.SSLCertVerificationError):
        send_mail("wang.xiuying@example.cn", "捐赠收据", "感谢您的捐赠。")
    assert tls_inbox.messages == []  # a self-made certificate proves nothing: nothing sent

    monkeypatch.setenv("SSL_CERT_FILE", str(tls_inbox.certificate))  # now this machine trusts it
    with app.app_context():
        send_mail("wang.xiuying@example.cn", "捐赠收据", "感谢您的捐赠。")
    [message] = tls_inbox.messages
    assert message["To"] == "wang.xiuying@example.cn"
