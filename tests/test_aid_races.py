"""关爱发放 under two clicks at once, on SQLite and PostgreSQL: a voucher redeemed by the shop
page once, a hand-out signed once, a period's entitlements made once."""

import base64
import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from app.aid import services
from app.aid.models import Entitlement, Handout, Programme, Shop, Voucher
from app.clock import local_today
from app.extensions import db
from app.governance.demo import tiny_png

from .races_setup import FUND, N, Person, dgc, done, fire

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def voucher_programme() -> Programme:
    return db.session.scalar(select(Programme).where(Programme.kind == "voucher"))


def period() -> str:
    return services.periods.period_of("monthly", local_today())


class Shopper:
    """The shop's page, opened N times: no account, its own CSRF token per page."""

    def __init__(self, url: str):
        self.url = url

    def post(self, _path, data):
        with requests.Session() as s:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(self.url).text)[1]
            return s.post(self.url, data={**data, "csrf_token": token}, allow_redirects=False,
                          timeout=120)


def test_a_voucher_redeemed_at_once_from_two_pages_is_taken_once(app, live_server):
    with dgc(app):
        rows = services.sheet(voucher_programme(), period())
        row = next(r for r in rows if r.handout and r.voucher.redeemed_at is None)
        serial, voucher_id = row.voucher.serial, row.voucher.id
        token = db.session.scalar(select(Shop.token))
    shop = Shopper(f"{live_server}/f/{FUND}/aid/shop/{token}")
    statuses = fire(*[(shop, "", {"voucher": serial})] * N)
    assert statuses.count(200) == 1 and statuses.count(422) == N - 1  # taken once
    with dgc(app):
        assert db.session.get(Voucher, voucher_id).redeemed_at is not None
    page = shop.post("", {"voucher": serial})
    assert page.status_code == 422 and "已核销过" in page.text


def test_a_hand_out_signed_twice_at_once_is_recorded_once(app, live_server):
    with dgc(app):
        row = next(r for r in services.sheet(voucher_programme(), period()) if not r.handout)
        entitlement_id = row.entitlement.id
    worker = Person(live_server, "social_worker")
    signature = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    path = f"/f/{FUND}/aid/entitlement/{entitlement_id}"
    statuses = fire(*[(worker, path, {"collector": "self", "signature": signature})] * N)
    assert done(statuses) == 1
    with dgc(app):
        assert db.session.scalar(select(func.count()).select_from(Handout).where(
            Handout.entitlement_id == entitlement_id)) == 1


def test_a_period_made_twice_at_once_makes_its_entitlements_once(app, live_server):
    with dgc(app):
        programme = voucher_programme()
        programme_id = programme.id
        last = local_today().replace(day=1) - timedelta(days=1)
        before = last.strftime("%Y-%m")
        assert db.session.scalar(select(func.count()).select_from(Entitlement).where(
            Entitlement.programme_id == programme_id, Entitlement.period == before)) == 0
    worker = Person(live_server, "social_worker")
    path = f"/f/{FUND}/aid/{programme_id}/entitlements"
    fire(*[(worker, path, {"period": before})] * N)
    with dgc(app):
        made = db.session.scalar(select(func.count()).select_from(Entitlement).where(
            Entitlement.programme_id == programme_id, Entitlement.period == before))
        enrolled = sum(1 for e in services.enrolments(db.session.get(Programme, programme_id))
                       if services.enrolment_state(e) == "approved")
        assert made == enrolled == 3
