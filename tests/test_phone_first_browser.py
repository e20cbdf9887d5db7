"""Phone first, proved in Chromium over every page of the markup walk, on a 390 px phone and a
1280 px desktop (issue 17): no tap target under 44×44 px, no table cell on a phone narrower
than three Chinese characters, no text under 12 px (SVG charts too), no sideways scroll and
nothing cut off, one date format per language.

One browser, one page per person and viewport, one script per page that returns every
problem it sees, so the whole walk stays quick. PHONE_FIRST_SHOTS=<label> also saves the main
pages at both widths to var/artifacts/phone-first/<label>/ (before and after a change).
"""

import os

import pytest

from .conftest import PHONE
from .helpers import main_pages
from .phone_checks import (
    ANY_DATE,
    CHECK,
    DATES,
    DESKTOP,
    SCROLLERS,
    SHOTS,
    SMALL_TARGET_EXCEPTIONS,
    walk,
)

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_fits_a_phone_and_a_desktop(app, live_server, browser, viewport):
    phone = viewport is PHONE
    problems = []

    def visit(spec, page):
        found = page.evaluate(CHECK, [phone, list(SMALL_TARGET_EXCEPTIONS), list(SCROLLERS),
                                      ANY_DATE, DATES])
        problems.extend(f"{spec.name} ({spec.path} as {spec.who}, {spec.lang}): {p}"
                        for p in found)

    pages = main_pages(app)
    assert len(pages) >= 50
    problems += walk(app, live_server, browser, pages, viewport, visit)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# The main pages for the before/after pictures.
MAIN = ["main.home (signed in)", "main.home (township admin)", "auth.login", "funds.workspace",
        "donations.index", "donations.ledger_page", "receipts.index", "receipts.issue",
        "payouts.index", "payouts.project", "governance.proposals",
        "governance.motion (a member's ballot)", "governance.project", "disclosure.board",
        "disclosure.project", "oversight.workspace", "oversight.anomalies_page",
        "audit.fund_trail", "audit.township_trail", "portal.receipts"]


@pytest.mark.skipif(not os.environ.get("PHONE_FIRST_SHOTS"), reason="PHONE_FIRST_SHOTS unset")
def test_screenshots_of_the_main_pages(app, live_server, browser):
    folder = SHOTS / os.environ["PHONE_FIRST_SHOTS"]
    folder.mkdir(parents=True, exist_ok=True)
    pages = [p for p in main_pages(app) if p.name in MAIN]
    for viewport in (PHONE, DESKTOP):
        def save(spec, page, width=viewport["width"]):
            page.screenshot(path=str(folder / f"{_file_name(spec)}-{width}.png"), full_page=True)

        walk(app, live_server, browser, pages, viewport, save)


def _file_name(spec) -> str:
    """funds.workspace, or main.home-two_funds for a page the walk opens as several people."""
    return spec.name.split(" (")[0] + (f"-{spec.who}" if "(" in spec.name else "")
