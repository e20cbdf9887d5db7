"""Every main page is valid HTML: the Nu checker (vnu.jar) reads them all in one run.

The pages are found in the URL map, not listed by hand: every GET route is either a page here
(with the demo person who would open it) or named in NOT_PAGES with the reason. htmx fragments
and 422 form re-renders are checked too, each wrapped in a minimal document.
htmx attributes are written data-hx-* (htmx 4 reads both spellings), the valid form.
The browser test (test_accessibility_browser.py) runs axe-core over the same pages.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyotp
import pytest
from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import ANY_MEMBER, PUBLIC
from app.extensions import db
from app.funds.models import Fund
from app.receipts.models import Receipt
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, PASSWORD
from .test_isolation_matrix import FUND, SAMPLES, TOWNSHIP, sample_url

DEFAULT_VNU = (Path(__file__).resolve().parent.parent
               / ".venv/node/node_modules/vnu-jar/build/dist/vnu.jar")

# GET routes that answer something other than an HTML page, or no page of their own.
NOT_PAGES = {
    "static": "files",
    "main.healthz": "JSON",
    "donations.export": "CSV/Excel download",
    "governance.file": "an uploaded file",
    "governance.resolution_pdf": "PDF",
    "jobs.file": "a job's file",
    "payouts.file": "an evidence file",
    "disclosure.public_file": "an evidence file",
    "disclosure.report_file": "a report's PDF/Excel/CSV",
    "disclosure.preview": "a report's PDF/Excel/CSV",
    "receipts.pdf": "PDF",
    "receipts.seal": "PNG",
    "portal.pdf": "PDF",
    "oversight.annual_export": "Excel",
    "oversight.slug_hint": "a fragment only (checked in FRAGMENTS)",
    "donors.search": "a fragment only (checked in FRAGMENTS)",
    "payments.status": "a fragment polled by the donate page (checked in FRAGMENTS)",
}

ROLE_ORDER = ("treasurer", "chair", "member", "supervisor", "secretary", "social_worker")


@dataclass(frozen=True)
class Page:
    """One request: who makes it, and what it must answer."""

    name: str
    path: str
    # a LOGINS key, "anonymous", "donor" (signed in to the portal) or "pending_2fa" (the
    # platform admin, enrolled in two-step sign-in, between the password and the code)
    who: str = "anonymous"
    method: str = "GET"
    data: dict = field(default_factory=dict)
    partial: bool = False  # sent as htmx would: HX-Request-Type: partial
    status: int = 200
    lang: str = "zh"


def _who(app, rule) -> str:
    access = app.view_functions[rule.endpoint].access
    if PUBLIC in access.allow:
        return "anonymous"
    if access.kind == "township":
        return "this_township_admin"
    if access.kind == "global":  # signed in, outside any fund
        return "treasurer"
    if ANY_MEMBER in access.allow:
        return "chair"
    return next(role for role in ROLE_ORDER if role in access.allow)


def _portal_token() -> str:
    from app.portal import demo, services

    with using(SYSTEM):
        token = services.request_link(demo.EMAIL)
        db.session.commit()
    return token


SPECIAL = {"receipts.verify", "portal.enter", "auth.reset_password",
           "invitations.open_invitation"}  # tokens made per run


def _special(app, endpoint: str) -> str | None:
    """Values for arguments the isolation matrix's samples do not cover."""
    if endpoint == "receipts.verify":
        with using(SYSTEM):
            return db.session.scalar(select(Receipt.token).where(Receipt.status == "valid")
                                     .order_by(Receipt.id))
    if endpoint == "portal.enter":
        return _portal_token()
    if endpoint == "auth.reset_password":
        from app.auth import services

        with using(SYSTEM):
            user = db.session.scalar(select(User).where(User.phone == LOGINS["member"]))
            return services.reset_token(user, app.config["SECRET_KEY"])
    if endpoint == "invitations.open_invitation":  # the member's appointment, invited anew
        from app.auth import invitations
        from app.auth.models import Membership

        with using(SYSTEM):
            membership = db.session.scalar(select(Membership).join(User).where(
                User.phone == LOGINS["member"]))
            token = invitations.invite(membership, None)
            db.session.commit()
            return token
    return None


def _path(app, rule) -> str:
    return sample_url(app, rule, {"token": lambda: _special(app, rule.endpoint)}
                      if rule.endpoint in SPECIAL else None)


def _sample(app, name: str) -> int:
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            value = SAMPLES[name]() if name in SAMPLES else _project_with_payouts()
        db.session.remove()
    return value


def _project_with_payouts() -> int:
    from app.payouts.models import Payout

    return db.session.scalar(select(Payout.proposal_id).order_by(Payout.id))


def main_pages(app) -> list[Page]:
    """Every HTML page of the URL map, opened by the demo person who would use it."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        who = {"portal.receipts": "donor", "auth.two_step": "pending_2fa"}.get(
            rule.endpoint) or _who(app, rule)
        pages.append(Page(rule.endpoint, _path(app, rule), who))
    motion = _sample(app, "motion_id")
    pages += [
        Page("main.home (signed in)", "/", "two_funds"),
        Page("main.home (township admin)", "/", "this_township_admin"),
        Page("governance.motion (a member's ballot)", f"/f/{FUND}/motions/{motion}", "member"),
        Page("funds.workspace (English)", f"/f/{FUND}/", "member", lang="en"),
        Page("disclosure.board (English)", f"/f/{FUND}/public", lang="en"),
        Page("governance.motion (English)", f"/f/{FUND}/motions/{motion}", "member", lang="en"),
    ]
    return pages


def fragments(app) -> list[Page]:
    """htmx answers (blocks of a page) and 422 re-renders of invalid forms."""
    fund = f"/f/{FUND}"
    motion, batch, donation = (_sample(app, n) for n in ("motion_id", "batch_id", "donation_id"))
    job, project = _sample(app, "job_id"), _sample(app, "project")
    partial = {"partial": True}
    return [
        Page("donations.index results", f"{fund}/donations/?channel=wechat", "treasurer",
             **partial),
        Page("donors.search picker", f"{fund}/donors/search?q=王", "treasurer", **partial),
        Page("donors.index results", f"{fund}/donors/?q=王", "treasurer", **partial),
        Page("receipts.index results", f"{fund}/receipts/?q=1", "treasurer", **partial),
        Page("governance.motion tally", f"{fund}/motions/{motion}", "chair", **partial),
        Page("governance.vote ballot", f"{fund}/motions/{motion}/vote", "member", "POST",
             {"choice": "yes"}, **partial),
        Page("governance.vote 422", f"{fund}/motions/{motion}/vote", "member", "POST",
             {"choice": ""}, status=422, **partial),
        Page("donations.add_row entry", f"{fund}/batches/{batch}/rows", "treasurer", "POST",
             {"donor_name": "", "amount": "50"}, **partial),
        Page("donations.add_row 422", f"{fund}/batches/{batch}/rows", "treasurer", "POST",
             {"donor_name": "", "amount": "abc"}, status=422, **partial),
        Page("jobs.show progress", f"{fund}/jobs/{job}", "treasurer", **partial),
        Page("oversight.slug_hint", f"/t/{TOWNSHIP}/funds/slug?name=上河村",
             "this_township_admin", **partial),
        Page("payments.status", f"{fund}/donate/{donation}/status", **partial),
        Page("oversight.workspace table", f"/t/{TOWNSHIP}/", "this_township_admin", **partial),
        Page("audit.fund_trail results", f"{fund}/audit", "chair", **partial),
        Page("payouts.index list", f"{fund}/payouts/", "treasurer", **partial),
        Page("auth.login 422", "/auth/login", "anonymous", "POST",
             {"login": LOGINS["member"], "password": "wrong"}, status=422),
        Page("donations.new 422", f"{fund}/donations/new", "treasurer", "POST", {}, status=422),
        Page("donations.new 422 (htmx)", f"{fund}/donations/new", "treasurer", "POST", {},
             status=422, **partial),
        Page("donations.open_batch 422", f"{fund}/batches/", "treasurer", "POST", {},
             status=422),
        Page("donors.new 422", f"{fund}/donors/new", "treasurer", "POST", {}, status=422),
        Page("governance.propose 422", f"{fund}/propose", "anonymous", "POST", {},
             status=422),
        Page("governance.new_proposal 422", f"{fund}/proposals/new", "chair", "POST", {},
             status=422),
        Page("payouts.new 422", f"{fund}/payouts/new?proposal={project}", "treasurer", "POST", {},
             status=422),
        Page("oversight.new_fund 422", f"/t/{TOWNSHIP}/funds/new", "this_township_admin",
             "POST", {}, status=422),
        Page("portal.link 422", "/portal/link", "anonymous", "POST", {"email": "nope"},
             status=422),
        Page("auth.reset_request 422", "/auth/reset", "anonymous", "POST", {"login": ""},
             status=422),
    ]


# --- fetching with the test client ------------------------------------------------------

def client_for(app, who: str, lang: str = "zh"):
    client = app.test_client()
    if lang == "en":
        client.post("/lang", data={"lang": "en", "next": "/"})
    if who == "donor":
        token = _portal_token_in(app)
        assert client.post(f"/portal/in/{token}").status_code == 302
    elif who == "pending_2fa":
        response = client.post("/auth/login", data={"login": enrol_in_two_step(app),
                                                     "password": PASSWORD})
        assert response.location == "/auth/code"
    elif who != "anonymous":
        response = client.post("/auth/login", data={"login": LOGINS[who], "password": PASSWORD})
        assert response.status_code == 302, f"login as {who} failed"
    return client


def enrol_in_two_step(app) -> str:
    """Turn on two-step sign-in for the platform admin (once per app); their login."""
    login = LOGINS["platform_admin"]
    if not app.extensions.get("test_two_step_enrolled"):
        client = app.test_client()
        client.post("/auth/login", data={"login": login, "password": PASSWORD})
        page = client.get("/auth/security").get_data(as_text=True)
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
        response = client.post("/auth/security", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 200, "enrolment in two-step sign-in failed"
        app.extensions["test_two_step_enrolled"] = True
    return login


def _portal_token_in(app) -> str:
    with app.app_context():
        token = _portal_token()
        db.session.remove()
    return token


def fetch(app, pages: list[Page]) -> list[tuple[Page, str]]:
    """Each page's HTML, checking its status; one client per person and language."""
    clients, answers, wrong = {}, [], []
    for page in pages:
        key = (page.who, page.lang)
        if key not in clients:
            clients[key] = client_for(app, page.who, page.lang)
        headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if page.partial else {}
        response = clients[key].open(page.path, method=page.method, data=page.data,
                                     headers=headers)
        if response.status_code != page.status:
            wrong.append(f"{page.name} {page.method} {page.path} as {page.who}: "
                         f"{response.status_code} (expected {page.status}) "
                         f"{response.location or ''}")
            continue
        answers.append((page, response.get_data(as_text=True)))
    assert not wrong, "\n".join(wrong)
    return answers


def as_document(page: Page, html: str) -> str:
    """A fragment inside the smallest valid document, in the context htmx swaps it into."""
    if html.lstrip().lower().startswith("<!doctype"):
        return html
    body = html
    if re.match(r"\s*<tr[\s>]", html):
        body = f"<table><tbody>{html}</tbody></table>"
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{page.name}</title></head><body>{body}</body></html>")


# --- the Nu HTML checker -------------------------------------------------------------------

def vnu_jar() -> Path:
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_VNU)
    if not os.environ.get("VNU_JAR") and not jar.exists():
        pytest.skip("the Nu HTML checker is not installed (make test installs vnu-jar)")
    if not jar.exists():
        pytest.fail(f"VNU_JAR={jar} does not exist")
    if not shutil.which("java"):
        pytest.fail("java is missing: the Nu HTML checker needs a JRE (apt-get install "
                    "default-jre-headless)")
    return jar




def vnu_errors(jar: Path, files: dict[Path, str]) -> list[str]:
    """Run the checker once over every file; its errors as 'page: line N: message'."""
    result = subprocess.run(
        ["java", "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json",
         *map(str, files)], capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu checker gave no report (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    by_path = {str(path.resolve()): name for path, name in files.items()}
    errors = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = message.get("url", "")
        name = by_path.get(unquote(urlparse(url).path), url)
        errors.append(f"{name}: line {message.get('lastLine', '?')}: {message['message']}"
                      f" [{message.get('extract', '').strip()[:120]}]")
    return errors


def test_every_get_route_is_a_page_or_says_why_not(app):
    """A new page joins the markup and axe checks without anyone listing it."""
    paged = {page.name for page in main_pages(app)}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES:
            assert rule.endpoint in paged, rule.endpoint


def test_main_pages_fragments_and_form_errors_are_valid_html(app, tmp_path):
    jar = vnu_jar()
    pages = main_pages(app) + fragments(app)
    files = {}
    for number, (page, html) in enumerate(fetch(app, pages)):
        path = tmp_path / f"{number:03d}.html"
        path.write_text(as_document(page, html), encoding="utf-8")
        files[path] = f"{page.name} ({page.method} {page.path} as {page.who}, {page.lang})"
    assert len(files) >= 60
    errors = vnu_errors(jar, files)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)
