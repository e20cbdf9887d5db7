"""Volunteering, second part: a check-in's distance from the place, the annual report's
志愿服务 section, a leader who sees only their activity's list (a volunteer with no account,
or a fund person without the registry), and the district's export kept to its roles and
written to the audit trail."""

import io
import json
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.privacy import mask_id_number
from app.validation import Invalid
from app.volunteers import proof, services
from app.volunteers.models import Activity, Attendance, HourEntry, Volunteer
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS
from .helpers import person

FUND = "donggangcun"
PLACE = (31.2990, 120.5853)  # 东港村's demo activities
NEAR = (31.2999, 120.5850)  # about 100 m away
FAR = (31.3200, 120.5853)  # about 2.3 km away


def id_number(born: str = "19900101", serial: int = 123) -> str:
    from app.demo.volunteers import id_number as make

    return make(born, serial)


def new_volunteer(fund, name="韩梅梅", phone="13811112222", serial=123):
    return services.register(
        fund,
        services.VolunteerInput(name=name, phone=phone, id_number=id_number("19900101", serial)),
        person("secretary"),
    )


def new_activity(fund, where=PLACE, **kw):
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    kw.setdefault("leader_id", person("social_worker").id)
    return services.create_activity(
        fund,
        services.ActivityInput(
            title="社区清扫",
            place="村口",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            needed=5,
            latitude=where[0] if where else None,
            longitude=where[1] if where else None,
            **kw,
        ),
    )


def errors(call) -> dict:
    savepoint = db.session.begin_nested()
    with pytest.raises(Invalid) as refused:
        call()
    savepoint.rollback()
    return refused.value.errors


def in_dgc(app, work):
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            result = work(dgc)
            db.session.commit()
        db.session.remove()
    return result


def prove(client, app, phone: str) -> None:
    """The session a proved SMS code leaves (app/volunteers/proof.py)."""
    with app.app_context(), using(SYSTEM):
        township_id = db.session.scalar(select(Fund.township_id).where(Fund.slug == FUND))
        digest = services.phone_hash(phone)
    with client.session_transaction() as session:
        session[proof.KEY] = {
            "phone": digest,
            "township": township_id,
            "until": (utcnow() + timedelta(hours=1)).timestamp(),
        }


# --- the distance of a check-in ----------------------------------------------------------------


def test_haversine_distances():
    assert services.distance_m(*PLACE, *PLACE) == 0
    assert 90 < services.distance_m(*PLACE, *NEAR) < 120
    assert 2200 < services.distance_m(*PLACE, *FAR) < 2400
    # One degree of latitude is about 111.2 km anywhere.
    assert abs(services.distance_m(30, 120, 31, 120) - 111_195) < 50


def test_a_check_in_inside_the_radius_is_taken_and_outside_refused_with_nothing_written(fund):
    volunteer = new_volunteer(fund)
    activity = new_activity(fund)
    assert activity.radius_m == services.RADIUS_M == 500
    row = services.sign_up(activity, volunteer)
    far = services.Position(*FAR)
    message = str(errors(lambda: services.check_in(row, activity, position=far))["code"])
    assert "村口" in message and "500" in message
    db.session.refresh(row)
    assert row.check_in_at is None and row.checked_where is None
    services.check_in(row, activity, position=services.Position(*NEAR))
    assert row.check_in_at is not None and row.checked_where == "near"
    assert 90 < row.distance_m < 120


def test_without_a_position_or_a_place_the_check_in_is_taken_as_not_verified(fund):
    a, b = new_volunteer(fund), new_volunteer(fund, "李雷", "13811113333", 124)
    placed, unplaced = new_activity(fund), new_activity(fund, where=None)
    refused = services.sign_up(placed, a)
    services.check_in(refused, placed, position=None)  # the volunteer refused to share it
    assert refused.checked_where == "unverified" and refused.distance_m is None
    anywhere = services.sign_up(unplaced, b)
    services.check_in(anywhere, unplaced, position=services.Position(*FAR))
    assert anywhere.checked_where == "unverified"


def test_the_leaders_check_in_needs_no_position(fund):
    volunteer = new_volunteer(fund)
    activity = new_activity(fund)
    row = services.sign_up(activity, volunteer)
    services.leader_check_in(row, activity)
    assert row.checked_where == "leader" and row.distance_m is None


def test_a_wrong_place_or_radius_is_refused_beside_the_fields(fund):
    assert {"latitude"} <= set(errors(lambda: new_activity(fund, where=("91", "120"))))
    assert {"longitude"} <= set(errors(lambda: new_activity(fund, where=("31", "abc"))))
    assert {"longitude"} <= set(errors(lambda: new_activity(fund, where=("31.2", ""))))
    assert {"latitude"} <= set(errors(lambda: new_activity(fund, where=("nan", "120"))))
    assert {"radius_m"} <= set(errors(lambda: new_activity(fund, radius_m=10)))
    assert services.Position.parse("", "") is None
    assert services.Position.parse("inf", "120") is None
    assert services.Position.parse("31.3", "120.6") == services.Position(31.3, 120.6)


def test_the_qr_page_sends_the_position_and_a_far_check_in_answers_422(app):
    def setup(dgc):
        volunteer = new_volunteer(dgc)
        activity = new_activity(dgc)
        services.sign_up(activity, volunteer)
        return activity.id, f"/f/{FUND}/volunteers/check/{activity.id}/{activity.check_token}"

    activity_id, path = in_dgc(app, setup)
    client = app.test_client()
    page = client.get(path)
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    prove(client, app, "13811112222")
    html = client.get(path).get_data(as_text=True)
    assert 'data-position="ask"' in html and "volunteers/position.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    far = client.post(path, data={"step": "in", "latitude": FAR[0], "longitude": FAR[1]})
    assert far.status_code == 422
    assert "500" in far.get_data(as_text=True)

    def row(_dgc):
        found = db.session.scalar(select(Attendance).where(Attendance.activity_id == activity_id))
        return found.check_in_at, found.checked_where

    assert in_dgc(app, row) == (None, None)
    near = client.post(path, data={"step": "in", "latitude": NEAR[0], "longitude": NEAR[1]})
    assert near.status_code == 302
    assert in_dgc(app, row)[1] == "near"


def test_the_new_activity_form_offers_the_current_location_and_stores_the_place(client, auth, app):
    auth.login(LOGINS["secretary"])
    page = client.get(f"/f/{FUND}/volunteers/activities/new")
    html = page.get_data(as_text=True)
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    assert 'id="use-my-location"' in html and 'name="radius_m"' in html
    assert 'value="500"' in html
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    end = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT11:00")
    form = {
        "title": "健康讲座",
        "place": "村委会",
        "starts_at": start,
        "ends_at": end,
        "needed": "5",
        "latitude": "31.2990",
        "longitude": "",
        "radius_m": "300",
    }
    refused = client.post(f"/f/{FUND}/volunteers/activities/new", data=form)
    assert refused.status_code == 422
    with app.app_context(), using(SYSTEM):
        assert (
            db.session.scalar(select(func.count(Activity.id)).where(Activity.title == "健康讲座"))
            == 0
        )
    done = client.post(
        f"/f/{FUND}/volunteers/activities/new", data={**form, "longitude": "120.5853"}
    )
    assert done.status_code == 302
    with app.app_context(), using(SYSTEM):
        made = db.session.scalar(select(Activity).where(Activity.title == "健康讲座"))
        assert (made.latitude, made.longitude, made.radius_m) == (31.299, 120.5853, 300)


def test_other_pages_keep_geolocation_off(client):
    assert "geolocation=()" in client.get(f"/f/{FUND}/public").headers["Permissions-Policy"]


# --- the annual report -------------------------------------------------------------------------


def test_the_annual_report_has_a_volunteering_section_naming_only_who_agreed(client, auth, app):
    def year(_dgc):
        confirmed = db.session.scalar(select(Activity).where(Activity.status == "confirmed"))
        from app.clock import local_today

        return local_today(confirmed.starts_at).year

    report_year = in_dgc(app, year)
    auth.login(LOGINS["chair"])
    query = f"kind=annual&year={report_year}"
    pdf = client.get(f"/f/{FUND}/reports/preview.pdf?{query}")
    assert pdf.content_type == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    section = text[text.index("志愿服务") :]
    assert "钱志远" in section  # agreed to be named on the board
    for hidden in ("周小梅", "顾海峰", "陆欣怡"):  # did not
        assert hidden not in text
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            from datetime import date

            served = services.served_between(date(report_year, 1, 1), date(report_year, 12, 31))
    assert served.minutes > 0 and served.people >= 3
    assert services.hours_text(served.minutes) in section
    rows = client.get(f"/f/{FUND}/reports/preview.csv?{query}").data.decode("utf-8-sig")
    assert "钱志远" in rows and "周小梅" not in rows
    assert services.hours_text(served.minutes) in rows
    sheet = load_workbook(io.BytesIO(client.get(f"/f/{FUND}/reports/preview.xlsx?{query}").data))
    cells = [c for row in sheet.active.iter_rows(values_only=True) for c in row if c]
    assert "钱志远" in cells and "周小梅" not in cells
    quarterly = client.get(
        f"/f/{FUND}/reports/preview.csv?kind=quarterly&year={report_year}&quarter=4"
    ).data.decode("utf-8-sig")
    assert "钱志远" not in quarterly  # the section is the annual report's


# --- a leader sees their activity's list only --------------------------------------------------


def test_a_volunteer_leader_marks_their_list_with_an_sms_code_and_sees_nothing_else(app):
    def setup(dgc):
        leader = new_volunteer(dgc, "王队长", "13811115555", 125)
        a = new_volunteer(dgc, "韩梅梅", "13811112222", 123)
        b = new_volunteer(dgc, "李雷", "13811113333", 124)
        activity = new_activity(dgc, leader_id=None, leader_volunteer_id=leader.id)
        rows = [services.sign_up(activity, v) for v in (a, b)]
        services.check_in(rows[0], activity, position=services.Position(*NEAR))
        return activity.id, [r.id for r in rows], a.id_number, b.id_number

    activity_id, (row_a, row_b), id_a, id_b = in_dgc(app, setup)
    path = f"/f/{FUND}/volunteers/me/lead/{activity_id}"
    client = app.test_client()
    assert 'name="phone"' in client.get(path).get_data(as_text=True)  # prove the number first
    stranger = app.test_client()
    prove(stranger, app, "13811113333")  # on the list, not its leader
    assert stranger.get(path).status_code == 404
    assert stranger.post(path, data={"step": "marks", f"mark-{row_a}": "normal"}).status_code == 404
    prove(client, app, "13811115555")
    html = client.get(path).get_data(as_text=True)
    assert "韩梅梅" in html and "李雷" in html
    assert mask_id_number(id_a) in html and id_a not in html and id_b not in html
    assert "钱志远" not in html  # nobody else of the registry
    me = client.get(f"/f/{FUND}/volunteers/me").get_data(as_text=True)
    assert path in me
    # The leader checks 李雷 in (no position needed) and both out, then marks the list.
    assert client.post(path, data={"step": "in", "attendance_id": row_b}).status_code == 302
    for row in (row_a, row_b):
        assert client.post(path, data={"step": "out", "attendance_id": row}).status_code == 302
    assert (
        client.post(
            path, data={"step": "marks", f"mark-{row_a}": "normal", f"mark-{row_b}": "late"}
        ).status_code
        == 302
    )
    # The registry and the fund's pages stay closed to them: they have no account.
    for closed in ("/", "/new", f"/activities/{activity_id}"):
        response = client.get(f"/f/{FUND}/volunteers{closed}")
        assert response.status_code == 302 and "/auth/login" in response.location

    def after(_dgc):
        activity = db.session.get(Activity, activity_id)
        rows = {r.id: r for r in services.attendances(activity)}
        assert activity.status == "marked" and activity.marked_by_volunteer_id is not None
        assert activity.marked_by_id is None
        assert rows[row_b].checked_where == "leader" and rows[row_a].checked_where == "near"
        services.confirm(activity, person("secretary"))  # the second key
        return db.session.scalar(
            select(func.count(HourEntry.id)).where(HourEntry.activity_id == activity_id)
        )

    assert in_dgc(app, after) == 2


def test_a_volunteer_leader_must_be_an_adult_of_the_fund_and_only_one_leader(fund):
    leader = new_volunteer(fund, "王队长", "13811115555", 125)
    both = errors(lambda: new_activity(fund, leader_volunteer_id=leader.id))
    assert "leader_volunteer_id" in both
    assert "leader_volunteer_id" in errors(
        lambda: new_activity(fund, leader_id=None, leader_volunteer_id=999_999)
    )


def test_a_fund_person_who_leads_sees_only_their_activitys_list_masked(client, auth, app):
    def setup(dgc):
        volunteer = new_volunteer(dgc)
        activity = new_activity(dgc, leader_id=person("member").id)
        row = services.sign_up(activity, volunteer)
        other = db.session.scalar(
            select(Activity).where(Activity.leader_id != person("member").id).order_by(Activity.id)
        )
        return activity.id, row.id, other.id, volunteer.id_number, volunteer.id

    activity_id, row_id, other_id, whole_id, volunteer_id = in_dgc(app, setup)
    auth.login(LOGINS["member"])  # a committee member: no volunteer.read
    base = f"/f/{FUND}/volunteers"
    page = client.get(f"{base}/activities/{activity_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "韩梅梅" in html and mask_id_number(whole_id) in html and whole_id not in html
    assert "钱志远" not in html  # no sign-up list of the whole registry
    listing = client.get(f"{base}/").get_data(as_text=True)
    assert "社区清扫" in listing and "钱志远" not in listing and "重阳节敬老院陪伴" not in listing
    for closed in (
        f"/activities/{other_id}",
        f"/activities/{other_id}/qr.svg",
        f"/{volunteer_id}",
        "/bank",
    ):
        assert client.get(base + closed).status_code == 403, closed
    assert client.post(f"{base}/activities/{other_id}/marks").status_code == 403
    assert client.post(f"{base}/activities/{activity_id}/attendance/{row_id}/in").status_code == 302
    assert (
        client.post(f"{base}/activities/{activity_id}/attendance/{row_id}/out").status_code == 302
    )
    assert (
        client.post(
            f"{base}/activities/{activity_id}/marks", data={f"mark-{row_id}": "normal"}
        ).status_code
        == 302
    )
    with app.app_context(), using(SYSTEM):
        row = db.session.get(Attendance, row_id)
        assert row.mark == "normal" and row.checked_where == "leader"
    auth.logout()
    auth.login(LOGINS["treasurer"])  # past activity.lead's door, not the leader
    assert client.get(f"{base}/activities/{activity_id}").status_code == 403


def fund_tabs(client) -> str:
    """The fund's section navigation on the fund's first page."""
    page = client.get(f"/f/{FUND}/").get_data(as_text=True)
    start = page.index('<nav class="tabs"')
    return page[start : page.index("</nav>", start)]


def test_the_fund_navigation_offers_volunteers_to_a_leader_without_the_registry(client, auth):
    """The treasurer reads no registry but leads the demo's 爱心义剪: the tab opens the
    activities they lead. The committee member leads nothing and gets no tab."""
    from app.auth.policy import may

    assert not may("volunteer.read", {"treasurer"}) and not may("volunteer.read", {"member"})
    tab = f'href="/f/{FUND}/volunteers/"'
    auth.login(LOGINS["treasurer"])
    assert tab in fund_tabs(client)
    listing = client.get(f"/f/{FUND}/volunteers/").get_data(as_text=True)
    assert "爱心义剪" in listing and "河道清洁" not in listing
    auth.logout()
    auth.login(LOGINS["member"])
    tabs = fund_tabs(client)
    assert tab not in tabs and f'href="/f/{FUND}/payouts/"' in tabs
    auth.logout()
    auth.login(LOGINS["secretary"])  # reads the registry, leads nothing
    assert tab in fund_tabs(client)


def test_the_policy_matches_the_issue():
    from app.auth.policy import allowed

    assert allowed("hours.confirm") == {"secretary", "chair"}
    assert "social_worker" in allowed("volunteer.manage")
    assert "social_worker" in allowed("timebank.manage")
    assert allowed("volunteer.export") <= allowed("volunteer.manage")
    assert allowed("volunteer.read") <= allowed("activity.lead")


# --- the district's export ---------------------------------------------------------------------


def test_the_district_export_is_kept_to_its_roles_and_every_download_is_audited(client, auth, app):
    with app.app_context(), using(SYSTEM):
        whole = db.session.scalar(
            select(Volunteer.id_number).where(Volunteer.name == "钱志远").order_by(Volunteer.id)
        )
        before = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "volunteer.exported")
        )
    path = f"/f/{FUND}/volunteers/export.xlsx"
    auth.login(LOGINS["chair"])  # reads the registry, does not export it
    assert client.post(path).status_code == 403
    assert "export.xlsx" not in client.get(f"/f/{FUND}/volunteers/").get_data(as_text=True)
    auth.logout()
    auth.login(LOGINS["secretary"])
    assert client.get(path).status_code == 405  # a download that writes its audit entry
    assert 'action="' + path in client.get(f"/f/{FUND}/volunteers/").get_data(as_text=True)
    response = client.post(path)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    people = list(book["志愿者"].iter_rows(min_row=2, values_only=True))
    assert whole in [row[2] for row in people]  # the district's system imports by ID number
    with app.app_context(), using(SYSTEM):
        entries = list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "volunteer.exported")
                .order_by(AuditEntry.id)
            )
        )
        assert len(entries) == before + 1
        entry = entries[-1]
        secretary = db.session.scalar(select(User).where(User.phone == LOGINS["secretary"]))
        assert entry.actor_id == secretary.id and entry.at is not None
        after = json.loads(entry.after)
        assert after["volunteers"] == len(people)
        assert after["service_rows"] == book["服务记录"].max_row - 1
        assert whole not in entry.after


def test_the_board_writes_the_seasons_first_day_the_chinese_way(client):
    import re

    html = client.get(f"/f/{FUND}/public").get_data(as_text=True)
    if 'id="volunteering"' not in html:  # the demo's hours are 20 days old: another quarter
        pytest.skip("no confirmed hours in the demo this quarter")
    section = html[html.index('id="volunteering"') :]
    section = section[: section.index("</section>")]
    assert re.search(r"\d{4}年\d{1,2}月1日", section), section
    assert not re.search(r"January|April|July|October", section)
