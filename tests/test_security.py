"""Security, walked over the URL map so a new route is covered without being listed: pages
that keep to the Content-Security-Policy, CSRF on every POST, uploads judged by their bytes,
downloads that never leave their folder.
"""

import hashlib
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.config import VAR_DIR
from app.extensions import db
from app.funds.models import Fund
from app.security import CSP
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS
from .helpers import FUND, TOWNSHIP, app_rules, csrf_token, login_for, route_url, signed_in

# POST routes that take no CSRF token, and why. Nothing else may join this list quietly.
CSRF_EXEMPT = {
    "payments.webhook": "the gateway signs its events; it has no session to steal",
}


# --- Content-Security-Policy: nothing inline ------------------------------------------------

class InlineFinder(HTMLParser):
    """What script-src 'self' / style-src 'self' would block: inline scripts and styles,
    event-handler attributes, javascript: URLs."""

    URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster",
                 *(f"{prefix}hx-{verb}" for prefix in ("", "data-")
                   for verb in ("get", "post", "put", "patch", "delete"))}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name in self.URL_ATTRS and value and \
                    re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not dict(attrs).get("src"):
            self.problems.append("<script> without src")
        if tag in ("script", "style"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in and data.strip():
            self.problems.append(f"<{self._in}> with a body")


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


def test_the_inline_finder_sees_what_the_policy_blocks():
    bad = ('<script>alert(1)</script><a href=" javascript:x">a</a><img src=x onerror="y">'
           '<p style="color:red">p</p><style>p{}</style><script src="/s.js"></script>')
    assert len(inline_problems(bad)) == 6
    assert inline_problems('<script src="/static/a.js" defer></script><a href="/x">x</a>') == []


def test_the_policy_allows_nothing_inline():
    assert "script-src 'self';" in CSP and "style-src 'self';" in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP


def html_pages(app: Flask):
    """Every GET route, as a person it admits, that answers HTML."""
    clients = {}
    for rule in app_rules(app, "GET"):
        login = login_for(app, rule)
        if login not in clients:
            clients[login] = signed_in(app, login)
        url = route_url(app, rule)
        response = clients[login].get(url)
        if response.mimetype == "text/html":
            yield rule, url, response


def test_every_page_keeps_to_the_content_security_policy(app):
    failures, seen = [], 0
    for rule, url, response in html_pages(app):
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if response.status_code in (301, 302, 303):
            continue
        seen += 1
        assert response.headers["Content-Security-Policy"], url
        problems = inline_problems(response.get_data(as_text=True))
        if problems:
            failures.append(f"{rule.rule}: {sorted(set(problems))}")
    for url in ("/no-such-page", f"/f/{FUND}/no-such-page"):  # error pages too
        problems = inline_problems(app.test_client().get(url).get_data(as_text=True))
        if problems:
            failures.append(f"{url}: {sorted(set(problems))}")
    assert seen > 50, f"only {seen} pages rendered: the walk is broken"
    assert not failures, "\n".join(failures)


def test_htmx_partials_keep_to_the_policy_too(app):
    client = signed_in(app, LOGINS["treasurer"])
    for path in ("donations/", "donors/", "receipts/", "ledger", "batches/"):
        response = client.get(f"/f/{FUND}/{path}",
                              headers={"HX-Request": "true", "HX-Request-Type": "partial"})
        assert response.status_code == 200
        assert inline_problems(response.get_data(as_text=True)) == [], path


def test_every_response_carries_the_usual_headers(app, client):
    for response in (client.get("/"), client.get("/no-such-page"), client.get("/healthz"),
                     client.post("/auth/login", data={})):
        headers = response.headers
        assert headers["Content-Security-Policy"] == CSP
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "HX-Request-Type" in headers["Vary"]
    assert "Strict-Transport-Security" not in client.get("/").headers  # http in the tests


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_hsts_when_cookies_are_secure(client):
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


# --- CSRF on every POST ---------------------------------------------------------------------

def post_rules(app: Flask):
    # Signing out last, so the client is still signed in for everything else.
    def signs_out(rule) -> bool:
        return rule.rule.endswith(("/logout", "/out"))

    return sorted(app_rules(app, "POST"), key=lambda rule: (signs_out(rule), rule.rule))


def snapshot() -> dict[str, str]:
    """A digest of every table's rows and of the files under var/: any write changes it."""
    digests = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        digests[table.name] = hashlib.sha256(
            repr(sorted(map(repr, rows))).encode()).hexdigest()
    files = sorted(str(p.relative_to(VAR_DIR)) for p in VAR_DIR.rglob("*") if p.is_file()
                   and not p.name.startswith("huey"))
    digests["files"] = hashlib.sha256(repr(files).encode()).hexdigest()
    return digests


def state(app: Flask) -> dict[str, str]:
    with app.app_context(), using(SYSTEM):
        try:
            return snapshot()
        finally:
            db.session.remove()


def is_csrf_refusal(response) -> bool:
    return response.status_code == 400 and response.mimetype == "text/html"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_every_post_without_a_token_is_refused_and_writes_nothing(app):
    rules = list(post_rules(app))
    targets = [(rule, route_url(app, rule)) for rule in rules]
    clients = {}
    for rule, _url in targets:
        login = login_for(app, rule)
        if login not in clients:
            clients[login] = signed_in(app, login, token=True)
    before = state(app)
    failures = []
    for rule, url in targets:
        client = clients[login_for(app, rule)]
        plain = client.post(url, data={"reason": "x", "amount": "1"})
        htmx = client.post(url, data={"reason": "x"}, headers={
            "HX-Request": "true", "HX-Request-Type": "partial", "X-CSRFToken": ""})
        wrong = client.post(url, data={"csrf_token": "forged"},
                            headers={"HX-Request": "true", "X-CSRFToken": "forged.token"})
        exempt = rule.endpoint in CSRF_EXEMPT
        for kind, response in (("form", plain), ("htmx", htmx), ("forged", wrong)):
            if is_csrf_refusal(response) == exempt:
                failures.append(f"{kind} POST {url}: {response.status_code}")
    after = state(app)
    changed = [name for name in before if before[name] != after[name]]
    assert not failures, "\n".join(failures)
    assert changed == [], f"a refused POST wrote to {changed}"
    assert len(rules) > 50


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_every_post_with_the_pages_token_gets_past_the_check(app):
    failures = []
    for rule in post_rules(app):
        if rule.endpoint in CSRF_EXEMPT:
            continue
        client = signed_in(app, login_for(app, rule), token=True)
        url = route_url(app, rule)
        token = csrf_token(client, "/")
        by_header = client.post(url, data={}, headers={"X-CSRFToken": token, "HX-Request": "true",
                                                       "HX-Request-Type": "partial"})
        token = csrf_token(client, "/")  # signing out, for one, starts a new session
        by_field = client.post(url, data={"csrf_token": token})
        for kind, response in (("header", by_header), ("field", by_field)):
            if is_csrf_refusal(response) or response.status_code >= 500:
                failures.append(f"{kind} POST {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_only_the_webhook_is_exempt_from_csrf(app):
    from app.extensions import csrf

    posts = {rule.endpoint for rule in app_rules(app, "POST")}
    exempt = {endpoint for endpoint in posts
              if "{0.__module__}.{0.__name__}".format(app.view_functions[endpoint])
              in csrf._exempt_views}
    assert exempt == set(CSRF_EXEMPT)


# --- uploads are judged by their bytes ------------------------------------------------------

def _tiny_png() -> bytes:
    from app.governance.demo import tiny_png

    return tiny_png()


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
HOSTILE_UPLOADS = {
    "html named .png": (HTML, "photo.png"),
    "png header then html": (b"\x89PNG\r\n\x1a\n" + HTML, "photo.png"),
    "jpeg header then html": (b"\xff\xd8\xff\xe0" + HTML, "photo.jpg"),
    "not a pdf named .pdf": (b"Hello, I am a letter.", "quote.pdf"),
    "not a zip named .xlsx": (b"PK\x03\x04 but no zip at all", "list.xlsx"),
    "a zip that is no workbook": (None, "list.xlsx"),  # made below
    # Over the file limit (5 MB), under the request limit (6 MB): the form says so.
    "oversize": (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 100), "big.pdf"),
}


def post_files(client, url: str, fields: dict, files: dict):
    """A multipart POST built in memory (the test client would spool a big one to a temporary
    file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    data = {**fields, **{name: FileStorage(io.BytesIO(content), filename)
                         for name, (content, filename) in files.items()}}
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


# Every form that takes a file: (endpoint, who, file field, other fields). A new FileField
# that is not here fails test_every_upload_form_is_checked.
UPLOAD_FORMS = {
    "governance.upload": ("chair", "file", {"kind": "photo"}),
    "governance.offline": ("secretary", "evidence", {"choice": "yes"}),
    "governance.propose": (None, "photo", {
        "title": "村口路灯", "category": "other", "description": "夜里太黑", "requested": "100",
        "proposer_name": "王五", "proposer_phone": "13912345678"}),
    "governance.new_proposal": ("chair", "photo", {
        "title": "村口路灯", "category": "other", "description": "夜里太黑", "requested": "100"}),
    "payouts.new": ("treasurer", "files", {"amount": "10", "payee": "五金店",
                                            "payee_account": "6222", "purpose": "灯泡"}),
    "payouts.add_update": ("chair", "files", {"body": "已开工", "percent": "10"}),
    "receipts.settings": ("treasurer", "seal", {"issue_mode": "manual", "thanks": "谢谢"}),
    "imports.upload": ("treasurer", "file", {"channel": "cash"}),
    "giving.codes": ("treasurer", "image", {"kind": "wechat", "payee": "东港村村民委员会"}),
    "giving.bills_page": ("treasurer", "file", {"kind": "wechat"}),
    "wishes.new": ("social_worker", "photo", {
        "title": "一个书包", "value": "80", "fulfil_by": "goods", "village_group": "七组",
        "recipient_name": "王小明", "recipient_age": "8"}),
    "wishes.handover": ("social_worker", "photo", {"confirmed_by": "recipient", "value": "80"}),
    "aid.paper": ("social_worker", "photo", {}),
}


def _upload_url(app, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = route_url(app, rule)
    if endpoint.startswith("payouts."):  # a project under way, which takes payouts and news
        from app.governance.models import UNDER_WAY, Proposal

        with app.app_context(), using(fund_scope(_fund_id(app))):
            project = db.session.scalar(select(Proposal.id).where(
                Proposal.status.in_(UNDER_WAY)).order_by(Proposal.id))
        if endpoint == "payouts.new":
            return f"{url}?proposal={project}"
        return re.sub(r"/projects/\d+/", f"/projects/{project}/", url)
    return url


def _fund_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Fund.id).where(Fund.slug == FUND))


def test_every_upload_form_is_checked():
    import ast

    found = set()
    for path in Path("app").rglob("forms.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "FileField", "MultipleFileField"):
                found.add(path.parent.name)
    assert found == {e.split(".")[0] for e in UPLOAD_FORMS}


@pytest.mark.parametrize("endpoint", sorted(UPLOAD_FORMS))
def test_hostile_uploads_are_refused_beside_the_field_and_nothing_is_kept(app, endpoint):
    who, field, fields = UPLOAD_FORMS[endpoint]
    client = signed_in(app, LOGINS[who] if who else None)
    url = _upload_url(app, endpoint)
    cases = dict(HOSTILE_UPLOADS)
    cases["a zip that is no workbook"] = (_plain_zip(), "list.xlsx")
    before = state(app)
    for case, (content, filename) in cases.items():
        response = post_files(client, url, fields, {field: (content, filename)})
        body = response.get_data(as_text=True)
        assert response.status_code == 422, f"{case}: {response.status_code}"
        assert f'id="{field}-error"' in body or re.search(
            rf'class="field has-error">(?:(?!</div>).)*name="{field}"(?:(?!</div>).)*'
            r'class="error"', body, re.S), f"{case}: no message beside the field"
    assert state(app) == before, "a refused upload left a row or a file behind"
    # The same form takes a real file (so the refusals above were about the file).
    good = (_tiny_png(), "ok.png")
    if endpoint == "imports.upload":
        good = ("金额,姓名\n5,王五\n".encode(), "list.csv")
    if endpoint == "giving.bills_page":
        good = ("交易时间,收/支,金额(元),交易单号,备注\n2026-12-01 09:00:00,收入,¥5.00,42001,王五\n"
                .encode(), "bill.csv")
    accepted = post_files(client, url, fields, {field: good})
    assert accepted.status_code < 500
    assert f'id="{field}-error"' not in accepted.get_data(as_text=True), "a good file refused"


def test_a_body_over_the_limit_is_refused_before_it_is_read(app):
    client = signed_in(app, LOGINS["treasurer"])
    before = state(app)
    response = post_files(client, f"/f/{FUND}/receipts/settings", {"issue_mode": "manual"},
                          {"seal": (b"\x89PNG\r\n\x1a\n" + b"0" * (7 * 1024 * 1024), "big.png")})
    assert response.status_code == 413
    assert state(app) == before


def test_a_broken_png_is_no_seal(app):
    """It would be drawn on every receipt: a PNG header over garbage must not get that far."""
    from app import uploads
    from app.validation import Invalid

    with pytest.raises(Invalid):
        uploads.check(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "seal", allowed={uploads.PNG})
    assert uploads.check(_tiny_png(), "seal", allowed={uploads.PNG}) == uploads.PNG


def test_stored_names_are_made_by_the_app_not_the_user(app, system):
    from app.governance import uploads
    from app.governance.models import Attachment
    from app.uploads import label

    fund_id = _fund_id(app)
    with using(fund_scope(fund_id)):
        attachment = uploads.save(fund_id, _tiny_png(), "../../../etc/passwd\u202egnp.exe",
                                  "photo", None)
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", attachment.stored_name)
        assert attachment.filename == "passwdgnp.exe"
        path = VAR_DIR / "governance" / str(fund_id) / attachment.stored_name
        assert path.is_file()
        attachment.stored_name = "../../secret_key"  # a row tampered with in the database
        assert uploads.read(attachment) is None
        db.session.rollback()
    assert label("C:\\Users\\x\\发票.pdf") == "发票.pdf" and label("") == "file"
    assert Attachment  # the model the label is kept on


def test_served_uploads_are_sandboxed(app):
    client = signed_in(app, LOGINS["chair"])
    rules = {"governance.file": "file_id", "payouts.file": "evidence_id",
             "disclosure.public_file": "evidence_id", "receipts.seal": None}
    for endpoint in rules:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        response = client.get(route_url(app, rule))
        assert response.status_code == 200, endpoint
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"], endpoint
        assert response.mimetype in ("image/png", "image/jpeg", "application/pdf")


# --- downloads never leave their folder -----------------------------------------------------

TRAVERSALS = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "/etc/passwd", "%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "1%00.png", "1/../2",
              "....//....//etc/passwd", "%252e%252e%252f", "-1", "99999999999999999999"]


def download_rules(app):
    """Every GET route that answers with a file rather than a page."""
    return [r for r in app_rules(app, "GET") if r.endpoint in {
        "jobs.file", "governance.file", "payouts.file", "disclosure.public_file",
        "disclosure.report_file", "receipts.pdf", "portal.pdf", "governance.resolution_pdf",
        "receipts.seal", "donations.export", "disclosure.preview", "oversight.annual_export",
        "static"} or r.rule.endswith(("pdf", ".png", "/file"))]


def test_downloads_refuse_paths_outside_their_folder(app):
    client = signed_in(app, LOGINS["chair"])
    treasurer = signed_in(app, LOGINS["treasurer"])
    failures, tried = [], 0
    for rule in download_rules(app):
        for hostile in TRAVERSALS:
            # Put the hostile value where each argument goes, slug included.
            for argument in rule.arguments or {"fund_slug"}:
                url = re.sub(rf"<(?:[^<>]*:)?{argument}>", hostile.replace("\\", "\\\\"), rule.rule)
                url = re.sub(r"<(?:[^<>]*:)?fund_slug>", FUND, url)
                url = re.sub(r"<(?:[^<>]*:)?township_slug>", TOWNSHIP, url)
                url = re.sub(r"<(?:[^<>]*:)?(\w+)>", "1", url)
                for who in (client, treasurer):
                    response = who.get(url)
                    tried += 1
                    body = response.get_data()
                    if response.status_code not in (400, 403, 404, 308) or b"root:" in body:
                        failures.append(f"GET {url}: {response.status_code}")
    for path in ("/static/../app/config.py", "/static/%2e%2e/app/config.py",
                 "/static/..%2fapp%2fconfig.py", "/static//etc/passwd"):
        response = client.get(path, follow_redirects=True)
        tried += 1
        if response.status_code not in (400, 404) or b"SECRET" in response.get_data():
            failures.append(f"GET {path}: {response.status_code}")
    assert tried > 100
    assert not failures, "\n".join(failures)


def test_file_lookups_ignore_tampered_names(app, system):
    """Even a row whose stored name was changed to a path reads nothing outside its folder."""
    from app.imports import storage
    from app.jobs import services as jobs
    from app.jobs.models import Job

    fund_id = _fund_id(app)
    for token in ("../../etc", "..", "/etc/passwd", "a" * 31 + "/", "x\x00y"):
        assert storage.claim(fund_id, token) is None
    with using(fund_scope(fund_id)):
        job = Job(fund_id=fund_id, kind="test", file_key="../../../../etc/passwd")
        path = jobs.file_path(job)
        assert path is None or jobs.folder(fund_id) in path.resolve().parents


# --- what no field may hold -----------------------------------------------------------------

@pytest.mark.parametrize("text", ["王\x00五", "\u202egnp.exe", "a\x1b[31mb", "x\x7f"])
def test_control_characters_are_refused_beside_the_field(app, text):
    client = signed_in(app, LOGINS["treasurer"])
    before = state(app)
    response = client.post(f"/f/{FUND}/donors/new", data={"name": text, "mobile": ""})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert state(app) == before


def test_line_breaks_and_tabs_are_text(app):
    from app.validation import control_characters

    assert not control_characters("第一行\r\n第二行\t完")
    assert control_characters("\x00") and not control_characters(None)
