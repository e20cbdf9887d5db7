"""Notices: one way to tell a person something, by the channel they can be reached on.

    notify(user, "vote_opened", fund=fund, title=motion.title, deadline=motion.deadline,
           link=external_url("governance.motion", fund_slug=fund.slug, motion_id=motion.id))
    db.session.commit()      # the notice is sent by a worker once this commits

A person is reached the way they can be: a mobile number -> SMS, when this deployment has an
SMS account and the template an approved id (sms.ready); else an email address -> email; else
the server log (a phone-only person on a deployment without SMS: the notices page says so).
Instead of a person, an address may be given: a mainland mobile number or an email address
(a villager's, on an objection); anything else is refused.

Sending is receipt mail's way (app/receipts/delivery.py). ``notify`` writes the notice
"queued" and puts the ``deliver_notice`` task on the jobs queue when the caller commits. A
worker claims the notice with one UPDATE (queued -> sending: of two workers only one
matches), commits, sends with no transaction open, and writes the outcome: "sent"; "queued"
again after a failure that may pass (tried again after a growing pause, up to MAX_ATTEMPTS);
"failed" otherwise, with the provider's words. A worker killed while sending leaves it
"sending": it is never sent again, since it may have arrived.

A mobile number gets at most NOTICE_SMS_PER_DAY messages a day (Asia/Shanghai), counted over
every fund when a notice is claimed; one more is "refused" and stays on the list as such.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import partial

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from huey.exceptions import RetryTask
from sqlalchemy import func, select, update

from app.auth.models import User
from app.auth.services import mask_contact, normalize_email, normalize_phone
from app.clock import LOCAL, local_today
from app.database import on_commit
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.mail import BACKOFF, MAX_ATTEMPTS, RETRY_DELAY, send_mail
from app.receipts.delivery import describe, may_pass
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from . import sms
from .messages import TEMPLATES, when
from .models import Notice, NoticeChannel, NoticeStatus

log = logging.getLogger(__name__)

EXTENSION = "shanlin_notices"
SMS, EMAIL, LOG = NoticeChannel
QUEUED, SENDING, SENT, FAILED, REFUSED = NoticeStatus
SMS_LOCALE = "zh_Hans"  # the provider's templates are approved in Chinese


# --- deciding and queueing (in the request; flush only) -------------------------------------

def notify(to: User | str, key: str, *, fund: Fund, **values) -> Notice:
    """Tell a person (or a mobile number or email address) something of this fund's, by the
    channel they can be reached on. ``values`` fill the template's parameters (all but the
    fund's name; a datetime is written as a deadline). Sent once the caller's transaction
    commits."""
    template = TEMPLATES[key]
    user = to if isinstance(to, User) else None
    channel, recipient = route(to, key)
    locale = user.locale if channel == EMAIL and user is not None else SMS_LOCALE
    with force_locale(locale):  # a deadline reads as the message around it: 12月9日18:00
        values = {name: when(value) if isinstance(value, datetime) else value
                  for name, value in {**values, "fund": fund.name}.items()}
        subject = str(template.subject) % values
        text = sign() + str(template.text) % values
    notice = Notice(fund_id=fund.id, channel=channel, recipient=recipient, user_id=user and user.id,
                    template=key, params=[str(values[name]) for name in template.params],
                    subject=subject[:200], text=text[:1000], status=QUEUED)
    db.session.add(notice)
    db.session.flush()
    on_commit(partial(current_app.extensions[EXTENSION], fund.id, notice.id))
    return notice


def route(to: User | str, key: str) -> tuple[str, str]:
    """The channel and the address a notice of this template reaches this person on."""
    if isinstance(to, User):
        phone, email = to.phone, to.email
    else:
        phone, email = address(to)
    if phone and sms.ready(key):
        return SMS, phone
    if email:
        return EMAIL, email
    return LOG, phone or ""


def address(value: str) -> tuple[str | None, str | None]:
    """(mobile number, None) or (None, email address); Invalid for anything else."""
    if "@" in value:
        return None, normalize_email(value)
    phone = normalize_phone(value)
    if phone is None:
        raise Invalid({"phone": _l("This is not a mainland mobile number (11 digits, "
                                   "beginning 13 to 19).")})
    return phone, None


def sign() -> str:
    """The sign name every message begins with, as the provider prints it: 【善邻】."""
    return f"【{current_app.config['SMS_SIGN_NAME']}】"


def masked(notice: Notice) -> str:
    return mask_contact(notice.recipient) if notice.recipient else ""


def words(notice: Notice) -> str:
    """What the notices page shows of a notice: its text, but of one that carries a one-time
    code only the subject, so that nobody reading the list can use the code."""
    template = TEMPLATES.get(notice.template)
    return notice.subject if template is not None and template.private else notice.text


# --- sending (in a worker) ------------------------------------------------------------------

def claim(notice_id: int) -> bool:
    """Take this queued notice for one attempt: True for exactly one of the workers trying at
    once; the others (and any later one, until the attempt fails) get False."""
    taken = db.session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.status == QUEUED)
        .values(status=SENDING, attempts=Notice.attempts + 1, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def over_limit(notice: Notice, now: datetime | None = None) -> bool:
    """Has this notice's mobile number had its SMS for today (in every fund)? Holds the
    number until commit, so two workers never both take the last one."""
    if notice.channel != SMS:
        return False
    _hold(notice.recipient)
    day_began = datetime.combine(local_today(now), time(), LOCAL).astimezone(UTC)
    with using(SYSTEM):  # one person, many funds: the limit is the person's, not the fund's
        sent_today = db.session.scalar(select(func.count()).select_from(Notice).where(
            Notice.recipient == notice.recipient, Notice.channel == SMS,
            Notice.status.in_((SENDING, SENT)), Notice.claimed_at >= day_began))
    return sent_today >= current_app.config["NOTICE_SMS_PER_DAY"]


def _hold(recipient: str) -> None:
    """PostgreSQL: a lock on the number until commit (SQLite's writer holds the database)."""
    if db.session.connection().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(recipient.encode()).digest()[:8], "big",
                             signed=True)
        db.session.execute(select(func.pg_advisory_xact_lock(key)))


def deliver(fund_id: int, notice_id: int) -> str:
    """One attempt to send a queued notice; the outcome is committed on the notice. Returns
    "sent", "failed", "refused", "retry" (RetryTask is raised to the queue) or "skipped"."""
    with using(fund_scope(fund_id)):
        notice = db.session.get(Notice, notice_id)
        if notice is None or notice.status != QUEUED:
            db.session.rollback()
            return "skipped"  # sent or given up meanwhile, or a task for another database
        if over_limit(notice):
            notice.status = REFUSED
            db.session.commit()
            return "refused"
        message = Message.of(notice)  # read now: after the commit, a read would begin again
        if not claim(notice_id):
            db.session.rollback()
            return "skipped"  # another worker is sending it
        db.session.commit()  # the claim; and no transaction (nor SQLite's lock) while sending

        try:
            reference = send(message)
        except (sms.SmsError, smtplib.SMTPException, OSError) as error:
            failure = error
            log.warning("notice %s to %s not sent: %s", notice_id,
                        mask_contact(message.recipient), error)
        else:
            failure = None

        notice = db.session.get(Notice, notice_id)
        if failure is None:
            notice.status, notice.sent_at = SENT, utcnow()
            notice.provider_ref, notice.last_error = reference, ""
            if TEMPLATES[notice.template].private:  # a code or a link that was sent is not kept
                notice.params, notice.text = [], notice.subject
        else:
            notice.last_error = (describe(failure) or failure.__class__.__name__)[:300]
            again = passing(failure) and notice.attempts < MAX_ATTEMPTS
            notice.status = QUEUED if again else FAILED
        outcome = notice.status
        db.session.commit()
    if outcome == QUEUED:
        raise RetryTask()  # huey queues it again after the task's pause (times BACKOFF)
    return outcome


@dataclass(frozen=True)
class Message:
    """What a channel needs of a notice, read before the claim commits."""

    id: int
    channel: str
    recipient: str
    template: str
    params: list[str]
    subject: str
    text: str

    @classmethod
    def of(cls, notice: Notice) -> Message:
        return cls(notice.id, notice.channel, notice.recipient, notice.template,
                   list(notice.params), notice.subject, notice.text)


def send(message: Message) -> str:
    """Hand the message to its channel; the provider's reference (SMS), else ""."""
    if message.channel == SMS:
        return sms.send(message.recipient, message.template, message.params)
    if message.channel == EMAIL:
        send_mail(message.recipient, message.subject, message.text + "\n")
        return ""
    log.info("notice %s (no SMS set up) for %s: %s", message.id,
             mask_contact(message.recipient or "-"), message.text)
    return ""


def passing(error: Exception) -> bool:
    """Is another attempt worth it?"""
    return error.passing if isinstance(error, sms.SmsError) else may_pass(error)


def give_up(fund_id: int, notice_id: int, error: Exception) -> None:
    """An unexpected error: the notice shows "failed" (not "sending" for ever)."""
    db.session.rollback()
    with using(fund_scope(fund_id)):
        notice = db.session.get(Notice, notice_id)
        if notice is not None and notice.status in (QUEUED, SENDING):
            notice.status = FAILED
            notice.last_error = f"{error.__class__.__name__}: {error}"[:300]
            db.session.commit()


# --- the task on the jobs queue -------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Register the notice task on the app's jobs queue (web process and worker alike), and
    say at startup which way messages to mobile numbers go."""
    from app.jobs import queue

    if not sms.configured(app.config):
        log.warning("SMS is not set up (SMS_SECRET_ID, SMS_SECRET_KEY, SMS_SDK_APP_ID): "
                    "notices to mobile numbers are written to the log")
    elif missing := sms.unregistered(TEMPLATES, app.config):
        log.warning("SMS_TEMPLATES has no template id for %s: these notices to mobile numbers "
                    "go by email, or only to the log", ", ".join(missing))
    huey = queue.get(app).huey

    # No huey retries: the attempts are counted on the notice, and deliver() asks for another
    # one with RetryTask; huey then waits retry_delay, times BACKOFF each time.
    @huey.task(name="deliver_notice", retry_backoff=BACKOFF,
               retry_delay=int(app.config.get("NOTICE_RETRY_DELAY", RETRY_DELAY)))
    def deliver_notice(fund_id: int, notice_id: int) -> None:
        with app.app_context():
            try:
                deliver(fund_id, notice_id)
            except RetryTask:
                raise
            except Exception as error:  # a bug, not the provider: say so, never "sending"
                log.exception("notice %s: delivery stopped", notice_id)
                give_up(fund_id, notice_id, error)

    app.extensions[EXTENSION] = deliver_notice
