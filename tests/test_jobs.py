"""Background jobs: queued when the request commits, run by a worker under the job's fund, the
progress shown through htmx until the file is ready, failures kept readable and harmless."""

import hashlib
import html
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import jobs
from app.auth.models import User
from app.db_types import utcnow
from app.donations import services as donations
from app.donations.models import Donation
from app.donors.models import Donor
from app.extensions import db
from app.imports import reading
from app.jobs import queue, services
from app.jobs.models import Job
from app.ledger.models import LedgerEntry
from app.receipts import services as receipts
from app.validation import Invalid
from tenants import SYSTEM, current_scope, fund_scope, using

from .conftest import LOGINS, PASSWORD, shot
from .helpers import REPORT, REPORT_BYTES, gate, seen

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def treasurer(client, auth):
    auth.login(LOGINS["treasurer"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    return client


def start(app, fund, kind: str, params: dict, locale: str = "en") -> int:
    """Start a job as the treasurer would, in a request of the fund, and commit."""
    with app.test_request_context(headers={"Cookie": f"lang={locale}"}), \
            using(fund_scope(fund.id)):
        with using(SYSTEM):
            user = db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))
        job = jobs.start(kind, params, user=user, detail="2026")
        db.session.commit()
        job_id = job.id
        db.session.remove()
    return job_id


def job_row(app, fund_id: int, job_id: int) -> Job:
    # Read as the job's page does (a GET): outside a request a SQLite transaction waits for
    # the write lock, which the worker holds while the job runs (app/database.py).
    with app.app_context(), app.test_request_context(), using(fund_scope(fund_id)):
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def wait_for(app, fund_id: int, job_id: int, status: str, seconds: float = 20,
             progress: Callable[[], int] | None = None) -> Job:
    """The job once it has `status`, within `seconds`, or within `seconds` of the last time
    progress() grew."""
    deadline = time.monotonic() + seconds
    done = progress() if progress else 0
    while (job := job_row(app, fund_id, job_id)).status != status:
        if progress and (now := progress()) > done:
            deadline, done = time.monotonic() + seconds, now
        assert time.monotonic() < deadline, f"job {job_id} is {job.status}, not {status}"
        time.sleep(0.05)
    return job


def counts(app, fund_id: int) -> dict:
    with app.app_context(), using(fund_scope(fund_id)):
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Donation, Donor, LedgerEntry)}


def partial(client, url: str):
    return client.get(url, headers={"HX-Request": "true", "HX-Request-Type": "partial"})


def download(client, url: str):
    """The response with its body read, and the file it streamed from closed."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


def test_a_job_runs_in_a_worker_and_its_file_downloads_byte_for_byte(app, fund_ids, treasurer):
    gate.clear()
    job_id = start(app, fund_ids, "test_report", {"wait": True})
    url = f"/f/donggangcun/jobs/{job_id}"
    queued = partial(treasurer, url)
    assert queued.status_code == 200 and "<html" not in queued.get_data(as_text=True)
    assert "Waiting for its turn" in text_of(queued)
    assert 'hx-trigger="every 1s"' in queued.get_data(as_text=True)

    with queue.ThreadWorker(app):
        wait_for(app, fund_ids.id, job_id, "running")
        deadline = time.monotonic() + 10
        while "3 of 10 (30%)" not in text_of(running := partial(treasurer, url)):
            assert time.monotonic() < deadline, text_of(running)
            time.sleep(0.05)
        body = running.get_data(as_text=True)
        assert 'hx-trigger="every 1s"' in body and 'value="3"' in body and 'max="10"' in body
        assert "王秀英" in body and "/file" not in body
        assert treasurer.get(f"{url}/file").status_code == 404  # nothing to download yet
        gate.set()
        job = wait_for(app, fund_ids.id, job_id, "done")

    assert seen["scope"] == fund_scope(fund_ids.id)
    done = partial(treasurer, url)
    body = done.get_data(as_text=True)
    assert "hx-trigger" not in body  # the answer that stops the polling
    assert f'href="/f/donggangcun/jobs/{job_id}/file"' in body and REPORT in body
    got = download(treasurer, f"/f/donggangcun/jobs/{job_id}/file")
    assert got.status_code == 200
    assert got.data == REPORT_BYTES
    assert got.headers["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in got.headers["Content-Disposition"]
    assert "%E4%B8%9C%E6%B8%AF%E6%9D%91" in got.headers["Content-Disposition"]  # 东港村
    assert job.file_sha256 == hashlib.sha256(REPORT_BYTES).hexdigest()
    assert job.file_size == len(REPORT_BYTES) and (job.done, job.total) == (10, 10)
    stored = Path(app.config["JOBS_DIR"]) / str(fund_ids.id) / job.file_key
    assert stored.read_bytes() == REPORT_BYTES and "static" not in stored.parts
    listing = treasurer.get("/f/donggangcun/jobs/")
    assert listing.status_code == 200
    assert f"/f/donggangcun/jobs/{job_id}" in listing.get_data(as_text=True)
    assert "Done" in text_of(listing) and "李建国" in text_of(listing)


@pytest.mark.config(HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_a_job_is_queued_only_when_its_request_commits(app, fund_ids):
    huey = queue.get(app).huey
    with app.test_request_context(), using(fund_scope(fund_ids.id)):
        jobs.start("test_report", {})
        db.session.rollback()  # the request failed: no row, and nothing for a worker
        db.session.commit()
        assert huey.pending_count() == 0
        job = jobs.start("test_report", {})
        db.session.flush()
        assert huey.pending_count() == 0  # not before the row is there for the worker to read
        db.session.commit()
        assert [task.args for task in huey.pending()] == [(job.id, job.key)]
        db.session.remove()
    with app.app_context(), using(fund_scope(fund_ids.id)):
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    huey.flush()


@pytest.mark.config(HUEY_IMMEDIATE=True)
@pytest.mark.parametrize("how, message", [
    ("refused", "The file is empty."),
    ("invalid", "A donor needs a name."),
    ("broken", "The job stopped because of an unexpected error. Nothing it did was kept."),
])
def test_a_failing_job_is_marked_failed_and_keeps_nothing(app, fund_ids, treasurer, how, message):
    before = counts(app, fund_ids.id)
    job_id = start(app, fund_ids, "test_breaks", {"how": how})
    job = job_row(app, fund_ids.id, job_id)
    assert job.status == "failed" and job.finished_at is not None
    assert job.message.startswith(message)
    assert (job.done, job.total) == (1, 2)
    assert ("the disk is full" in job.error) == (how == "broken")
    assert counts(app, fund_ids.id) == before  # the donor the task created is gone
    page = treasurer.get(f"/f/donggangcun/jobs/{job_id}")
    assert "The job failed." in text_of(page) and message in text_of(page)
    assert "hx-trigger" not in page.get_data(as_text=True)
    assert "the disk is full" not in page.get_data(as_text=True)  # support sees it, not users
    assert treasurer.get(f"/f/donggangcun/jobs/{job_id}/file").status_code == 404


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_job_speaks_the_language_of_whoever_started_it(app, fund_ids):
    chinese = start(app, fund_ids, "test_breaks", {"how": "refused"}, locale="zh_Hans")
    english = start(app, fund_ids, "test_breaks", {"how": "refused"}, locale="en")
    assert job_row(app, fund_ids.id, chinese).message == "文件是空的。"
    assert job_row(app, fund_ids.id, english).message == "The file is empty."


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_another_funds_job_is_404_and_others_here_are_refused(app, client, auth, fund_ids):
    job_id = start(app, fund_ids, "test_report", {})
    assert job_row(app, fund_ids.id, job_id).status == "done"
    auth.login(LOGINS["other_fund_member"])  # 南塘村's treasurer, through 南塘村's own URLs
    for path in ("", "/file"):
        response = download(client, f"/f/{fund_ids.other_slug}/jobs/{job_id}{path}")
        assert response.status_code == 404 and REPORT not in response.get_data(as_text=True)
        assert client.get(f"/f/donggangcun/jobs/{job_id}{path}").status_code == 403
    assert "2026" not in text_of(client.get(f"/f/{fund_ids.other_slug}/jobs/"))
    auth.logout()
    auth.login(LOGINS["member"])  # a committee member does not read the fund's money work
    assert client.get(f"/f/donggangcun/jobs/{job_id}").status_code == 403
    auth.logout()
    auth.login(LOGINS["chair"])
    assert download(client, f"/f/donggangcun/jobs/{job_id}/file").data == REPORT_BYTES


def test_a_task_left_for_another_database_is_dropped(app, fund_ids):
    with app.app_context():
        services.run(987654, "0" * 32)  # no such job here: nothing happens, nothing breaks


calls = []


def _minutely_ok(now):
    calls.append(("ok", now, current_scope()))


def _minutely_broken(now):
    calls.append(("broken", now, current_scope()))
    raise RuntimeError("one task failing does not stop the others")


def test_every_minute_calls_each_registered_callable_under_the_system_scope(app):
    jobs.every_minute(_minutely_broken)
    jobs.every_minute(_minutely_ok)
    try:
        calls.clear()
        q = queue.get(app)
        assert q.every_minute.task_class().validate_datetime(datetime(2026, 3, 1, 8, 17))
        q.huey.execute(q.every_minute.s())  # what the consumer's scheduler runs each minute
        assert [(what, scope) for what, _now, scope in calls] == [
            ("broken", SYSTEM), ("ok", SYSTEM)]
        assert abs((calls[1][1] - datetime.now(UTC)).total_seconds()) < 60
    finally:
        services._MINUTELY.remove(_minutely_broken)
        services._MINUTELY.remove(_minutely_ok)


# --- the donation import: large files are committed by a job ----------------------------

def big_list(rows: int) -> bytes:
    lines = [f"2026-01-{1 + n % 28:02d},{10 + n % 90},J{n:06d},王{n}" for n in range(rows)]
    return ("日期,金额,流水号,姓名\n" + "\n".join(lines) + "\n").encode()


def upload(client, data: bytes):
    response = client.post("/f/donggangcun/imports", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "名单.csv"), "channel": "bank",
                                 "received_on": ""})
    assert response.status_code == 200, text_of(response)[:500]
    return re.search(r"/imports/([\w-]{32})/commit", response.get_data(as_text=True)).group(1)


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_large_import_is_committed_by_a_job_all_rows_together(app, fund_ids, treasurer):
    rows = reading.BACKGROUND_ROWS + 100
    before = counts(app, fund_ids.id)
    token = upload(treasurer, big_list(rows))
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert response.status_code == 302 and "/f/donggangcun/jobs/" in response.location
    page = treasurer.get(response.location)
    assert f"Donations imported: {rows}. Duplicates skipped: 0." in text_of(page)
    assert "Donation import · 名单.csv" in text_of(page)
    after = counts(app, fund_ids.id)
    assert after["Donation"] == before["Donation"] + rows
    assert after["LedgerEntry"] == before["LedgerEntry"] + rows
    job_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    assert (job_row(app, fund_ids.id, job_id).done, job_row(app, fund_ids.id, job_id).total) == (
        rows, rows)
    # The upload is spent: a second click imports nothing twice.
    assert treasurer.post(f"/f/donggangcun/imports/{token}/commit").status_code == 404


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_large_import_failing_midway_keeps_nothing_and_may_be_tried_again(
        app, fund_ids, treasurer, monkeypatch):
    token = upload(treasurer, big_list(reading.BACKGROUND_ROWS + 1))
    before = counts(app, fund_ids.id)
    record = donations.record_offline
    calls = []

    def fails_at_300(data, user, **kwargs):
        calls.append(data)
        if len(calls) == 300:
            raise Invalid({"reference": "A donation with this reference is already recorded."})
        return record(data, user, **kwargs)

    monkeypatch.setattr(donations, "record_offline", fails_at_300)
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    page = treasurer.get(response.location)
    assert ("Row 301 could not be recorded: A donation with this reference is already "
            "recorded. Nothing was imported.") in text_of(page)
    assert counts(app, fund_ids.id) == before
    monkeypatch.setattr(donations, "record_offline", record)
    again = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert "Donations imported: 501." in text_of(treasurer.get(again.location))


def test_a_small_import_is_still_committed_in_the_request(app, fund_ids, treasurer):
    token = upload(treasurer, big_list(3))
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert response.status_code == 302 and response.location.endswith("/f/donggangcun/")


def test_the_import_limit_is_ten_thousand_rows():
    data = ("日期,金额\n" + "2026-01-20,10\n" * 10001).encode()
    with pytest.raises(reading.UploadError, match="more than 10000 rows"):
        reading.read(data)
    assert len(reading.read(data.rsplit(b"2026", 1)[0])) == 10000


# --- the queue as deployed: a worker process, and Redis --------------------------------

def test_flask_jobs_worker_runs_a_large_import_and_stops_on_ctrl_c(app, fund_ids, treasurer):
    """The deployed shape: the web app queues, `flask jobs worker` (another process) runs."""
    environment = {
        **os.environ, "FLASK_APP": "wsgi.py", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUEY_FILE": str(app.config["HUEY_FILE"]), "HUEY_NAME": app.config["HUEY_NAME"],
        "JOBS_DIR": str(app.config["JOBS_DIR"]), "HUEY_URL": "", "REDIS_URL": "",
    }
    # 东港村 receipts its gifts by itself: the worker's first every-minute run would issue 200
    # receipts for the imported gifts (~16 s of PDFs), which ctrl-c rightly waits for. What
    # is tested here is the import and the stop.
    with app.app_context(), using(fund_scope(fund_ids.id)):
        row = receipts.settings(fund_ids.id)
        receipts.save_settings(fund_ids.id, issue_mode="manual", thanks=row.thanks, seal=None,
                               checker_id=row.checker_id, separate_signers=row.separate_signers)
        db.session.commit()
    rows = reading.BACKGROUND_ROWS + 1
    before = counts(app, fund_ids.id)
    token = upload(treasurer, big_list(rows))
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    job_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    assert job_row(app, fund_ids.id, job_id).status == "queued"
    worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], cwd=ROOT,
                              env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(app, fund_ids.id, job_id, "done", seconds=120)
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "Jobs worker" in output
    assert counts(app, fund_ids.id)["Donation"] == before["Donation"] + rows
    assert f"Donations imported: {rows}." in text_of(treasurer.get(response.location))


def _redis_url() -> str | None:
    try:
        import redis

        url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:
        return None


@pytest.mark.skipif(_redis_url() is None, reason="no Redis reachable")
@pytest.mark.config(HUEY_URL=_redis_url(), HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_with_redis_configured_jobs_go_through_redis(app, fund_ids, treasurer):
    from huey import RedisHuey

    huey = queue.get(app).huey
    assert isinstance(huey, RedisHuey)
    try:
        job_id = start(app, fund_ids, "test_report", {})
        assert huey.pending_count() == 1
        with queue.ThreadWorker(app):
            wait_for(app, fund_ids.id, job_id, "done")
        assert download(treasurer, f"/f/donggangcun/jobs/{job_id}/file").data == REPORT_BYTES
    finally:
        huey.storage.flush_all()


# --- in the browser ------------------------------------------------------------------

@pytest.mark.browser
def test_the_progress_bar_turns_into_the_download_link_without_a_reload(
        app, live_server, browser, fund_ids):
    gate.clear()
    job_id = start(app, fund_ids, "test_report", {"wait": True})
    page = browser.new_page(locale="en")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["treasurer"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    page.goto(f"{live_server}/f/donggangcun/jobs/{job_id}")
    page.evaluate("window.notReloaded = true")
    with queue.ThreadWorker(app):
        page.wait_for_selector("progress[value='3'][max='10']", timeout=15000)
        shot(page, "jobs-progress")
        gate.set()
        link = page.wait_for_selector("#job-file", timeout=15000)
    assert page.evaluate("window.notReloaded") is True
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == REPORT
    assert Path(download.value.path()).read_bytes() == REPORT_BYTES
    shot(page, "jobs-done")
    page.close()


# --- a worker that dies: its job is taken over (issue 14, item 9) ------------------------

def _set_running(app, fund_id: int, job_id: int, **values) -> None:
    with app.app_context(), using(fund_scope(fund_id)):
        job = db.session.get(Job, job_id)
        job.status = "running"
        for name, value in values.items():
            setattr(job, name, value)
        db.session.commit()


def test_a_running_job_that_stopped_beating_is_queued_again_and_at_last_given_up(app, fund_ids):
    from datetime import timedelta

    from app.db_types import utcnow

    silent, alive = (start(app, fund_ids, "test_report", {}) for _ in range(2))
    long_ago = utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 1)
    for job_id in (silent, alive):
        _set_running(app, fund_ids.id, job_id, started_at=long_ago)
    with app.app_context(), queue.Heartbeat(alive, job_row(app, fund_ids.id, alive).key, every=60):
        services.run_every_minute()
        silent_row = job_row(app, fund_ids.id, silent)
        assert (silent_row.status, silent_row.restarts) == ("queued", 1)
        assert job_row(app, fund_ids.id, alive).status == "running"  # its worker is alive
        _set_running(app, fund_ids.id, silent, started_at=long_ago, restarts=services.MAX_RESTARTS)
        services.run_every_minute()
    gave_up = job_row(app, fund_ids.id, silent)
    assert gave_up.status == "failed"
    assert gave_up.message.startswith("Interrupted:")  # in the language of who started it


def test_an_interrupted_job_is_run_again_by_who_may_start_it(app, fund_ids, client):
    job_id = start(app, fund_ids, "test_report", {})
    _set_running(app, fund_ids.id, job_id, restarts=services.MAX_RESTARTS)
    with app.app_context(), using(SYSTEM):
        services.take_over_stalled(utcnow() + timedelta(hours=1))
        db.session.commit()
    page, jobs_before = f"/f/{fund_ids.slug}/jobs/{job_id}", job_count(app, fund_ids.id)
    client.post("/auth/login", data={"login": LOGINS["chair"], "password": PASSWORD})
    assert "重新运行" not in client.get(page).get_data(as_text=True)  # may not start it
    assert client.post(page + "/again").status_code == 302
    assert job_count(app, fund_ids.id) == jobs_before  # refused: nothing started
    client.post("/auth/logout")
    # The treasurer started it (see start()), so may run it again.
    client.post("/auth/login", data={"login": LOGINS["treasurer"], "password": PASSWORD})
    body = client.get(page).get_data(as_text=True)
    assert "Interrupted:" in body and "重新运行" in body  # the message: the starter's language
    response = client.post(page + "/again")
    assert response.status_code == 302 and response.location.endswith(f"/jobs/{job_id + 1}")
    assert job_count(app, fund_ids.id) == jobs_before + 1
    assert job_row(app, fund_ids.id, job_id).status == "failed"  # it stays as it ended


def job_count(app, fund_id: int) -> int:
    with app.app_context(), using(fund_scope(fund_id)):
        return len(db.session.scalars(select(Job.id)).all())


def test_a_job_whose_worker_is_killed_is_finished_by_the_next_worker(app, fund_ids):
    """kill -9 in the middle of annual receipts: a new worker takes the job over and issues the
    rest, every donor once, the numbers without a gap or a repeat."""
    from app.clock import local_today
    from app.receipts import services as receipts
    from app.receipts.models import Receipt

    with app.test_request_context(method="POST"), using(fund_scope(fund_ids.id)):
        year = max(range(2024, local_today().year + 1),
                   key=lambda y: len(receipts.annual_donor_ids(y)))
        donors = receipts.annual_donor_ids(year)
        db.session.rollback()
    assert len(donors) >= 6
    environment = {
        **os.environ, "FLASK_APP": "tests.slow_worker", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUEY_FILE": str(app.config["HUEY_FILE"]), "HUEY_NAME": app.config["HUEY_NAME"],
        "JOBS_DIR": str(app.config["JOBS_DIR"]), "HUEY_URL": "", "REDIS_URL": "",
        "JOBS_HEARTBEAT_SECONDS": "0.2", "JOBS_STALE_SECONDS": "2",
    }

    def worker(slow_seconds: str):
        return subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], cwd=ROOT,
                                env={**environment, "SLOW_SECONDS": slow_seconds},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def this_years():
        # A GET's transaction: a reader beside the worker's write lock, never queued behind it.
        with app.test_request_context(), using(fund_scope(fund_ids.id)):
            return db.session.execute(select(Receipt.id, Receipt.kind, Receipt.donor_id,
                                             Receipt.sequence).where(
                Receipt.year == local_today().year)).all()

    before = {receipt.id for receipt in this_years()}
    job_id = start(app, fund_ids, "annual_receipts", {"year": year})
    first = worker("0.4")  # slowed, to be killed in the middle
    try:
        deadline = time.monotonic() + 60
        while len(this_years()) < len(before) + 2:  # mid-job: a few receipts issued
            assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()
            time.sleep(0.05)
    finally:
        first.kill()  # SIGKILL: no handler runs, the task dies with the process
        first.communicate(timeout=30)
    assert job_row(app, fund_ids.id, job_id).status == "running"
    time.sleep(2.5)  # the heartbeat is older than JOBS_STALE_SECONDS now
    second = worker("0")  # the rest at full speed
    try:
        # A minute to start and take the job over, and for each next receipt: each is a PDF,
        # slow when every core is busy (a minute for them all failed there).
        job = wait_for(app, fund_ids.id, job_id, "done", seconds=60,
                       progress=lambda: len(this_years()))
    finally:
        second.send_signal(signal.SIGINT)
        output, _ = second.communicate(timeout=60)
    assert job.restarts == 1, output
    issued = this_years()
    new = [receipt for receipt in issued if receipt.id not in before]
    assert {receipt.kind for receipt in new} == {"annual"}
    assert sorted(receipt.donor_id for receipt in new) == sorted(donors)  # each donor once
    assert sorted(receipt.sequence for receipt in issued) == list(range(1, len(issued) + 1))
