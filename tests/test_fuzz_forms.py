"""Every POST form of the app, fuzzed with hostile values: never a 5xx, never stored script.

The forms are found, not listed: every GET page is read as the people who use the fund, and
each <form method=post> (and hx-post) gives its action's fields and their ordinary values. A
POST route that no page shows needs its fields in UNSHOWN; a new POST route that is in
neither fails test_every_post_route_is_fuzzed, so this file grows with the app.

One app (one fresh database) per route; hypothesis's examples share it, the way many hostile
visitors would share one server.
"""

import io
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app import create_app

from . import template_cache
from .conftest import BASE_CONFIG, LOGINS
from .helpers import FUND, NOT_PAGES, app_rules, login_for, route_url, signed_in

# Routes no page shows a form for (a link in an email, a gateway's call), with their fields.
# Routes whose form no demo page shows right now (it depends on a row's state, or the page is
# for signed-out visitors, or it is reached from an email or a gateway), with their fields;
# the names after "files:" are file inputs.
UNSHOWN: dict[str, set[str]] = {
    "payments.webhook": set(),
    # 关爱发放: a change waiting for its vote, a yearly review due (one form per person, its
    # fields prefixed with the enrolment's id), people proposed and not yet put to the vote,
    # the demo's sample hand-out (signed already): the demo shows none of these forms.
    "aid.change_vote": set(),
    "aid.review": {"enrolment"},
    "aid.vote": set(),
    "aid.handout": {"collector", "signature"},
    "payments.check": set(),  # on the thank-you page of a pending WeChat Pay or Alipay gift
    "portal.code": {"phone", "code"},
    "portal.enter": set(),
    "portal.sign_out": set(),
    "auth.reset_password": {"password", "confirm"},
    "auth.login": {"login", "password", "remember"},
    "auth.two_step": {"code"},
    "auth.security_off": {"code"},
    "disclosure.publish": {"kind", "year", "quarter", "threshold", "correction_note"},
    "donations.remove_row": set(),
    "donations.reverse": {"reason"},
    "governance.approve": {"proposal_ids"},
    "governance.close": set(),
    "governance.close_round": set(),
    "governance.confirm": {"choice"},
    "governance.move": {"to"},
    "governance.open_motion": {"kind", "amount", "hours"},
    "imports.commit": set(),
    "invitations.open_invitation": {"password", "confirm"},  # the invitee's link
    "jobs.again": set(),  # shown only on an interrupted job's page
    # Volunteering: the second key shows on a marked activity only (the sample is open);
    # a volunteer's own sign-up and certificate after an SMS code.
    "volunteers.confirm": set(),
    "volunteers.me_signup": set(),
    "volunteers.me_certificate": set(),
    # 微心愿: screening shows on a wish waiting for it, revoking on a claimed one, money and
    # buying on a wish to be fulfilled with money; the demo's sample wish is open.
    "wishes.screen": {"reason", "decision"},
    "wishes.revoke": {"reason"},
    "wishes.money": {"amount", "channel", "reference", "received_on"},
    "wishes.buy": {"amount", "payee", "payee_account"},
    "payments.donate": {"amount", "other_amount", "designation", "name", "phone", "email",
                        "anonymity", "message"},
    "payouts.acceptance": {"body"},
    "payouts.add_update": {"body", "percent", "files:files"},
    "payouts.approve": {"note", "decision"},
    "payouts.complete": set(),
    "payouts.new": {"amount", "budget_line_id", "payee", "payee_account", "purpose",
                    "files:files"},
    "payouts.paid": {"bank_reference", "paid_on"},
    "payouts.withdraw": set(),
    "receipts.reissue": {"name"},
}

# Markup that must never come back as markup: each is looked for verbatim in every page.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
MARKUP = (SCRIPT, IMG, SVG)

HOSTILE = [
    SCRIPT, IMG, SVG, "' OR 1=1; DROP TABLE donation;--", "1; DELETE FROM receipt", "\x00",
    "a\x00b", "\u202egnp.exe", "\r\n\t\x0b\x0c\x1b[31m", "\ufeff\u200b", "𠮷䶮龘", "🧧💰🙏🏽",
    "-1", "0", "²", "٣", "-0.01", "1e309", "NaN", "99999999999999999999999", "2147483648", "0x10",
    "9" * 400, "东" * 5000, "x" * 100_000, "../../etc/passwd", "%2e%2e%2f", "{{7*7}}",
    "${7*7}", "2026-02-30", "9999-12-31", "1900-01-01", " ", "", "true", "[]", "null",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),  # any code point, control characters and surrogates' neighbours
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=10)),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
hostile_file = st.sampled_from([
    b"", b"<html><script>alert(1)</script></html>", b"%PDF-1.4 not really", b"\x89PNG\r\n\x1a\n",
    b"PK\x03\x04 not a zip", "金额,姓名\n-5,<script>alert(1)</script>\n".encode("gbk"),
    b"\xff\xd8\xff" + b"\x00" * 64, b"\x00" * 1024,
])
hostile_filename = st.sampled_from(["../../etc/passwd", "a.png", "x.pdf\x00.html", "\u202efdp.exe",
                                    "<script>.png", "C:\\boot.ini", "/etc/shadow", "d.xlsx"])

# --- finding the forms ----------------------------------------------------------------------


class FormFinder(HTMLParser):
    """Each POST form's action and its fields with the value the page gives them."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[tuple[str, dict[str, str], set[str]]] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "data-hx-post" in a:
            a.setdefault("hx-post", a["data-hx-post"])
        if tag == "form" and (a.get("method", "").lower() == "post" or "hx-post" in a):
            self._form = (a.get("hx-post") or a.get("action") or self.page_url, {}, set())
            self.forms.append(self._form)
        elif "hx-post" in a and tag != "form":  # a button or input posting on its own
            self.forms.append((a["hx-post"], {a["name"]: a.get("value", "")} if a.get("name")
                               else {}, set()))
        if self._form is None or not a.get("name"):
            return
        fields, files = self._form[1], self._form[2]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                files.add(a["name"])
            elif kind not in ("checkbox", "radio") or "checked" in a or a["name"] not in fields:
                fields[a["name"]] = a.get("value", "")
        elif tag in ("textarea", "button"):
            fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and not fields[self._select]:
            fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


PERSONAS = ["chair", "treasurer", "secretary", "member", "social_worker", "supervisor",
            "this_township_admin"]
_FOUND: dict[str, tuple[str, dict[str, str], set[str]]] = {}


def found_forms(app, database) -> dict[str, tuple[str, dict[str, str], set[str]]]:
    """endpoint -> (a page showing the form, its fields with values, its file fields).
    Reading every page as seven people takes 20-40 s: done once for the template (kept beside
    it), not by every worker of every run."""
    if not _FOUND:
        found = template_cache.kept(database.folder, "fuzz-forms", lambda: {
            e: (page, fields, sorted(files)) for e, (page, fields, files)
            in _find_forms(app).items()})
        _FOUND.update({e: (page, fields, set(files)) for e, (page, fields, files)
                       in found.items()})
    return _FOUND


def _find_forms(app) -> dict[str, tuple[str, dict[str, str], set[str]]]:
    found = {}
    adapter = app.url_map.bind("localhost")
    # A file or a fragment has no form (and a PDF takes long); each URL is found once, not
    # once for every persona (a sample is a query or two).
    urls = [route_url(app, rule) for rule in app_rules(app, "GET")
            if rule.endpoint not in NOT_PAGES]
    for persona in PERSONAS:
        client = signed_in(app, LOGINS[persona])
        for url in urls:
            response = client.get(url)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            finder = FormFinder(url)
            finder.feed(response.get_data(as_text=True))
            for action, fields, files in finder.forms:
                try:
                    endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
                except (NotFound, MethodNotAllowed):
                    continue
                page, known, known_files = found.setdefault(endpoint, (url, {}, set()))
                for name, value in fields.items():
                    known.setdefault(name, value)
                known_files |= files
    return found


def _post_endpoints() -> list[str]:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({rule.endpoint for rule in app_rules(app, "POST")})


POST_ENDPOINTS = _post_endpoints()


def test_every_post_route_is_fuzzed(app, database):
    forms = found_forms(app, database)
    missing = [e for e in POST_ENDPOINTS if e not in forms and e not in UNSHOWN]
    assert missing == [], f"no page shows these forms: add their fields to UNSHOWN: {missing}"
    assert len(forms) > 40


# --- the fuzzing ----------------------------------------------------------------------------

LISTINGS = [f"/f/{FUND}/", f"/f/{FUND}/public", f"/f/{FUND}/donors/", f"/f/{FUND}/donations/",
            f"/f/{FUND}/proposals/", f"/f/{FUND}/payouts/", f"/f/{FUND}/audit", "/t/luwan/"]


def unescaped(response) -> list[str]:
    if response.mimetype != "text/html":
        return []
    body = response.get_data(as_text=True)
    return [m for m in MARKUP if m in body]


def _rule(app, endpoint):
    return next(r for r in app_rules(app, "POST") if r.endpoint == endpoint)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_input_never_breaks_a_form(app, database, endpoint):
    forms = found_forms(app, database)
    rule = _rule(app, endpoint)
    login = login_for(app, rule)
    page, defaults, file_fields = forms.get(endpoint, (None, {}, set()))
    unshown = UNSHOWN.get(endpoint, set())
    defaults = {**{n: "" for n in unshown if not n.startswith("files:")}, **defaults}
    file_fields = file_fields | {n[6:] for n in unshown if n.startswith("files:")}
    seen, accepted = fuzz(app, route_url(app, rule), login, defaults, file_fields)
    if not accepted:
        # Every post was refused (4xx), and a refused form keeps nothing (test_bad_input.py):
        # there is nothing stored to look for. Most forms refuse all of it.
        return
    # Where what was stored is shown: the pages the form led to and the fund's listings.
    client = signed_in(app, login)
    for path in sorted(seen | ({page} if page else set())) + LISTINGS:
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} after the fuzzing: {response.status_code}"
        assert unescaped(response) == [], f"GET {path} shows stored markup unescaped"


# Sent into each field in turn, the others ordinary, before the random examples: what broke
# forms before (a NUL fails on PostgreSQL, far too long overflows a column) is tried every run.
EACH_FIELD = ("a\x00b", "x" * 100_000, SCRIPT)


def fuzz(app, url, login, defaults, file_fields, examples: int = 12) -> tuple[set[str], bool]:
    """Post hostile values to one form; returns the pages it redirected to, and whether it
    accepted any (answered below 400)."""
    client = signed_in(app, login)
    seen = set()
    accepted = False

    def send(values, files, htmx):
        nonlocal accepted
        data = dict(values)
        for name, (content, filename) in files.items():
            data[name] = (io.BytesIO(content), filename)
        headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
        response = client.post(url, data=data, headers=headers,
                               content_type="multipart/form-data" if files else None)
        assert response.status_code < 500, f"POST {url}: {response.status_code} for {values!r}"
        assert unescaped(response) == [], f"POST {url} echoed markup for {values!r}"
        accepted = accepted or response.status_code < 400
        if response.location and urlsplit(response.location).path.startswith(("/f/", "/t/")):
            seen.add(urlsplit(response.location).path)
        if response.status_code == 302 and "/auth/login" in (response.location or ""):
            signed_in_again(client, login)

    for name in defaults:
        for value in EACH_FIELD:
            send({**defaults, name: value}, {}, htmx=False)

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(values=st.fixed_dictionaries(
        {name: st.one_of(st.just(value), hostile_text) for name, value in defaults.items()}),
        files=st.fixed_dictionaries({name: st.tuples(hostile_file, hostile_filename)
                                     for name in file_fields}),
        htmx=st.booleans())
    def post(values, files, htmx):
        send(values, files, htmx)

    post()
    return seen, accepted


def test_the_fuzzer_finds_a_crash_and_an_echo(app):
    """The machinery above can fail: a form that breaks on a NUL, one that echoes markup."""
    from flask import request

    from app.auth.roles import PUBLIC
    from tenants.access import open_access

    @app.route("/fragile", methods=["POST"])
    @open_access(PUBLIC)
    def fragile():
        if "\x00" in request.form.get("name", ""):
            raise RuntimeError("NUL reached the database")
        return "ok"

    @app.route("/echo", methods=["POST"])
    @open_access(PUBLIC)
    def echo():
        return f"<p>{request.form.get('name', '')}</p>"

    with pytest.raises(AssertionError, match="500"):
        fuzz(app, "/fragile", None, {"name": "王五"}, set(), examples=200)
    with pytest.raises(AssertionError, match="echoed markup"):
        fuzz(app, "/echo", None, {"name": "王五"}, set(), examples=200)


def signed_in_again(client, login):
    client.post("/auth/login", data={"login": login, "password": "demo-password-1"})
