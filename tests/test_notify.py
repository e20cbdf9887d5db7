"""Notices: a member with a mobile number gets an SMS through Tencent Cloud's own SDK, at a fake
endpoint (tests/fake_sms.py, a process of its own) that checks each request's TC3 signature as
the service does; refusals are retried, a notice is sent once, a number gets a limited number
a day, a wrong number is refused, and without SMS the log takes the message."""

import ast
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.auth import services as accounts
from app.auth.models import User
from app.config import _pairs
from app.extensions import db
from app.funds.models import Fund
from app.i18n import LANG_COOKIE
from app.jobs import queue
from app.notify import messages, notify, services, sms
from app.notify.models import Notice
from app.urls import external_url
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import APP_ID, LOGINS, SECRET_ID, SECRET_KEY, TEMPLATES, received

FUND = "donggangcun"
FRESH_QUEUE = {"HUEY_NAME": f"shanlin-test-{uuid.uuid4().hex[:8]}"}


def person(login: str) -> User:
    return db.session.scalar(select(User).where(User.phone == login))


def tell(app, to, slug: str = FUND, **headers) -> int:
    """notify() in a request of the fund (as a view would), committed; the notice's id."""
    with app.test_request_context(f"/f/{slug}/", method="POST", headers=headers):
        fund = db.session.scalar(select(Fund).where(Fund.slug == slug))
        with using(fund_scope(fund.id)):
            if isinstance(to, str) and to in LOGINS.values():
                to = person(to)
            notice = notify(to, "vote_opened", fund=fund, title="村道路灯",
                            deadline=datetime(2026, 12, 9, 10, 0, tzinfo=UTC),
                            link=external_url("disclosure.board", fund_slug=slug))
            notice_id = notice.id
            db.session.commit()
    return notice_id


def stored(app, notice_id: int) -> Notice:
    with app.app_context(), using(SYSTEM):
        notice = db.session.get(Notice, notice_id)
        db.session.expunge(notice)
        return notice


@pytest.mark.config(HUEY_IMMEDIATE=True, PUBLIC_URL="https://shanlin.example")
def test_a_member_with_a_mobile_gets_an_sms_through_the_sdk(sms_app, fake_sms):
    # Asked by someone reading the site in English: the SMS is the Chinese template's all the same.
    notice_id = tell(sms_app, LOGINS["member"], Host="evil.example",
                     Cookie=f"{LANG_COOKIE}=en")

    [message] = received(fake_sms)
    link = f"https://shanlin.example/f/{FUND}/public"  # the site's address, not the Host asked
    assert message["phone"] == "+86" + LOGINS["member"]
    assert (message["sign"], message["template_id"], message["app_id"]) == \
        ("善邻", "2000001", APP_ID)
    assert message["params"] == ["东港村社区慈善基金", "村道路灯", "12月9日18:00", link]
    notice = stored(sms_app, notice_id)
    assert (notice.channel, notice.status, notice.attempts) == ("sms", "sent", 1)
    assert notice.provider_ref == message["serial"]
    assert notice.text == ("【善邻】东港村社区慈善基金：“村道路灯”表决已开始，"
                           f"请于12月9日18:00前投票 {link}")


@pytest.mark.config(**FRESH_QUEUE)
def test_a_wrong_secret_is_refused_and_the_retry_goes_through_once_it_is_put_right(
        sms_app, fake_sms):
    huey = queue.get(sms_app).huey
    sms_app.config["SMS_SECRET_KEY"] = "a-key-from-another-account"
    notice_id = tell(sms_app, LOGINS["member"])

    huey.execute(huey.dequeue())  # the fake recomputes the signature and refuses it
    notice = stored(sms_app, notice_id)
    assert (notice.status, notice.attempts) == ("queued", 1)
    assert notice.last_error.startswith("AuthFailure.SignatureFailure")
    assert received(fake_sms) == []

    sms_app.config["SMS_SECRET_KEY"] = SECRET_KEY
    [retry] = huey.scheduled()
    [task] = huey.read_schedule(retry.eta)
    huey.execute(task, timestamp=task.eta)
    notice = stored(sms_app, notice_id)
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 2, "")
    assert len(received(fake_sms)) == 1


@pytest.mark.config(HUEY_IMMEDIATE=True, NOTICE_RETRY_DELAY=0)
def test_a_secret_that_stays_wrong_leaves_the_notice_failed_after_three_attempts(sms_app,
                                                                                fake_sms):
    sms_app.config["SMS_SECRET_KEY"] = "a-key-from-another-account"
    notice = stored(sms_app, tell(sms_app, LOGINS["member"]))
    assert (notice.status, notice.attempts) == ("failed", 3)
    assert notice.last_error.startswith("AuthFailure.SignatureFailure")
    assert received(fake_sms) == []


def test_the_fake_endpoint_refuses_a_stale_timestamp_as_the_service_does(sms_app, monkeypatch):
    from tencentcloud.common import abstract_client

    ten_minutes_ago = time.time() - 600
    monkeypatch.setattr(abstract_client, "time", SimpleNamespace(time=lambda: ten_minutes_ago))
    with sms_app.app_context(), pytest.raises(sms.SmsError) as refused:
        sms.send(LOGINS["member"], "vote_opened", ["东港村", "村道路灯", "12月9日18:00", "x"])
    assert refused.value.code == "AuthFailure.SignatureExpire"


@pytest.mark.config(**FRESH_QUEUE)
def test_two_workers_claiming_one_notice_at_once_take_it_once(sms_app):
    notice_id = tell(sms_app, LOGINS["member"])
    fund_id = stored(sms_app, notice_id).fund_id
    start = threading.Barrier(2)
    taken = []

    def worker():
        with sms_app.app_context(), using(fund_scope(fund_id)):
            start.wait()
            taken.append(services.claim(notice_id))
            db.session.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == [False, True]
    assert (stored(sms_app, notice_id).status, stored(sms_app, notice_id).attempts) == \
        ("sending", 1)


@pytest.mark.config(**FRESH_QUEUE)
def test_a_second_task_for_a_notice_being_sent_sends_nothing(sms_app, fake_sms, monkeypatch):
    """Two tasks for one notice (a task may run twice): the second runs while the first is
    talking to the provider; the person gets one message."""
    huey = queue.get(sms_app).huey
    notice_id = tell(sms_app, LOGINS["member"])
    fund_id = stored(sms_app, notice_id).fund_id
    first = huey.dequeue()
    sms_app.extensions[services.EXTENSION](fund_id, notice_id)
    second = huey.dequeue()
    outcomes = []
    real_send = sms.send

    def send_while_the_second_runs(*args):
        with sms_app.app_context():
            outcomes.append(services.deliver(fund_id, notice_id))
        return real_send(*args)

    monkeypatch.setattr(sms, "send", send_while_the_second_runs)
    huey.execute(first)
    assert outcomes == ["skipped"]
    assert second.name == "deliver_notice"
    huey.execute(second)
    assert len(received(fake_sms)) == 1
    assert (stored(sms_app, notice_id).status, stored(sms_app, notice_id).attempts) == ("sent", 1)


@pytest.mark.config(HUEY_IMMEDIATE=True, NOTICE_SMS_PER_DAY=2)
def test_a_number_gets_at_most_the_days_limit_over_every_fund(sms_app, fake_sms):
    """陈美玲 sits on two funds' committees: the limit is hers, not each fund's."""
    first = tell(sms_app, LOGINS["two_funds"])
    second = tell(sms_app, LOGINS["two_funds"], slug="nantangcun")
    third = tell(sms_app, LOGINS["two_funds"])
    others = tell(sms_app, LOGINS["member"])

    assert [stored(sms_app, n).status for n in (first, second, third, others)] == \
        ["sent", "sent", "refused", "sent"]
    assert stored(sms_app, third).attempts == 0  # refused before any attempt: nothing sent
    phones = [m["phone"] for m in received(fake_sms)]
    assert phones.count("+86" + LOGINS["two_funds"]) == 2


@pytest.mark.parametrize("number", ["12345678901", "1380013800", "138001380001", "138-0013-800",
                                    "13８００１３８０００", "1٣٨٠٠١٣٨٠٠٠"])
@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_number_that_is_not_a_mainland_mobile_number_is_refused(sms_app, fake_sms, number):
    with sms_app.app_context(), using(SYSTEM):
        before = db.session.scalar(select(func.count(Notice.id)))  # the demo's votes told some
    with pytest.raises(Invalid) as refused:
        tell(sms_app, number)
    assert "phone" in refused.value.errors
    with sms_app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(func.count(Notice.id))) == before
    assert accounts.normalize_phone(number) is None


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_villagers_number_typed_with_spaces_or_86_is_reached(sms_app, fake_sms):
    notice = stored(sms_app, tell(sms_app, "+86 138 0013 8000"))
    assert (notice.channel, notice.recipient, notice.status) == ("sms", "13800138000", "sent")
    assert [m["phone"] for m in received(fake_sms)] == ["+8613800138000"]


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_without_sms_a_phone_only_member_is_told_in_the_log_and_email_goes_by_email(
        caplog, app):
    assert not sms.configured(app.config)  # no SMS_* in the test environment
    assert "SMS is not set up" in "".join(r.message for r in caplog.get_records("setup"))
    with app.app_context(), using(SYSTEM):
        accounts.create_user("周晓明", "a-long-password", email="zhou@example.cn")
        db.session.commit()
    caplog.set_level("INFO", logger="app.notify.services")
    by_log = stored(app, tell(app, LOGINS["member"]))
    by_mail = stored(app, tell(app, "zhou@example.cn"))

    assert (by_log.channel, by_log.status) == ("log", "sent")
    assert by_log.text in caplog.text
    assert LOGINS["member"] not in caplog.text and "139****0013" in caplog.text
    assert (by_mail.channel, by_mail.status) == ("email", "sent")
    [mail] = list(app.config["OUTBOX_DIR"].glob("*.eml"))
    assert "zhou@example.cn" in mail.read_text()


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_the_secretary_sees_the_notices_with_numbers_masked(app, client, auth):
    tell(app, LOGINS["member"])
    auth.login(LOGINS["secretary"])
    page = client.get(f"/f/{FUND}/notices/").get_data(as_text=True)
    assert "张桂兰" in page and "139****0013" in page and LOGINS["member"] not in page
    assert "“村道路灯”表决已开始" in page
    assert "本站尚未配置短信" in page  # and says why it went to the log
    auth.logout()
    auth.login(LOGINS["member"])  # a committee member does not run the fund's messages
    assert client.get(f"/f/{FUND}/notices/").status_code == 403


@pytest.mark.config(HUEY_IMMEDIATE=True, **FRESH_QUEUE)
def test_opening_a_vote_texts_every_member_with_a_mobile(sms_app, fake_sms, client):
    from app.governance.models import Elector, Motion, Proposal

    sms_app.config["SMS_TEMPLATES"] = {**TEMPLATES, "objection_decided": "2000004"}
    with sms_app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            pid = db.session.scalar(select(Proposal.id).where(Proposal.status == "discussion"))
    client.post("/auth/login", data={"login": LOGINS["chair"], "password": "demo-password-1"})
    response = client.post(f"/f/{FUND}/proposals/{pid}/motions", data={"kind": "proposal"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    with sms_app.app_context(), using(fund_scope(fund_id)):
        motion = db.session.scalar(select(Motion).where(Motion.proposal_id == pid,
                                                        Motion.status == "open"))
        phones = {"+86" + e.user.phone for e in db.session.scalars(select(Elector).where(
            Elector.motion_id == motion.id)) if e.user.phone}
    texts = {m["phone"]: m for m in received(fake_sms)}
    assert phones and phones <= set(texts)  # every member with a mobile, phone-only ones too
    assert f"已短信通知 {len(phones)} 位" in page  # the chair is told the truth


@pytest.mark.config(HUEY_IMMEDIATE=True, **FRESH_QUEUE)
def test_a_villager_who_objected_is_texted_the_decision(sms_app, fake_sms, client):
    from app.governance.models import Objection

    sms_app.config["SMS_TEMPLATES"] = {**TEMPLATES, "objection_decided": "2000004"}
    with sms_app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            objection = db.session.scalar(select(Objection).where(Objection.status == "open"))
            objection_id, phone = objection.id, objection.phone
    client.post("/auth/login", data={"login": LOGINS["chair"], "password": "demo-password-1"})
    response = client.post(f"/f/{FUND}/objections/{objection_id}/decide",
                           data={"decision": "dismiss", "note": "已核实，费用合理"})
    assert response.status_code == 302
    assert "+86" + phone in {m["phone"] for m in received(fake_sms)}


# --- every notice the code sends has its template, and the deployment an id for it ------------

APP_DIR = Path(__file__).resolve().parents[1] / "app"
GUIDE = APP_DIR.parent / "docs" / "deploy.md"


def notices_sent() -> list[tuple[str, set[str], str]]:
    """(template, the values given, where) for each notify() call under app/: its template as
    a literal, or forwarded by a helper from its callers' literals (motions._tell)."""
    def name(call: ast.Call) -> str:
        return getattr(call.func, "id", None) or getattr(call.func, "attr", "")

    found = []
    for path in APP_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for helper in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            params = [a.arg for a in helper.args.args]
            for call in (n for n in ast.walk(helper) if isinstance(n, ast.Call)):
                if name(call) != "notify":
                    continue
                given = {k.arg for k in call.keywords} - {"fund"}
                where = f"{path.relative_to(APP_DIR.parent)}:{call.lineno}"
                key = call.args[1]
                if isinstance(key, ast.Constant):
                    found.append((key.value, given, where))
                    continue
                assert isinstance(key, ast.Name) and key.id in params, where
                forwarded = [c.args[params.index(key.id)] for c in calls
                             if name(c) == helper.name]
                assert forwarded, where
                for literal in forwarded:
                    assert isinstance(literal, ast.Constant), where
                    found.append((literal.value, given, where))
    return found


def test_every_notice_the_code_sends_has_a_template_given_all_its_parameters():
    sent = notices_sent()
    # The scan sees the notices sent directly and those a helper forwards.
    assert {"wish_claimed_money", "phone_code", "vote_opened", "vote_reminder"} <= {
        key for key, _given, _where in sent}
    for key, given, where in sent:
        assert key in messages.TEMPLATES, where
        assert given == set(messages.TEMPLATES[key].params) - {"fund"}, (key, where)


def test_the_deployment_guide_gives_every_template_an_sms_id():
    """SMS_TEMPLATES is the deployment's: what the guide leaves out a real deployment leaves
    without an id, and its notices never go by SMS. (wish_claimed_money was left out; the
    wish tests run without an SMS account saw its notice only in the log.)"""
    listed = re.search(r"SMS_TEMPLATES`.*?`(\w+=<id>(?:,\w+=<id>)*)`", GUIDE.read_text())
    ids = _pairs(listed.group(1))
    assert set(ids) == set(messages.TEMPLATES)
    assert sms.unregistered(messages.TEMPLATES, {"SMS_TEMPLATES": ids}) == []


@pytest.fixture
def startup_warnings(monkeypatch) -> list[str]:
    """What the app warns of as it starts (asked before `app`): recorded off the logger, as
    alembic's fileConfig, run when the test database is built, replaces logging's handlers."""
    said = []
    monkeypatch.setattr(services.log, "warning", lambda message, *args: said.append(message % args))
    return said


@pytest.mark.config(SMS_SECRET_ID=SECRET_ID, SMS_SECRET_KEY=SECRET_KEY, SMS_SDK_APP_ID=APP_ID,
                    SMS_TEMPLATES={**TEMPLATES, "wish_claimed": "2000007"})
def test_a_deployment_missing_a_templates_id_is_told_at_startup(startup_warnings, app):
    [named] = [re.search(r"no template id for (.*?):", said).group(1)
               for said in startup_warnings if "SMS_TEMPLATES" in said]
    assert set(named.split(", ")) == set(messages.TEMPLATES) - {*TEMPLATES, "wish_claimed"}
    assert "wish_claimed_money" in named.split(", ")
