"""Outgoing email: SMTP when MAIL_SERVER is set, otherwise a file in the outbox folder.

``send_mail`` sends at once (in a worker); ``send_later`` is what a request calls: the message
goes to the jobs queue's ``send_mail`` task when the request commits, so a page never waits
for the mail server and a rolled-back request tells no one anything.
"""

import logging
import smtplib
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial

from flask import Flask, current_app

from app.database import on_commit

log = logging.getLogger(__name__)

EXTENSION = "shanlin_mail"
MAX_ATTEMPTS = 3
RETRY_DELAY = 60  # seconds before the second attempt; each later pause is BACKOFF times longer
BACKOFF = 4


def send_mail(to: str, subject: str, body: str,
              attachments: Iterable[tuple[str, str, bytes]] = ()) -> None:
    """Send one message; ``attachments`` are (file name, content type, bytes), sent unchanged.

    SMTP errors (and OSError when the server cannot be reached, ssl.SSLError when its
    certificate does not check out) reach the caller."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    for name, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=name)

    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                # Checks the server's certificate and name; starttls() alone checks neither,
                # so anyone on the path could read the receipts and the sign-in links.
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        log.info("mail to %s sent through %s: %s", to, config["MAIL_SERVER"], subject)
        return

    outbox = config["OUTBOX_DIR"]
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    log.info("no MAIL_SERVER: mail to %s written to %s\n%s", to, path, body)


def send_later(to: str, subject: str, body: str) -> None:
    """Send this message from a worker once the current transaction commits."""
    on_commit(partial(current_app.extensions[EXTENSION], to, subject, body))


def init_app(app: Flask) -> None:
    """Register the ``send_mail`` task on the app's jobs queue (web process and worker alike);
    a failed attempt (the server unreachable, an address refused) is tried again later."""
    from app.jobs import queue

    huey = queue.get(app).huey

    @huey.task(name="send_mail", retries=MAX_ATTEMPTS - 1, retry_backoff=BACKOFF,
               retry_delay=int(app.config.get("MAIL_RETRY_DELAY", RETRY_DELAY)))
    def send_mail_task(to: str, subject: str, body: str) -> None:
        with app.app_context():
            send_mail(to, subject, body)

    app.extensions[EXTENSION] = send_mail_task
