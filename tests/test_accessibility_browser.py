"""Accessibility in Chromium: axe-core on every main page on a phone, and a vote by keyboard.

The pages are the ones test_markup.py finds in the URL map, each opened by the demo person
who would use it. A violation axe rates "serious" or "critical" fails the test, named with
the page, the rule and the elements.
"""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Ballot, Motion
from tenants import SYSTEM, fund_scope, using

from .axe_checks import signed_in_context, violations
from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot
from .helpers import FUND, main_pages, sample
from .phone_checks import walk

pytestmark = pytest.mark.browser

def _check_pages(app, live_server, browser, pages, viewport=PHONE, label="phone"):
    problems = []

    def check(spec, page):
        page.evaluate("document.fonts.ready.then(() => true)")  # colours are judged on text
        found = violations(page)
        problems.extend(f"{spec.name} ({spec.path} as {spec.who}, {spec.lang}): {v}"
                        for v in found)
        if found:
            shot(page, f"axe-{label}-{spec.name}")

    # The walk goes from page to page in one tab per person (a new tab for every page cost
    # as much as loading it: the 110 pages on a phone took 115 s, now 56 s), and names a
    # route that answers a file (axe would wait for ever in it) with the other problems.
    return walk(app, live_server, browser, pages, viewport, check) + problems


def test_every_main_page_has_no_serious_axe_violation_on_a_phone(app, live_server, browser):
    pages = main_pages(app)
    assert len(pages) >= 50
    problems = _check_pages(app, live_server, browser, pages)
    assert not problems, f"{len(problems)} serious or critical violations:\n" + \
        "\n".join(problems)


def test_main_pages_in_english_on_a_desktop(app, live_server, browser):
    wanted = {"main.home", "auth.login", "funds.workspace", "disclosure.board",
              "donations.index", "governance.motion", "oversight.workspace", "receipts.verify"}
    pages = [p for p in main_pages(app) if p.name in wanted and p.lang == "zh"]
    pages = [type(p)(**{**p.__dict__, "lang": "en"}) for p in pages]
    problems = _check_pages(app, live_server, browser, pages,
                            viewport={"width": 1280, "height": 800}, label="desktop-en")
    assert not problems, "\n".join(problems)


# --- a vote with the keyboard only -----------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), name: e.name || '', type: e.type || '',
                id: e.id || '', href: e.getAttribute('href') || '', value: e.value || ''}; }""")


def tab_to(page, wanted, key: str = "Tab", limit: int = 60) -> dict:
    """Press Tab (or Shift+Tab) until the focused element is the one wanted."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if wanted(now):
            return now
    pytest.fail(f"{key} never reached the element; last focus: {focused(page)}")


def outline_of(page, selector: str = ":focus") -> tuple[str, float]:
    return page.evaluate("""(selector) => { const s = getComputedStyle(
        document.querySelector(selector));
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""", selector)


@pytest.mark.config(WTF_CSRF_ENABLED=True)  # as in production: the vote needs the real token
def test_a_member_votes_with_the_keyboard_only_on_a_phone(app, live_server, browser):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        member_id = db.session.scalar(select(User.id).where(User.phone == LOGINS["member"]))
        with using(fund_scope(fund_id)):
            motion_id = db.session.scalar(select(Motion.id).where(Motion.status == "open")
                                          .order_by(Motion.id))
            assert db.session.scalar(select(Ballot).where(
                Ballot.motion_id == motion_id, Ballot.user_id == member_id)) is None
        db.session.remove()
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()

    page.goto(f"{live_server}/auth/login")
    tab_to(page, lambda e: e["name"] == "login")
    page.keyboard.type(LOGINS["member"])
    tab_to(page, lambda e: e["name"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/f/{FUND}/")

    tab_to(page, lambda e: e["href"].endswith("/motions/"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/f/{FUND}/motions/")
    tab_to(page, lambda e: e["href"].endswith(f"/motions/{motion_id}"))
    page.keyboard.press("Enter")
    url = f"{live_server}/f/{FUND}/motions/{motion_id}"
    page.wait_for_url(url)

    # Into the ballot: the first choice (同意), picked with Space.
    choice = tab_to(page, lambda e: e["name"] == "choice")
    assert choice["value"] == "yes"
    style, width = outline_of(page, "label.choice-yes")
    assert style != "none" and width >= 2, "the focused choice shows no focus ring"
    page.keyboard.press("Space")
    assert page.locator("input[value=yes]").is_checked()
    tab_to(page, lambda e: e["id"] == "cast")
    style, width = outline_of(page)
    assert style != "none" and width >= 2, "the focused button shows no focus ring"
    tab_to(page, lambda e: e["name"] == "choice", key="Shift+Tab")  # and back again
    assert page.locator("input[value=yes]").is_checked()
    tab_to(page, lambda e: e["id"] == "cast")
    assert no_sideways_scroll(page)
    shot(page, "a11y-01-vote-by-keyboard-phone")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        page.keyboard.press("Enter")
    # htmx sent it, with the page's CSRF token in the header static/js/csrf.js adds.
    assert sent.value.headers.get("hx-request") == "true"
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token and sent.value.headers.get("x-csrftoken") == token

    confirmation = page.locator("#my-vote[data-choice=yes]")
    confirmation.wait_for()
    assert "同意" in confirmation.inner_text()
    assert focused(page)["id"] == "cast"  # the keyboard keeps its place after the swap
    assert page.url == url  # swapped in place
    assert not violations(page)
    shot(page, "a11y-02-voted-by-keyboard-phone")
    context.close()

    with app.app_context(), using(SYSTEM):
        ballot = db.session.scalar(select(Ballot).where(Ballot.motion_id == motion_id,
                                                        Ballot.user_id == member_id))
        assert ballot is not None and ballot.choice == "yes"
        db.session.remove()


def test_form_errors_and_htmx_answers_pass_axe(app, live_server, browser):
    """The states a page reaches by htmx: a 422 form swapped in, suggestions, filtered rows."""
    problems = []

    def check(page, state):
        problems.extend(f"{state}: {v}" for v in violations(page))

    anonymous = signed_in_context(browser, live_server, app, "anonymous")
    page = anonymous.new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["member"])
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("手机号、邮箱或密码错误").wait_for()
    check(page, "login error")
    anonymous.close()

    treasurer = signed_in_context(browser, live_server, app, "treasurer")
    page = treasurer.new_page()
    page.goto(f"{live_server}/f/{FUND}/donations/new")
    page.get_by_role("button", name="录入").click()
    page.get_by_text("请输入金额。").wait_for()
    assert page.locator("[aria-invalid=true]").count() >= 1
    check(page, "donation form with errors")
    page.goto(f"{live_server}/f/{FUND}/donations/")
    page.get_by_label("收款方式").select_option("wechat")
    page.locator("#results", has_text="微信转账").wait_for()
    check(page, "donations filtered")
    page.goto(f"{live_server}/f/{FUND}/batches/{sample(app, 'batch_id')}")  # being entered
    page.get_by_label("捐赠人（不填为匿名）").type("王")
    page.locator("#row-suggestions li").first.wait_for()
    check(page, "batch entry with suggestions")
    shot(page, "a11y-03-batch-suggestions-phone")
    treasurer.close()
    assert not problems, "\n".join(problems)


def test_the_check_finds_what_is_serious_and_only_that(browser):
    """The check runs only the rules that can find something serious (tests/axe_checks.py):
    a page with serious and critical faults is still caught, each by its rule, and a page
    whose only faults are moderate passes."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_content('<html lang="zh-CN"><head><title>t</title></head><body><main><h1>t</h1>'
                     '<img src="data:,"><button></button>'
                     '<p style="color:#bbb;background:#fff">浅灰色的字</p></main></body></html>')
    found = {v.split(" ")[0] for v in violations(page)}
    assert {"image-alt", "button-name", "color-contrast"} <= found, found
    page.set_content('<html lang="zh-CN"><head><title>t</title></head><body>'
                     '<h3>没有主区域，标题跳级</h3><p>正文</p></body></html>')
    assert violations(page) == []  # landmark-one-main, heading-order, region: moderate
    context.close()
