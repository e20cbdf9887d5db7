"""What several test modules share: the demo's tenants and sample URL values, the tests' own
kinds of job, every page of the URL map and how to fetch it, signing in (with two steps too)
and sample files. A plain module (no tests here), so that test modules never import each other.
"""

import csv
import io
import re
import threading
import time
from dataclasses import dataclass, field

import pyotp
import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import jobs
from app.auth.models import User
from app.auth.policy import allowed
from app.auth.roles import ANY_MEMBER, PUBLIC, Role
from app.donations.models import Batch, Donation
from app.donors.models import Donor
from app.donors.services import DonorInput, create_donor
from app.extensions import db
from app.funds.models import Fund
from app.governance import motions, proposals
from app.governance.models import Motion, Proposal
from app.governance.proposals import ProposalInput
from app.imports import storage
from app.jobs import services
from app.receipts.models import Receipt
from app.validation import Invalid
from tenants import SYSTEM, current_scope, fund_scope, using

from .conftest import LOGINS, PASSWORD, page_csrf_token

# --- the demo's tenants and sample URL values (the isolation matrix) ---------------------

FUND = "donggangcun"  # 东港村, in 芦湾镇
TOWNSHIP = "luwan"

# Values for URL arguments other than the slugs, read from 东港村's demo data (in its scope).
# Later features add theirs here.
SAMPLES = {
    "donor_id": lambda: db.session.scalar(select(Donor.id).order_by(Donor.id)),
    # An online gift: every donation route takes it, the public status page only such gifts.
    "donation_id": lambda: db.session.scalar(
        select(Donation.id).where(Donation.status == "confirmed", Donation.gateway.is_not(None))
        .order_by(Donation.id)),
    "batch_id": lambda: db.session.scalar(select(Batch.id).where(Batch.status == "open")),
    "kind": lambda: "designations",
    # A real, header-only upload: committing it imports nothing.
    "token": lambda: storage.save(
        db.session.scalar(select(Fund.id).where(Fund.slug == FUND)), "金额\n".encode(),
        {"filename": "sample.csv", "channel": "cash", "received_on": None}),
    "fmt": lambda: "csv",
    "job_id": lambda: finished_job(),  # a job of 东港村 that ran and left a file
    "receipt_id": lambda: db.session.scalar(
        select(Receipt.id).where(Receipt.status == "valid").order_by(Receipt.id)),
    # Governance: a project on public notice (public and member pages), the open vote, a
    # closed vote's resolution, a file, an objection, last year's round, a committee term.
    "proposal_id": lambda: _governance("proposal_id"),
    "motion_id": lambda: _governance("motion_id"),
    "resolution_id": lambda: _governance("resolution_id"),
    "file_id": lambda: _governance("file_id"),
    "objection_id": lambda: _governance("objection_id"),
    "round_id": lambda: _governance("round_id"),
    "membership_id": lambda: _governance("membership_id"),
    # Payouts and disclosure: a paid payout, its evidence (public too), a published report.
    "payout_id": lambda: _payouts("payout_id"),
    "evidence_id": lambda: _payouts("evidence_id"),
    "report_id": lambda: _payouts("report_id"),
    # Township pages: a fund of the township (its status form answers 422 to an empty POST).
    "fund_id": lambda: db.session.scalar(select(Fund.id).where(Fund.slug == FUND)),
    # A person of the township, whom its admin may sign out everywhere.
    "user_id": lambda: db.session.scalar(select(User.id).where(
        User.phone == LOGINS["secretary"])),
    # Giving: a line of 东港村's imported WeChat bill nothing matched; a collection code.
    "line_id": lambda: _giving("line_id"),
    "code_kind": lambda: _giving("code_kind"),
    # 微心愿: a wish on the wall, and the live claim's private link.
    "wish_id": lambda: _wishes("wish_id"),
    "claim_token": lambda: _wishes("claim_token"),
    # Volunteering: the activity open for sign-up (its QR token, a sign-up), a volunteer with a
    # certificate, a resident's time account.
    **{name: (lambda name=name: _volunteers(name)) for name in (
        "activity_id", "check_token", "attendance_id", "volunteer_id", "certificate_id",
        "cert_token", "account_id")},
    # 联合劝募: 芦湾镇's campaign, in which 东港村 takes part.
    "campaign_id": lambda: _campaign(),
    # 关爱发放: the voucher programme, this month's sheet, an entitlement, a shop's link and a
    # voucher's check code.
    **{name: (lambda name=name: _aid(name)) for name in (
        "programme_id", "period", "entitlement_id", "shop_token", "voucher_code")},
}


def _campaign() -> int:
    from app.demo import campaigns

    return campaigns.sample()


def _giving(name: str):
    from app.giving import demo

    return demo.sample(name)


def _aid(name: str):
    from app.demo import aid

    return aid.sample(name)


def _volunteers(name: str):
    from app.demo import volunteers

    return volunteers.sample(name)

def _wishes(name: str):
    from app.demo import wishes

    return wishes.sample(name)


def _payouts(name: str) -> int:
    from app.payouts import demo

    return demo.sample(name)


def _governance(name: str) -> int:
    from app.governance import demo

    return demo.sample(name)


PERSONAS = ["anonymous", "other_fund_member", "this_fund_member", "other_township_admin",
            "this_township_admin"]



def sample_url(app, rule, extra: dict | None = None) -> str:
    """The rule's URL with the demo's slugs and, for every other argument, a sample of 东港村:
    from ``extra`` (argument -> callable) first, then SAMPLES; each called in the fund's scope."""
    values = {"fund_slug": FUND, "township_slug": TOWNSHIP}
    samples = {**SAMPLES, **(extra or {})}
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            for argument in sorted(rule.arguments - values.keys()):
                if argument not in samples:
                    pytest.fail(f"{rule.rule}: add a sample value for <{argument}> to SAMPLES")
                values[argument] = str(samples[argument]())
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def admits(access) -> frozenset[str]:
    """The roles and tags a route's declaration admits: a fund route's from the policy table,
    a township route's its admins (and the platform's, who may do everything)."""
    if access.kind == "fund":
        return allowed(access.action)
    if access.kind == "township":
        return frozenset({Role.TOWNSHIP_ADMIN})
    return access.allow


def member_login(allow: frozenset[str]) -> str:
    """A 东港村 person holding a role the route allows (the chair for any-member routes)."""
    for role in ("chair", "treasurer", "member", "supervisor", "secretary", "social_worker"):
        if {PUBLIC, ANY_MEMBER, role} & allow:
            return LOGINS[role]
    pytest.fail(f"no demo 东港村 person holds a role in {sorted(allow)}")


def expected_outcome(kind: str, allow: frozenset[str], persona: str) -> str:
    if PUBLIC in allow:
        return "allowed"
    if kind == "township":
        return {"anonymous": "login", "this_township_admin": "allowed"}.get(persona, "forbidden")
    if persona == "anonymous":
        return "login"
    if persona == "this_fund_member":
        return "allowed"
    if persona == "this_township_admin":
        return "allowed" if ANY_MEMBER in allow or "township_admin" in allow \
            else "forbidden"
    return "forbidden"



# --- the tests' own kinds of job, registered when this module is imported ---------------

REPORT = "东港村 2026 年度汇总.csv"
# Excel's BOM, CRLF line ends and rare name characters: the download must be these bytes.
REPORT_BYTES = "\ufeff序号,姓名,金额\r\n1,王秀英,500.00\r\n2,李䶮,1\u00a0000.00\r\n".encode()

# The tests' own kinds of job. A gate lets a test look at the page while the job is running.
gate = threading.Event()
seen = {}


@jobs.task("test_report", title=_l("Donation import"), action="money.record")
def _report(job, params, progress):
    seen["scope"] = current_scope()
    progress(0, 10)
    progress(3, 10, "王秀英")
    if params.get("wait"):
        assert gate.wait(20), "the test never opened the gate"
    progress(10, 10)
    return (REPORT, "text/csv", REPORT_BYTES)


@jobs.task("test_breaks", title=_l("Donation import"), action="money.record")
def _breaks(job, params, progress):
    create_donor(DonorInput(name="半途而废"))  # business data, written and flushed
    db.session.flush()
    progress(1, 2)
    if params["how"] == "refused":
        raise jobs.JobFailed(_l("The file is empty."))
    if params["how"] == "invalid":
        raise Invalid({"name": "A donor needs a name."})
    raise RuntimeError("the disk is full")



def finished_job() -> int:
    """A 东港村 job that ran and left a file (for the isolation matrix, in the fund's scope)."""
    job = jobs.start("test_report", {})
    job_id, key = job.id, job.key
    db.session.commit()
    services.run(job_id, key)
    return job_id



# --- every page of the URL map, and fetching it (markup, Chinese pages, accessibility) ---

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
    "disclosure.board_print": "PDF (打印公示)",
    "disclosure.preview": "a report's PDF/Excel/CSV",
    "receipts.pdf": "PDF",
    "receipts.seal": "PNG",
    "portal.pdf": "PDF",
    "oversight.annual_export": "Excel",
    "oversight.slug_hint": "a fragment only (checked in FRAGMENTS)",
    "donors.search": "a fragment only (checked in FRAGMENTS)",
    "payments.status": "a fragment polled by the donate page (checked in FRAGMENTS)",
    "volunteers.certificate_pdf": "PDF",
    "volunteers.me_certificate_pdf": "PDF (for a proved number; otherwise back to the page)",
    "volunteers.activity_qr": "SVG",
    "giving.code_image": "PNG (a fund's collection code)",
    "giving.poster": "PDF (a QR poster)",
    "portal.image": "PNG (a receipt's PDF as a picture)",
    "payments.wechat_return": "a redirect back to the donate page",
    "campaigns.township_pdf": "PDF", "campaigns.township_xlsx": "Excel",
    "campaigns.fund_pdf": "PDF", "campaigns.fund_xlsx": "Excel",
    "campaigns.township_poster": "PDF (a QR poster)",
    "aid.roster_pdf": "PDF (a hand-out roster to print)", "aid.export": "Excel",
    "wishes.photo": "JPEG (a wish's photo, without faces)",
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
    allow = admits(access)
    if PUBLIC in allow:
        return "anonymous"
    if access.kind == "township":
        return "this_township_admin"
    if access.kind == "global":  # signed in, outside any fund
        return "treasurer"
    if ANY_MEMBER in allow:
        return "chair"
    return next(role for role in ROLE_ORDER if role in allow)


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


def sample(app, name: str) -> int:
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            value = SAMPLES[name]() if name in SAMPLES else _project_with_payouts()
        db.session.remove()
    return value


def _project_with_payouts() -> int:
    """A project that has payouts and still takes them (its payout form answers 422)."""
    from app.governance.models import UNDER_WAY, Proposal
    from app.payouts.models import Payout

    return db.session.scalar(select(Payout.proposal_id).join(
        Proposal, Proposal.id == Payout.proposal_id).where(
        Proposal.status.in_(UNDER_WAY)).order_by(Payout.id))


def main_pages(app) -> list[Page]:
    """Every HTML page of the URL map, opened by the demo person who would use it."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        who = {"portal.receipts": "donor", "auth.two_step": "pending_2fa"}.get(
            rule.endpoint) or _who(app, rule)
        pages.append(Page(rule.endpoint, _path(app, rule), who))
    motion = sample(app, "motion_id")
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
    motion, batch, donation = (sample(app, n) for n in ("motion_id", "batch_id", "donation_id"))
    job, project = sample(app, "job_id"), sample(app, "project")
    wish = sample(app, "wish_id")
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
        Page("wishes.wall list", f"{fund}/wishes/?show=fulfilled", **partial),
        Page("wishes.claim 422 (htmx)", f"{fund}/wishes/{wish}/claim", "anonymous", "POST",
             {"step": "code", "name": "钱多多", "phone": "0512-5888"}, status=422, **partial),
        Page("wishes.new 422", f"{fund}/wishes/new", "social_worker", "POST", {}, status=422),
        Page("wishes.handover 422", f"{fund}/wishes/{wish}/handover", "social_worker", "POST",
             {}, status=422),
    ]


# --- fetching with the test client ------------------------------------------------------

def client_for(app, who: str, lang: str = "zh"):
    client = app.test_client()
    if lang == "en":
        client.post("/lang", data={"lang": "en", "next": "/"})
    if who == "donor":
        token = portal_token_in(app)
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


def portal_token_in(app) -> str:
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
        if response.mimetype != "text/html":
            wrong.append(f"{page.name} {page.path}: {response.mimetype}, not a page: "
                         "name it in NOT_PAGES with what it answers")
            continue
        answers.append((page, response.get_data(as_text=True)))
    assert not wrong, "\n".join(wrong)
    return answers



# --- walking the URL map signed in (security, fuzzing) ---------------------------------

# Arguments of routes outside any tenant; the scoped ones come from SAMPLES.
# A township's own merchant account answers at its code (app/payments/credentials.py).
EXTRA_SAMPLES = {"gateway_name": lambda: "stripe", "township": lambda: "LUWAN"}



def route_url(app: Flask, rule) -> str:
    return sample_url(app, rule, EXTRA_SAMPLES)


def login_for(app: Flask, rule) -> str | None:
    """A demo person the route admits: a 东港村 role holder, this township's admin, or (for
    routes outside a tenant) the chair, who is signed in like anyone else."""
    allow = admits(app.view_functions[rule.endpoint].access)
    if "township_slug" in rule.arguments:
        return LOGINS["this_township_admin"]
    if "fund_slug" not in rule.arguments or {PUBLIC, ANY_MEMBER} & allow:
        return LOGINS["chair"]
    for role in ("chair", "treasurer", "member", "supervisor", "secretary", "social_worker"):
        if role in allow:
            return LOGINS[role]
    if "township_admin" in allow:
        return LOGINS["this_township_admin"]
    pytest.fail(f"{rule.rule}: no demo person holds a role in {sorted(allow)}")


def app_rules(app: Flask, method: str):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint != "static" and method in rule.methods:
            yield rule


def signed_in(app: Flask, login: str | None, token: str | None = None):
    client = app.test_client()
    if login:
        headers = {"X-CSRFToken": csrf_token(client)} if token else {}
        response = client.post("/auth/login", data={"login": login, "password": PASSWORD},
                               headers=headers)
        assert response.status_code == 302, f"login as {login} failed"
    return client


def csrf_token(client, path: str = "/auth/login") -> str:
    """The token as a page hands it to htmx."""
    return page_csrf_token(client.get(path, follow_redirects=True).get_data(as_text=True))



# --- two-step sign-in --------------------------------------------------------------------

ADMIN = LOGINS["this_township_admin"]



def totp_code(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + steps_ahead * totp.interval)


def enrol(app, client, login=ADMIN) -> tuple[str, list[str]]:
    """Sign in, enrol with the code the app would show; the secret and the recovery codes."""
    client.post("/auth/login", data={"login": login, "password": PASSWORD})
    page = client.get("/auth/security").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/auth/security", data={"code": totp_code(secret)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>",
                       response.get_data(as_text=True))
    client.post("/auth/logout")
    return secret, codes


def forget_last_step(app, login=ADMIN) -> None:
    """Let the same time step's code count again, as it would half a minute later."""
    with app.app_context(), using(SYSTEM):
        user = db.session.scalar(select(User).where(User.phone == login))
        user.totp_last_step = None
        db.session.commit()



# --- import files ---------------------------------------------------------------------

BANK_HEADER = ["交易日期", "交易流水号", "对方户名", "对方账号", "收入金额(元)", "支出金额(元)",
               "余额(元)", "摘要", "附言"]
BANK_ROWS = [  # file rows 4 to 11, under two lines of account details and the header
    ["20260105", "NS20260105001", "王建平", "6228****1234", "1,000.00", "", "81,000.00",
     "网银转入", "捐东港村慈善基金"],
    ["2026-01-08", "NS20260108002", "苏州东港机械有限公司", "3205****8888", "5000.00", "",
     "86,000.00", "转账存入", "敬老"],
    ["2026/1/10", "NS20260110003", "东港村便民超市", "6222****0009", "", "800.00",
     "85,200.00", "转账支出", "慰问品"],
    ["2026-01-12", "NS20260112004", "李秀梅", "6217****4321", "200.00", "", "85,400.00",
     "网银转入", ""],
    ["2026-01-12", "NS20260112004", "李秀梅", "6217****4321", "200.00", "", "85,600.00",
     "网银转入", ""],
    ["2026-01-15", "NS20260115005", "赵明", "6230****5678", "300.00", "", "85,900.00",
     "网银转入", ""],
    ["2026-01-18", "", "周小兵", "6228****7777", "50.00", "", "85,950.00", "现金存入", ""],
    ["合计", "", "", "", "6,750.00", "800.00", "", "", ""],
]


def bank_statement_gbk() -> bytes:
    """A statement as 农业银行 exports it: GBK, account details above the header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["中国农业银行账户交易明细"])
    writer.writerow(["账号：10-5412 0104 0001 234", "户名：苏州市吴江区慈善总会"])
    writer.writerow(BANK_HEADER)
    writer.writerows(BANK_ROWS)
    return out.getvalue().encode("gbk")



# --- governance -----------------------------------------------------------------------

def person(key: str) -> User:
    return db.session.scalar(select(User).where(User.phone == LOGINS[key]))


def new_proposal(title="村口路灯维修", amount="3600", user=None, submit=True) -> Proposal:
    return proposals.create(ProposalInput(title=title, category="environment",
                                          description="路灯坏了三盏", requested=amount),
                            user or person("member"), submit=submit)


def open_vote(**kw) -> Motion:
    return motions.open_motion(new_proposal(), person("chair"), **kw)


def fire_calls(calls, timeout: float = 120) -> list[int]:
    """Run every call (returning a response) at the same moment; their HTTP statuses, none of
    them 500."""
    start = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def run(i, call):
        start.wait()
        statuses[i] = call().status_code

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert 500 not in statuses and None not in statuses, statuses
    return statuses
