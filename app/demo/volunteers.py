"""Demo volunteering: 东港村's volunteers (one also in 南塘村, one under 18 with a guardian),
an activity whose hours are confirmed and certified, one waiting for its second confirmation,
one left unconfirmed for over a week (the township sees it), one open for sign-up, and a time
bank where hours were given to the pool, granted to a resident and drawn for a service."""

from __future__ import annotations

from datetime import datetime, timedelta

from stdnum.cn import ric

from app.auth.services import find_user
from app.clock import LOCAL, local_today
from app.volunteers import certificates, services, timebank
from app.volunteers.models import AccountKind
from tenants import fund_scope, using

PEOPLE = [  # name, mobile, born, skills, show name, guardian
    ("钱志远", "13700000001", "19850312", "驾驶、维修", True, None),
    ("周小梅", "13700000002", "19920708", "护理", False, None),
    ("顾海峰", "13700000003", "19781120", "理发", False, None),
    ("陆欣怡", "13700000004", "20110905", "绘画", False, ("陆建明", "13700000009")),
]


def id_number(born: str, serial: int) -> str:
    """A valid resident ID number of 苏州市 for the demo (check digit computed)."""
    body = f"320500{born}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    day = local_today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


# Where 东港村's activities take place (near 苏州): volunteers' phones check in within 500 m.
PLACE = (31.2990, 120.5853)


def _activity(fund, leader, title, place, days, hours, needed=6, minors=False, where=PLACE):
    start = _at(days, 9)
    return services.create_activity(fund, services.ActivityInput(
        title=title, place=place, starts_at=start, ends_at=start + timedelta(hours=hours),
        needed=needed, minors_allowed=minors, leader_id=leader.id,
        latitude=where[0] if where else None, longitude=where[1] if where else None))


def _attend(activity, volunteers, late=()):
    """Everyone signs up the day before, checks in at the start and out at the end."""
    for volunteer in volunteers:
        row = services.sign_up(activity, volunteer, now=activity.starts_at - timedelta(days=1))
        arrive = activity.starts_at + (timedelta(minutes=25) if volunteer in late else
                                       timedelta(0))
        services.check_in(row, activity, now=arrive, position=services.Position(
            PLACE[0] + 0.0008, PLACE[1] - 0.0005))  # about 100 m away
        services.check_out(row, activity, now=activity.ends_at)


def seed(demo) -> None:
    dgc, ntc = demo.funds["DGC"], demo.funds["NTC"]
    social_worker, secretary = find_user("13900000016"), find_user("13900000015")
    with using(fund_scope(dgc.id)):
        people = [services.register(dgc, services.VolunteerInput(
            name=name, phone=phone, id_number=id_number(born, n), skills=skills,
            show_name=shown, guardian_name=guardian[0] if guardian else "",
            guardian_phone=guardian[1] if guardian else ""), social_worker)
            for n, (name, phone, born, skills, shown, guardian) in enumerate(PEOPLE, 1)]
        qian, zhou, gu, lu = people

        visit = _activity(dgc, social_worker, "重阳节敬老院陪伴", "东港村敬老院", -20, 2.5,
                          minors=True)
        _attend(visit, [qian, zhou, lu], late=[zhou])
        services.mark_list(visit, {row.id: "late" if row.volunteer_id == zhou.id else "normal"
                                   for row in services.attendances(visit)}, social_worker,
                           now=visit.ends_at)
        services.confirm(visit, secretary, now=visit.ends_at + timedelta(hours=3))

        river = _activity(dgc, social_worker, "河道清洁", "东港河", -3, 2)
        _attend(river, [qian, gu])
        services.mark_list(river, {row.id: "normal" for row in services.attendances(river)},
                           social_worker, now=river.ends_at)

        sorting = _activity(dgc, social_worker, "垃圾分类宣传", "村委会广场", -10, 2)
        _attend(sorting, [zhou, gu])

        # Led by the treasurer, who does not read the registry: the leader's own view.
        treasurer = find_user("13900000012")
        haircut = _activity(dgc, treasurer, "爱心义剪", "村民活动中心", 5, 3, needed=4)
        services.sign_up(haircut, gu)

        # The time bank: a gift to the pool, a grant to a resident, hours drawn for a service.
        pool = timebank.bank_account(dgc.id, AccountKind.POOL)
        spent = timebank.bank_account(dgc.id, AccountKind.SPENT)
        resident = timebank.add_resident(dgc.id, "沈阿婆", 50)
        timebank.move(dgc.id, timebank.account_of(qian), pool, 60, note="赠予时间池",
                      user=social_worker)
        timebank.move(dgc.id, pool, resident, 60, note="独居老人", user=social_worker)
        timebank.move(dgc.id, resident, spent, 30, note="周小梅上门陪伴", user=social_worker)

        certificates.issue(qian, social_worker)

    # 钱志远 also serves in 南塘村: the same person, found by the same keyed hashes.
    with using(fund_scope(ntc.id)):
        treasurer = find_user("13900000021")
        qian_ntc = services.register(ntc, services.VolunteerInput(
            name="钱志远", phone="13700000001", id_number=id_number("19850312", 1),
            skills="驾驶"), treasurer)
        fair = _activity(ntc, treasurer, "助老集市", "南塘村文化礼堂", -15, 3, where=None)
        _attend(fair, [qian_ntc])
        services.mark_list(fair, {row.id: "normal" for row in services.attendances(fair)},
                           treasurer, now=fair.ends_at)
        services.confirm(fair, find_user("13900000020"), now=fair.ends_at + timedelta(days=1))


def sample(name: str):
    """URL values for the tests' walks over every route (东港村's scope): the activity open for
    sign-up with its QR token and a sign-up, a volunteer, a certificate, a time account."""
    from sqlalchemy import select

    from app.extensions import db
    from app.volunteers.models import Activity, Attendance, Certificate, TimeAccount

    activity = db.session.scalar(select(Activity).where(Activity.status == "open")
                                 .order_by(Activity.starts_at.desc()))
    certificate = db.session.scalar(select(Certificate).order_by(Certificate.id))
    return {
        "activity_id": lambda: activity.id,
        "check_token": lambda: activity.check_token,
        "attendance_id": lambda: db.session.scalar(select(Attendance.id).where(
            Attendance.activity_id == activity.id)),
        "volunteer_id": lambda: certificate.volunteer_id,
        "certificate_id": lambda: certificate.id,
        "cert_token": lambda: certificate.token,
        "account_id": lambda: db.session.scalar(select(TimeAccount.id).where(
            TimeAccount.kind == "resident")),
    }[name]()
