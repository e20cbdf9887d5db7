"""The township's anomalies (issue 17): several ticked and marked reviewed with one note, in
one POST, race-safe; and the township's own amount from which a cash gift is an anomaly."""

import threading

import requests
from sqlalchemy import func, select

from app.extensions import db
from app.funds.models import Township
from app.oversight import anomalies
from app.oversight.models import AnomalyReview
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD
from .helpers import client_for

TOWN = "luwan"


def _waiting(app, kind="large_cash") -> list[str]:
    """The township's anomalies of this kind not reviewed yet, as the page's checkboxes
    name them."""
    with app.test_request_context(), using(SYSTEM):
        town = db.session.scalar(select(Township).where(Township.slug == TOWN))
        picks = [anomalies.pick_of(a) for a in anomalies.detect(town.funds)
                 if a.kind == kind and a.review is None]
        db.session.remove()
    return picks


def _reviews(app) -> list[tuple[int, str, str, str]]:
    with app.app_context(), using(SYSTEM):
        rows = db.session.execute(select(AnomalyReview.fund_id, AnomalyReview.kind,
                                         AnomalyReview.subject, AnomalyReview.note)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_several_anomalies_are_reviewed_with_one_note(app):
    picks = _waiting(app)
    assert len(picks) >= 4  # the demo's 村民大会 cash gifts over ¥10,000
    admin = client_for(app, "this_township_admin")
    page = admin.get(f"/t/{TOWN}/anomalies").get_data(as_text=True)
    assert f'name="picks" form="bulk" value="{picks[0]}"' in page
    assert 'id="bulk"' in page

    # Nothing ticked, or no note: refused beside the note, the ticks kept.
    nothing = admin.post(f"/t/{TOWN}/anomalies/review-many", data={"note": "看过了"})
    assert nothing.status_code == 422 and "勾选" in nothing.get_data(as_text=True)
    silent = admin.post(f"/t/{TOWN}/anomalies/review-many",
                        data={"picks": picks[:2], "note": " "})
    html = silent.get_data(as_text=True)
    assert silent.status_code == 422 and f'value="{picks[0]}" checked' in html
    assert _reviews(app) == []

    note = "重阳节村民大会现金，次日已存入银行，捐赠人为本村乡贤"
    done = admin.post(f"/t/{TOWN}/anomalies/review-many",
                      data={"picks": [*picks[:3], "1:large_cash:donation:999999", "junk"],
                            "note": note})
    assert done.status_code == 302
    rows = _reviews(app)
    assert sorted(f"{f}:{k}:{s}" for f, k, s, _n in rows) == sorted(picks[:3])
    assert {n for *_x, n in rows} == {note}
    page = admin.get(f"/t/{TOWN}/anomalies").get_data(as_text=True)
    assert "已将 3 条异常标为已核查" in page and "1 条已被他人核查或已不在列表中" in page
    assert _waiting(app) == picks[3:]


def test_another_township_cannot_review_ours_in_bulk(app):
    picks = _waiting(app)
    other = client_for(app, "other_township_admin")
    assert other.post(f"/t/{TOWN}/anomalies/review-many",
                      data={"picks": picks, "note": "看过了"}).status_code == 403
    # Its own township's page: our funds' anomalies are not among its own, so none is kept.
    assert other.post("/t/taoyuan/anomalies/review-many",
                      data={"picks": picks, "note": "看过了"}).status_code == 302
    assert _reviews(app) == []


def test_two_bulk_reviews_at_once_review_each_anomaly_once(app, live_server):
    picks = _waiting(app)
    assert len(picks) >= 4
    # Two admins' tabs: overlapping choices, sent at the same moment.
    choices = [picks[:3], picks[1:]]
    sessions = []
    for _ in choices:
        s = requests.Session()
        assert s.post(f"{live_server}/auth/login", allow_redirects=False, data={
            "login": LOGINS["this_township_admin"], "password": PASSWORD}).status_code == 302
        sessions.append(s)
    start = threading.Barrier(len(choices))
    statuses = [None] * len(choices)

    def send(i):
        start.wait()
        statuses[i] = sessions[i].post(f"{live_server}/t/{TOWN}/anomalies/review-many",
                                       data={"picks": choices[i], "note": f"第{i + 1}位核查"},
                                       allow_redirects=False, timeout=120).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(choices))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    for s in sessions:
        s.close()
    assert statuses == [302, 302], statuses
    rows = _reviews(app)
    reviewed = [f"{f}:{k}:{s}" for f, k, s, _n in rows]
    assert sorted(reviewed) == sorted(picks) and len(set(reviewed)) == len(reviewed)
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(func.count()).select_from(AnomalyReview)) == len(picks)
        db.session.remove()


def test_the_township_sets_its_own_large_cash_threshold(app):
    before = _waiting(app)
    assert before
    admin = client_for(app, "this_township_admin")
    page = admin.get(f"/t/{TOWN}/anomalies").get_data(as_text=True)
    assert 'name="large_cash"' in page and 'value="10000.00"' in page
    for wrong in ("500", "200000.01", "一万", ""):
        answer = admin.post(f"/t/{TOWN}/anomalies/threshold", data={"large_cash": wrong})
        assert answer.status_code == 422, wrong
        assert 'id="large-cash-error"' in answer.get_data(as_text=True)
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Township.large_cash_fen).where(
            Township.slug == TOWN)) == 1_000_000
        db.session.remove()
    # The demo's large cash gifts are ¥12,000: above ¥12,000 none is an anomaly any more.
    assert admin.post(f"/t/{TOWN}/anomalies/threshold",
                      data={"large_cash": "12000.01"}).status_code == 302
    assert _waiting(app) == []
    page = admin.get(f"/t/{TOWN}/anomalies").get_data(as_text=True)
    assert "¥12,000.01" in page
    assert admin.post(f"/t/{TOWN}/anomalies/threshold",
                      data={"large_cash": "3000"}).status_code == 302
    lower = _waiting(app)
    assert set(before) <= set(lower)
    # Only this township's: 桃源镇 keeps ¥10,000.
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Township.large_cash_fen).where(
            Township.slug == "taoyuan")) == 1_000_000
        db.session.remove()
