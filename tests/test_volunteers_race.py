"""Two confirmations of one activity's hours at the same moment, on SQLite and PostgreSQL:
the hours count once, the time bank takes them once, no request answers 500."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.volunteers import services
from app.volunteers.models import HourEntry, TimeTransfer
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, PASSWORD

FUND = "donggangcun"
N = 4  # clicks fired together


def _person(key: str) -> User:
    return db.session.scalar(select(User).where(User.phone == LOGINS[key]))


def _marked_activity(app) -> int:
    """An activity with two volunteers served, marked by the leader, waiting for the second key."""
    from app.demo.volunteers import id_number

    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            start = utcnow() - timedelta(hours=3)
            activity = services.create_activity(fund, services.ActivityInput(
                title="并发确认", place="村委会", starts_at=start,
                ends_at=start + timedelta(hours=2), needed=5,
                leader_id=_person("social_worker").id))
            rows = []
            for n in range(2):
                volunteer = services.register(fund, services.VolunteerInput(
                    name=f"并发{n}", phone=f"1355555000{n}", id_number=id_number("19700101",
                                                                                 800 + n)))
                row = services.sign_up(activity, volunteer, now=start - timedelta(hours=1))
                services.check_in(row, activity, now=start)
                services.check_out(row, activity, now=start + timedelta(minutes=75))
                rows.append(row)
            services.mark_list(activity, {r.id: "normal" for r in rows}, _person("social_worker"))
            db.session.commit()
            activity_id = activity.id
        db.session.remove()
    return activity_id


def _signed_in(app, key: str):
    client = app.test_client()
    assert client.post("/auth/login", data={"login": LOGINS[key], "password": PASSWORD}
                       ).status_code == 302
    return client


def test_two_confirmations_at_once_count_the_hours_once(app):
    activity_id = _marked_activity(app)
    clients = [_signed_in(app, "secretary" if i % 2 else "chair") for i in range(N)]
    path = f"/f/{FUND}/volunteers/activities/{activity_id}/confirm"
    start = threading.Barrier(N)
    statuses = [None] * N

    def click(i):
        start.wait()
        statuses[i] = clients[i].post(path).status_code

    threads = [threading.Thread(target=click, args=(i,)) for i in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert None not in statuses and 500 not in statuses, statuses
    with app.app_context(), using(SYSTEM):
        entries = db.session.scalars(select(HourEntry).where(
            HourEntry.activity_id == activity_id)).all()
        assert sorted(e.minutes for e in entries) == [75, 75]
        assert db.session.scalar(select(func.count(TimeTransfer.id)).where(
            TimeTransfer.hour_entry_id.in_([e.id for e in entries]))) == 2
        db.session.remove()


def test_the_page_tells_the_second_click_the_hours_are_already_confirmed(app):
    activity_id = _marked_activity(app)
    client = _signed_in(app, "chair")
    path = f"/f/{FUND}/volunteers/activities/{activity_id}/confirm"
    assert client.post(path).status_code == 302
    client.post(path)
    page = client.get(f"/f/{FUND}/volunteers/activities/{activity_id}").get_data(as_text=True)
    assert "已经确认" in page or "already been confirmed" in page
