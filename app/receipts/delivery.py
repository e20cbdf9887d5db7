"""Emailing receipts: the stored PDF attached as it is, a thank-you in the donor's language.

``queue(receipt)`` (a new receipt) or ``resend(receipt)`` (the treasurer's button) marks the
receipt "queued"; the task goes to the jobs queue (app/jobs/queue.py) only when the caller's
transaction commits (``on_commit``), so a worker never looks for a row that is not there yet and a
rolled-back request sends nothing. A worker runs ``deliver``: it claims the receipt (``claim``:
of two tasks for one receipt, only one sends), sends the message and writes the outcome on
the receipt. A failure that may pass (the server unreachable, a 4xx answer) is
tried again later, with growing pauses, up to MAX_ATTEMPTS; a permanent refusal (5xx: no such
mailbox) or the last attempt leaves the receipt "failed" with the server's words, which the
receipt page shows.
"""

from __future__ import annotations

import logging
import smtplib
from functools import partial

from flask import Flask, current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from huey.exceptions import RetryTask
from sqlalchemy import or_, update

from app.database import on_commit
from app.db_types import utcnow
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.mail import BACKOFF, MAX_ATTEMPTS, RETRY_DELAY, send_mail
from app.money import yuan
from app.urls import external_url
from app.validation import Invalid
from tenants import fund_scope, using

from . import services
from .models import Receipt

log = logging.getLogger(__name__)

EXTENSION = "shanlin_receipt_mail"


# --- deciding and queueing (in the request; flush only) -------------------------------------

def address(receipt: Receipt) -> str | None:
    """The donor's email address now (a merged donor's kept record, if it was merged)."""
    if receipt.donor_id is None:
        return None
    donor = db.session.get(Donor, receipt.donor_id)
    if donor is not None and donor.merged_into_id:
        donor = db.session.get(Donor, donor.merged_into_id)
    return donor.email if donor is not None else None


def check(receipt: Receipt) -> str:
    """May this receipt be emailed? Returns the address; raises Invalid saying why not."""
    if receipt.is_void:
        raise Invalid({"email": _l("A void receipt is not sent. Send the receipt issued in "
                                   "its place.")})
    to = address(receipt)
    if not to:
        raise Invalid({"email": _l("The donor has no email address. Add one on the donor's "
                                   "page, then send the receipt again.")})
    return to


def resend(receipt: Receipt) -> str:
    """Email the receipt (again), as the treasurer asked. Returns the address."""
    to = check(receipt)
    receipt.delivery_status = "queued"
    receipt.delivery_attempts = 0
    receipt.delivery_error = ""
    db.session.flush()
    on_commit(partial(current_app.extensions[EXTENSION], receipt.fund_id, receipt.id))
    return to


def queue(receipt: Receipt) -> str | None:
    """Email a newly issued receipt when its donor has an email address: the address, or
    None when there is nothing to send (no address, or the receipt is void)."""
    try:
        return resend(receipt)
    except Invalid:
        return None


# --- sending (in a worker) ------------------------------------------------------------------

def compose(receipt: Receipt, fund: Fund) -> tuple[str, str]:
    """Subject and text of the message, in the language the receipt was printed in."""
    with force_locale(receipt.locale):
        subject = _("%(fund)s: donation receipt %(number)s", fund=fund.name,
                    number=receipt.number)
        amount = yuan(receipt.amount_fen)
        if receipt.kind == "annual":
            given = _("Thank you for your gifts to %(fund)s in %(year)s: %(amount)s yuan in "
                      "all.", fund=fund.name, year=receipt.year, amount=amount)
        else:
            given = _("Thank you for your gift of %(amount)s yuan to %(fund)s, received on "
                      "%(date)s.", amount=amount, fund=fund.name,
                      date=format_date(receipt.received_on, "long"))
        if receipt.purpose:
            given += "\n" + _("Your gift is designated for: %(purpose)s.",
                              purpose=receipt.purpose)
        paragraphs = [
            _("Dear %(name)s,", name=receipt.name),
            given,
            services.settings(fund.id).thanks or _(
                "Thank you for caring for your neighbours. Your gift will be used as you "
                "intended, and you may ask how at any time."),
            _("Your receipt %(number)s is attached to this email as a PDF.",
              number=receipt.number) + "\n"
            + _("Anyone holding it can check that it is genuine here:") + "\n"
            + external_url("receipts.verify", token=receipt.token),
            _("All your receipts, in every fund, and what your designated gifts are paying "
              "for:") + "\n" + external_url("portal.start"),
            " · ".join(filter(None, (fund.name, fund.host_charity))),
        ]
    return subject, "\n\n".join(paragraphs) + "\n"


# A queued receipt is in one of three states, told apart by its attempts and error:
#   waiting for its first attempt   attempts == 0
#   waiting to be tried again       attempts > 0, the last failure in delivery_error
#   being sent by a worker now      attempts > 0, delivery_error empty
# A worker claims it with one conditional UPDATE from one of the first two states into the
# third; of two workers (two presses of "send", or a retry still pending when the treasurer
# pressed it) only one UPDATE matches, so only one sends. The treasurer's button (``resend``)
# puts it back to the first state whatever it was: a worker killed while sending leaves it
# "being sent" for ever otherwise.
_CLAIMABLE = or_(Receipt.delivery_attempts == 0, Receipt.delivery_error != "")


def claim(receipt: Receipt) -> bool:
    """Take this queued receipt for one attempt: True for exactly one of the workers that
    try at once; the others (and any later one, until the attempt fails) get False."""
    attempts = receipt.delivery_attempts
    taken = db.session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.delivery_status == "queued",
               Receipt.delivery_attempts == attempts, _CLAIMABLE)
        .values(delivery_attempts=attempts + 1, delivery_error="")
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def deliver(fund_id: int, receipt_id: int) -> str:
    """One attempt to email a queued receipt; the outcome is committed on the receipt.
    Returns "sent", "failed", "retry" (RetryTask is raised to the queue) or "skipped"."""
    with using(fund_scope(fund_id)):
        receipt = db.session.get(Receipt, receipt_id)
        if receipt is None or receipt.delivery_status != "queued":
            db.session.rollback()
            return "skipped"  # sent or cancelled meanwhile, or a task for another database
        try:
            to = check(receipt)
        except Invalid as error:  # voided, or the address removed, since it was queued
            receipt.delivery_status = "failed"
            receipt.delivery_error = error.text()[:300]
            db.session.commit()
            return "failed"
        subject, body = compose(receipt, db.session.get(Fund, fund_id))
        pdf = services.file(receipt).data  # the original as issued, byte for byte
        attachment = (f"{receipt.number}.pdf", "application/pdf", pdf)
        if not claim(receipt):
            db.session.rollback()
            return "skipped"  # another worker is sending it, or sent it meanwhile
        attempt = receipt.delivery_attempts + 1
        db.session.commit()  # the claim; and no transaction (nor SQLite's lock) while sending

        try:
            send_mail(to, subject, body, [attachment])
        except (smtplib.SMTPException, OSError) as error:
            failure = error
            log.warning("receipt %s to %s not sent: %s", receipt_id, to, describe(error))
        else:
            failure = None

        receipt = db.session.get(Receipt, receipt_id)
        if failure is None:
            receipt.delivery_status, receipt.delivered_at = "sent", utcnow()
            receipt.delivery_error = ""
            outcome = "sent"
        elif (receipt.delivery_status, receipt.delivery_attempts,
              receipt.delivery_error) != ("queued", attempt, ""):
            db.session.rollback()  # the treasurer sent it again meanwhile: that send goes on
            return "skipped"
        else:
            receipt.delivery_error = describe(failure)[:300] or failure.__class__.__name__
            again = may_pass(failure) and attempt < MAX_ATTEMPTS
            receipt.delivery_status = "queued" if again else "failed"
            outcome = "retry" if again else "failed"
        db.session.commit()
    if outcome == "retry":
        raise RetryTask()  # huey queues it again after the task's pause (times BACKOFF)
    return outcome


def give_up(fund_id: int, receipt_id: int, error: Exception) -> None:
    """An unexpected error: the receipt shows "failed" (not "sending" for ever)."""
    db.session.rollback()
    with using(fund_scope(fund_id)):
        receipt = db.session.get(Receipt, receipt_id)
        if receipt is not None and receipt.delivery_status == "queued":
            receipt.delivery_status = "failed"
            receipt.delivery_error = f"{error.__class__.__name__}: {error}"[:300]
            db.session.commit()


def may_pass(error: Exception) -> bool:
    """Is another attempt worth it? Not after a 5xx answer: the server said never."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = min(code for code, _text in error.recipients.values())
    return code is None or code < 500


def describe(error: Exception) -> str:
    """The failure in the server's own words, for the treasurer and for support."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"{code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException):
        config = current_app.config
        reason = error.strerror or str(error) or error.__class__.__name__
        return f"{config.get('MAIL_SERVER')}:{config.get('MAIL_PORT')}: {reason}"
    return str(error) or error.__class__.__name__


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- the tasks on the jobs queue ------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Register the receipt task on the app's jobs queue (web process and worker alike)."""
    from app.jobs import queue as jobs_queue

    huey = jobs_queue.get(app).huey
    delay = int(app.config.get("MAIL_RETRY_DELAY", RETRY_DELAY))

    # No huey retries here: the attempts are counted on the receipt, and deliver() asks for
    # another one with RetryTask; huey then waits retry_delay, times BACKOFF each time.
    @huey.task(name="deliver_receipt", retry_delay=delay, retry_backoff=BACKOFF)
    def deliver_receipt(fund_id: int, receipt_id: int) -> None:
        with app.app_context():
            try:
                deliver(fund_id, receipt_id)
            except RetryTask:
                raise
            except Exception as error:  # a bug, not the mail server: say so, never "sending"
                log.exception("receipt %s: delivery stopped", receipt_id)
                give_up(fund_id, receipt_id, error)

    app.extensions[EXTENSION] = deliver_receipt
