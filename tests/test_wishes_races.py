"""Twenty villagers tap 认领 on one wish at the same moment, each with a right code for their
own number, at a live threaded server (SQLite and PostgreSQL): exactly one claim is made, the
others are told it was just taken, and no request answers 500."""

import threading

import requests
from sqlalchemy import func, select

from app.extensions import db
from app.funds.models import Fund
from app.notify import codes
from app.notify.models import Notice
from app.wishes import services
from app.wishes.models import Wish, WishClaim
from tenants import fund_scope, using

N = 20
FUND = "donggangcun"


def _open_wish_with_codes(app) -> tuple[int, list[tuple[str, str]]]:
    """An unclaimed wish on the wall, and N numbers each holding a fresh code."""
    with app.test_request_context("/", method="POST"):
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            wish = db.session.scalar(select(Wish).where(Wish.status == "open").order_by(Wish.id))
            assert services.live_claim(wish) is None
            phones = [f"1370000{n:04d}" for n in range(N)]
            for phone in phones:
                codes.send_code(fund, phone, services.CODE_PURPOSE)
            sent = {n.recipient: n.params[1] for n in db.session.scalars(
                select(Notice).where(Notice.template == "phone_code",
                                     Notice.recipient.in_(phones)))}
            db.session.commit()
            wish_id = wish.id
        db.session.remove()
    return wish_id, [(phone, sent[phone]) for phone in phones]


def test_twenty_claims_at_once_make_exactly_one(app, live_server):
    wish_id, held = _open_wish_with_codes(app)
    start = threading.Barrier(N)
    statuses = [None] * N

    def tap(i, phone, code):
        start.wait()
        with requests.Session() as s:
            statuses[i] = s.post(f"{live_server}/f/{FUND}/wishes/{wish_id}/claim", timeout=120,
                                 allow_redirects=False, data={
                                     "step": "claim", "name": f"村民{i}", "phone": phone,
                                     "code": code, "shown_as": "show"}).status_code

    threads = [threading.Thread(target=tap, args=(i, *h)) for i, h in enumerate(held)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert None not in statuses and 500 not in statuses, statuses
    assert statuses.count(302) == 1 and statuses.count(422) == N - 1, statuses
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            made = db.session.scalar(select(func.count()).select_from(WishClaim).where(
                WishClaim.wish_id == wish_id))
            assert made == 1
        db.session.remove()
