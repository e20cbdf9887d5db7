"""The aid pages in states the demo walk does not reach (a change waiting for its vote, a
yearly review due, a hand-out still to sign, forms refused with 422), on a 390 px phone:
the phone-first checks (taps of 44 px, nothing wider than the screen, one date format) and
axe finds nothing serious."""

import pytest
from sqlalchemy import select

from app.aid import services
from app.aid.models import Programme
from app.clock import local_today
from app.extensions import db
from app.funds.models import Fund
from tenants import fund_scope, using

from .aid_setup import old_enrolment, pending_change
from .axe_checks import signed_in_context, violations
from .conftest import PHONE
from .helpers import FUND, TOWNSHIP
from .phone_checks import (
    ANY_DATE,
    CHECK,
    DATES,
    SCROLLERS,
    SMALL_TARGET_EXCEPTIONS,
)

pytestmark = pytest.mark.browser


def _states(app) -> dict:
    """A running programme with a change proposed and one person due for review; the demo
    voucher programme's hand-out not collected yet."""
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            programme, _enrolment = old_enrolment()
            pending_change(programme, value="100", budget="3000")
            voucher = db.session.scalar(
                select(Programme).where(Programme.kind == "voucher").order_by(Programme.id)
            )
            period = services.periods.period_of("monthly", local_today())
            missed = next(
                r.entitlement.id for r in services.sheet(voucher, period) if r.handout is None
            )
            db.session.commit()
            return {
                "programme": programme.id,
                "missed": missed,
                "voucher": voucher.id,
                "period": period,
            }


def test_the_aid_pages_fit_a_phone_and_pass_axe_in_every_state(app, live_server, browser):
    ids = _states(app)
    base = f"/f/{FUND}/aid"
    pages = [
        ("social_worker", f"{base}/{ids['programme']}", None),
        ("chair", f"{base}/{ids['programme']}", None),
        ("social_worker", f"{base}/{ids['voucher']}/change", None),
        ("social_worker", f"{base}/{ids['voucher']}/change", "#change-form"),
        ("social_worker", f"{base}/{ids['programme']}/reviews", None),
        ("social_worker", f"{base}/{ids['programme']}/reviews", "form[action$='/reviews']"),
        ("social_worker", f"{base}/entitlement/{ids['missed']}", None),
        ("social_worker", f"{base}/{ids['voucher']}/sheet/{ids['period']}", None),
        ("treasurer", f"{base}/shops", None),
        ("this_township_admin", f"/t/{TOWNSHIP}/aid", None),
    ]
    problems, opened = [], {}
    try:
        for who, path, submit in pages:
            if who not in opened:
                context = signed_in_context(browser, live_server, app, who, "zh", PHONE)
                opened[who] = context.new_page()
            page = opened[who]
            response = page.goto(f"{live_server}{path}", wait_until="load")
            assert response.status == 200, f"{path} as {who}: {response.status}"
            if submit:  # refused: nothing chosen, the amount not a number
                form = page.locator(submit).first
                if submit == "#change-form":
                    page.get_by_label("每人每期金额或价值（元）").fill("八十")
                form.locator("button[type=submit]").click()
                page.wait_for_load_state("load")
                assert page.locator(".error").count() > 0, (
                    f"{path}: no message shown: {page.url} {page.content()[:3000]}"
                )
            found = page.evaluate(
                CHECK, [True, list(SMALL_TARGET_EXCEPTIONS), list(SCROLLERS), ANY_DATE, DATES]
            )
            found += violations(page)
            problems += [f"{path} as {who}{' (422)' if submit else ''}: {p}" for p in found]
    finally:
        for page in opened.values():
            page.context.close()
    assert not problems, "\n".join(problems)
