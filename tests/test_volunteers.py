"""Volunteering: the real-name registry, activities with check-in in their window, the
leader's marks and the second confirmation, corrections, certificates and the township's view."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.validation import Invalid
from app.volunteers import certificates, services, timebank
from app.volunteers.models import (
    Activity,
    Attendance,
    Certificate,
    TimeAccount,
    TimeMovement,
    Volunteer,
)
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, received
from .helpers import person

FUND = "donggangcun"
NOW = utcnow().replace(microsecond=0)


def id_number(born: str = "19900101", serial: int = 123) -> str:
    from app.demo.volunteers import id_number as make

    return make(born, serial)


def new_volunteer(fund, name="韩梅梅", phone="13811112222", born="19900101", serial=123, **kw):
    return services.register(fund, services.VolunteerInput(
        name=name, phone=phone, id_number=id_number(born, serial), **kw), person("secretary"))


def new_activity(fund, start=None, hours=2, **kw):
    start = start or NOW - timedelta(hours=1)
    return services.create_activity(fund, services.ActivityInput(
        title="社区清扫", place="村口", starts_at=start, ends_at=start + timedelta(hours=hours),
        needed=kw.pop("needed", 5), leader_id=person("social_worker").id, **kw))


def served(fund, volunteer, activity, minutes_in=0, minutes_out=90):
    row = services.sign_up(activity, volunteer, now=activity.starts_at - timedelta(hours=2))
    services.check_in(row, activity, now=activity.starts_at + timedelta(minutes=minutes_in))
    services.check_out(row, activity, now=activity.starts_at + timedelta(minutes=minutes_out))
    return row


def errors(call) -> dict:
    """The messages of a refused call; what it wrote is rolled back (to a savepoint, so the
    test's own rows stay)."""
    savepoint = db.session.begin_nested()
    with pytest.raises(Invalid) as refused:
        call()
    savepoint.rollback()
    return refused.value.errors


# --- the registry ------------------------------------------------------------------------------

def test_a_volunteer_is_registered_by_real_name_with_the_id_number_sealed(fund):
    volunteer = new_volunteer(fund)
    db.session.commit()
    raw = db.session.execute(text("SELECT id_number, phone, id_hash FROM volunteer WHERE id = :i"),
                             {"i": volunteer.id}).one()
    assert raw.id_number.startswith("v1:") and id_number() not in raw.id_number
    assert "13811112222" not in raw.phone
    assert raw.id_hash == services.id_hash(id_number())
    assert db.session.get(Volunteer, volunteer.id).id_number == id_number()
    assert db.session.scalar(select(TimeAccount).where(
        TimeAccount.volunteer_id == volunteer.id)) is not None


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_nothing_is_written(fund):
    good = id_number()
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    before = db.session.scalar(select(func.count(Volunteer.id)))
    refused = errors(lambda: services.register(fund, services.VolunteerInput(
        name="韩梅梅", phone="13811112222", id_number=wrong)))
    assert "id_number" in refused
    assert db.session.scalar(select(func.count(Volunteer.id))) == before


def test_the_same_id_number_twice_in_one_fund_is_refused(fund):
    new_volunteer(fund)
    assert "id_number" in errors(lambda: new_volunteer(fund, phone="13811113333"))


def test_a_minor_needs_a_guardian_and_joins_only_group_activities(fund):
    born = f"{utcnow().year - 12}0101"
    refused = errors(lambda: new_volunteer(fund, born=born))
    assert {"guardian_name", "guardian_phone"} <= set(refused)
    child = new_volunteer(fund, born=born, guardian_name="韩父", guardian_phone="13811114444")
    alone = new_activity(fund, start=NOW + timedelta(days=1))
    assert "volunteer_id" in errors(lambda: services.sign_up(alone, child))
    group = new_activity(fund, start=NOW + timedelta(days=1), minors_allowed=True)
    assert services.sign_up(group, child).id


def test_a_volunteer_in_two_funds_sees_both_records_with_one_number(app):
    with app.test_request_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        digest = services.phone_hash("13700000001")  # 钱志远 of the demo
        with using(fund_scope(dgc.id)):
            records = services.record_across(dgc, digest)
    assert [r.fund.receipt_prefix for r in records] == ["DGC", "NTC"]
    assert all(r.minutes > 0 for r in records)


# --- activities, check-in, marks and the second key -------------------------------------------

def test_check_in_outside_the_window_and_twice_is_refused_with_a_message(fund):
    volunteer = new_volunteer(fund)
    activity = new_activity(fund, start=NOW + timedelta(hours=3))
    row = services.sign_up(activity, volunteer)
    assert "code" in errors(lambda: services.check_in(row, activity, now=NOW))
    services.check_in(row, activity, now=activity.starts_at)
    message = errors(lambda: services.check_in(row, activity, now=activity.starts_at))["code"]
    assert "Already checked in" in str(message) or "已" in str(message)
    late = activity.ends_at + services.LATE + timedelta(minutes=1)
    assert "code" in errors(lambda: services.check_out(row, activity, now=late))


def test_hours_count_only_when_a_second_person_confirms(fund):
    volunteer = new_volunteer(fund)
    activity = new_activity(fund, hours=1)
    row = served(fund, volunteer, activity, minutes_in=-20, minutes_out=100)  # capped at 60
    leader, secretary = person("social_worker"), person("secretary")
    services.mark_list(activity, {row.id: "normal"}, leader)
    assert services.confirmed_minutes(volunteer.id) == 0
    assert "confirm" in errors(lambda: services.confirm(activity, leader))
    services.confirm(activity, secretary)
    assert services.confirmed_minutes(volunteer.id) == 60
    assert timebank.balance(timebank.account_of(volunteer).id) == 60
    assert "confirm" in errors(lambda: services.confirm(activity, person("chair")))


def test_the_leader_marks_everyone_and_leave_or_absence_earns_nothing(fund):
    a, b, c = (new_volunteer(fund, phone=f"1381111{n}000", serial=n) for n in range(3))
    activity = new_activity(fund)
    row_a = served(fund, a, activity)
    row_b = services.sign_up(activity, b, now=activity.starts_at)
    row_c = served(fund, c, activity, minutes_in=30)
    leader = person("social_worker")
    assert "marks" in errors(lambda: services.mark_list(activity, {row_a.id: "normal"}, leader))
    assert "marks" in errors(lambda: services.mark_list(
        activity, {row_a.id: "normal", row_b.id: "normal", row_c.id: "late"}, leader))
    assert "marks" in errors(lambda: services.mark_list(
        activity, {row_a.id: "normal", row_b.id: "absent", row_c.id: "late"}, person("member")))
    services.mark_list(activity, {row_a.id: "normal", row_b.id: "leave", row_c.id: "late"},
                       leader)
    services.confirm(activity, person("chair"))
    assert [services.confirmed_minutes(v.id) for v in (a, b, c)] == [90, 0, 60]


def test_a_correction_is_a_new_entry_with_a_reason_and_bad_hours_are_refused(fund):
    volunteer = new_volunteer(fund)
    activity = new_activity(fund)
    row = served(fund, volunteer, activity)
    services.mark_list(activity, {row.id: "normal"}, person("social_worker"))
    [entry] = services.confirm(activity, person("secretary"))
    secretary = person("secretary")
    assert "reason" in errors(lambda: services.correct(entry, "0.5", "", secretary))
    assert "hours" in errors(lambda: services.correct(entry, "-2", "记错", secretary))  # < 0
    assert "hours" in errors(lambda: services.correct(entry, "25", "记错", secretary))
    assert "hours" in errors(lambda: services.correct(entry, "1.5", "记错", secretary))  # > 2 h
    assert "hours" in errors(lambda: services.correct(entry, "abc", "记错", secretary))
    fix = services.correct(entry, "-0.5", "提前离开，签退时间记错", secretary)
    assert fix.corrects_id == entry.id and fix.minutes == -30
    assert services.confirmed_minutes(volunteer.id) == 60
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE hour_entry SET minutes = 999 WHERE id = :i"),
                           {"i": entry.id})
    db.session.rollback()


def test_bad_activity_input_is_refused_beside_the_fields(fund):
    refused = errors(lambda: services.create_activity(fund, services.ActivityInput(
        title="", place="", starts_at=NOW, ends_at=NOW - timedelta(hours=1), needed=0)))
    assert {"title", "place", "ends_at", "needed"} <= set(refused)
    long = errors(lambda: new_activity(fund, hours=30))
    assert "ends_at" in long


# --- certificates ------------------------------------------------------------------------------

def test_a_certificate_is_numbered_stored_immutable_and_its_check_page_states_its_hours(
        app, client):
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            volunteer = new_volunteer(dgc)
            activity = new_activity(dgc)
            row = served(dgc, volunteer, activity)
            services.mark_list(activity, {row.id: "normal"}, person("social_worker"))
            services.confirm(activity, person("secretary"))
            first = certificates.issue(volunteer)
            second = certificates.issue(volunteer)
            db.session.commit()
            assert second.sequence == first.sequence + 1
            assert re.fullmatch(r"DGC-ZY-\d{4}-\d{5}", first.number)
            assert hashlib.sha256(first.pdf).hexdigest() == first.pdf_sha256
            assert first.total_minutes == 90 and first.id_masked.count("*") == 10
            token, number = first.token, first.number
            with pytest.raises(DatabaseError):
                db.session.execute(text("UPDATE certificate SET total_minutes = 600"))
            db.session.rollback()
            with pytest.raises(DatabaseError):
                db.session.execute(text("DELETE FROM certificate"))
            db.session.rollback()
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert number in page and "1.5" in page and "韩*梅" in page
    assert id_number() not in page
    assert client.get("/v/nonsense").status_code == 404


def test_no_certificate_without_confirmed_hours(fund):
    volunteer = new_volunteer(fund)
    assert "certificate" in errors(lambda: certificates.issue(volunteer))


# --- pages -------------------------------------------------------------------------------------

def test_the_secretary_registers_a_volunteer_and_a_wrong_id_number_answers_422(client, auth, app):
    auth.login(LOGINS["secretary"])
    good = id_number("19880808", 456)
    bad = client.post(f"/f/{FUND}/volunteers/new", data={
        "name": "李雷", "phone": "13822223333", "id_number": good[:-1] + "0" if good[-1] != "0"
        else good[:-1] + "1"})
    assert bad.status_code == 422
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(func.count(Volunteer.id)).where(
            Volunteer.name == "李雷")) == 0
    done = client.post(f"/f/{FUND}/volunteers/new", data={
        "name": "李雷", "phone": "13822223333", "id_number": good})
    assert done.status_code == 302
    page = client.get(done.location).get_data(as_text=True)
    assert "李雷" in page and good not in page and good[:4] + "**********" + good[-4:] in page


def test_the_export_holds_every_volunteer_and_confirmed_hour(client, auth):
    auth.login(LOGINS["secretary"])
    response = client.post(f"/f/{FUND}/volunteers/export.xlsx")  # audited: a POST
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    names = [row[1] for row in book["志愿者"].iter_rows(min_row=2, values_only=True)]
    assert "钱志远" in names and "陆欣怡" in names
    assert any(row[1] == "重阳节敬老院陪伴" for row in book["服务记录"].iter_rows(
        min_row=2, values_only=True))


def test_the_township_sees_hours_per_fund_and_activities_unconfirmed_past_a_week(client, auth):
    auth.login(LOGINS["this_township_admin"])
    page = client.get("/t/luwan/volunteers").get_data(as_text=True)
    assert "东港村社区慈善基金" in page and "垃圾分类宣传" in page
    assert "河道清洁" not in page  # ended 3 days ago: not yet overdue


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_volunteer_proves_the_number_by_sms_and_checks_in_by_the_qr_code(
        sms_app, fake_sms, app):
    client = sms_app.test_client()
    with sms_app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            volunteer = new_volunteer(dgc)
            activity = new_activity(dgc)
            services.sign_up(activity, volunteer, now=activity.starts_at)
            db.session.commit()
            path = f"/f/{FUND}/volunteers/check/{activity.id}/{activity.check_token}"
    assert client.get(path.rsplit("/", 1)[0] + "/wrong").status_code == 404
    assert client.post(path, data={"step": "send", "phone": "13811112222"}).status_code == 200
    [message] = received(fake_sms)
    code = message["params"][1]
    assert client.post(path, data={"step": "verify", "phone": "13811112222",
                                   "code": "000000" if code != "000000" else "111111"}
                       ).status_code == 422
    assert client.post(path, data={"step": "verify", "phone": "13811112222", "code": code}
                       ).status_code == 302
    assert client.post(path, data={"step": "in"}).status_code == 302
    again = client.post(path, data={"step": "in"})
    assert again.status_code == 422
    assert client.post(path, data={"step": "out"}).status_code == 302
    me = client.get(f"/f/{FUND}/volunteers/me").get_data(as_text=True)
    assert "韩梅梅" not in me or "东港村" in me
    with sms_app.app_context(), using(SYSTEM):
        row = db.session.scalar(select(Attendance).where(Attendance.activity_id == activity.id))
        assert row.check_in_at is not None and row.check_out_at is not None


def test_the_time_bank_of_the_demo_sums_to_zero(system):
    assert system.scalar(select(func.sum(TimeMovement.minutes))) == 0
    assert system.scalar(select(func.count(Certificate.id))) >= 1




def test_a_volunteers_own_pages_and_certificate_never_show_the_id_number_or_phone_whole(app):
    import subprocess

    from app.volunteers import proof

    client = app.test_client()
    with app.app_context(), using(SYSTEM):
        qian = db.session.scalar(select(Volunteer).where(
            Volunteer.phone_hash == services.phone_hash("13700000001")).order_by(Volunteer.id))
        secrets = {qian.id_number, qian.phone}
        certificate = db.session.scalar(select(Certificate).where(
            Certificate.volunteer_id == qian.id))
        township_id = db.session.get(Fund, qian.fund_id).township_id
        activity = db.session.scalar(select(Activity).where(Activity.status == "open",
                                                            Activity.fund_id == qian.fund_id))
        paths = [f"/f/{FUND}/volunteers/me",
                 f"/f/{FUND}/volunteers/check/{activity.id}/{activity.check_token}",
                 f"/v/{certificate.token}"]
        pdf_path = f"/f/{FUND}/volunteers/me/certificates/{certificate.id}.pdf"
        digest = services.phone_hash("13700000001")
        db.session.remove()
    with client.session_transaction() as session:
        session[proof.KEY] = {"phone": digest,
                              "township": township_id,
                              "until": (utcnow() + timedelta(hours=1)).timestamp()}
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        assert not any(secret in page for secret in secrets), path
    assert "钱志远" in client.get(paths[0]).get_data(as_text=True)
    response = client.get(pdf_path)
    assert response.content_type == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    assert "钱志远" in text and not any(secret in text for secret in secrets)
    assert "**********" in text
