"""The rules of volunteering: the real-name registry, activities with sign-up and check-in,
the leader's marks, the second confirmation that makes hours count, and corrections.

Hours count only when a second person confirms an activity's list: that step writes one
service entry per attendance, with the activity row locked, and a partial unique index refuses
a second entry for the same attendance even if two confirmations ever ran side by side.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from stdnum.cn import ric

from app.auth.models import User
from app.auth.policy import may
from app.clock import LOCAL, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.notify.codes import phone_or_refuse
from app.privacy import clean_id_number, lookup_hash
from app.validation import Invalid
from tenants import township_scope, using

from . import timebank
from .models import Activity, ActivityStatus, Attendance, HourEntry, HourKind, Mark, Volunteer

ADULT_AGE = 18
# Check-in opens a little before the start, check-out closes a while after the end.
EARLY = timedelta(minutes=30)
LATE = timedelta(hours=2)
MAX_ACTIVITY = timedelta(hours=24)
MAX_CORRECTION = 24 * 60
HOURS_RE = re.compile(r"(-)?([0-9]{1,3})(?:\.([0-9]{1,2}))?")


def phone_hash(phone: str) -> str:
    return lookup_hash(phone, "volunteer.phone")


def id_hash(id_number: str) -> str:
    return lookup_hash(id_number, "volunteer.id_number")


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_minor(volunteer: Volunteer, day: date | None = None) -> bool:
    return age_on(volunteer.birth_date, day or local_today()) < ADULT_AGE


@dataclass
class VolunteerInput:
    name: str
    phone: str
    id_number: str
    skills: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    show_name: bool = False


def register(fund: Fund, data: VolunteerInput, user: User | None = None,
             today: date | None = None) -> Volunteer:
    """A volunteer by real name: the ID number's check digit verified, sealed with a keyed hash
    beside it; a minor (from the birth date in the number) needs a guardian."""
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _l("Enter the volunteer's name as on the ID card.")
    elif len(name) > 100:
        errors["name"] = _l("The name is too long (at most 100 characters).")
    try:
        phone = phone_or_refuse(data.phone)
    except Invalid as error:
        errors.update(error.errors)
    try:
        id_number = clean_id_number(data.id_number)
    except Invalid as error:
        errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    birth = ric.get_birth_date(id_number)
    guardian_name, guardian_phone = (data.guardian_name or "").strip(), None
    if age_on(birth, today or local_today()) < ADULT_AGE:
        if not guardian_name:
            errors["guardian_name"] = _l("A volunteer under 18 needs a guardian: enter the "
                                         "guardian's name.")
        try:
            guardian_phone = phone_or_refuse(data.guardian_phone, "guardian_phone")
        except Invalid as error:
            errors.update(error.errors)
    if db.session.scalar(select(Volunteer.id).where(Volunteer.fund_id == fund.id,
                                                    Volunteer.id_hash == id_hash(id_number))):
        errors["id_number"] = _l("A volunteer with this ID number is already registered here.")
    if errors:
        raise Invalid(errors)
    volunteer = Volunteer(
        fund_id=fund.id, name=name, phone=phone, phone_hash=phone_hash(phone),
        id_number=id_number, id_hash=id_hash(id_number), birth_date=birth,
        skills=(data.skills or "").strip()[:200], guardian_name=guardian_name[:100],
        guardian_phone=guardian_phone, show_name=bool(data.show_name),
        created_by_id=user.id if user else None)
    db.session.add(volunteer)
    db.session.flush()
    timebank.account_of(volunteer)
    return volunteer


def by_phone(phone_digest: str) -> Volunteer | None:
    """This fund's volunteer holding a proved number (scope: the fund)."""
    return db.session.scalar(select(Volunteer).where(Volunteer.phone_hash == phone_digest))


def confirmed_minutes(volunteer_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
        HourEntry.volunteer_id == volunteer_id)) or 0


def entries_of(volunteer_id: int) -> list[HourEntry]:
    return list(db.session.scalars(select(HourEntry).where(
        HourEntry.volunteer_id == volunteer_id).order_by(HourEntry.id)))


@dataclass
class FundRecord:
    fund: Fund
    volunteer: Volunteer
    minutes: int
    services: list  # (day, title, minutes)


def record_across(fund: Fund, phone_digest: str) -> list[FundRecord]:
    """A volunteer's own record in every fund of the township where the number is registered:
    one explicit township scope, for this person's rows only."""
    township_funds = list(db.session.scalars(select(Fund).where(
        Fund.township_id == fund.township_id).order_by(Fund.id)))
    records = []
    with using(township_scope(fund.township_id, [f.id for f in township_funds])):
        names = {f.id: f for f in township_funds}
        for volunteer in db.session.scalars(select(Volunteer).where(
                Volunteer.phone_hash == phone_digest).order_by(Volunteer.fund_id)):
            records.append(FundRecord(names[volunteer.fund_id], volunteer,
                                      confirmed_minutes(volunteer.id), service_lines(volunteer)))
    return records


def service_lines(volunteer: Volunteer) -> list[tuple[date, str, int]]:
    """Confirmed hours per activity, corrections included: (day, title, minutes), by date."""
    rows = db.session.execute(
        select(Activity.starts_at, Activity.title, func.sum(HourEntry.minutes))
        .join(HourEntry, (HourEntry.activity_id == Activity.id)
              & (HourEntry.fund_id == Activity.fund_id))
        .where(HourEntry.volunteer_id == volunteer.id)
        .group_by(Activity.id, Activity.starts_at, Activity.title)
        .order_by(Activity.starts_at, Activity.id))
    return [(local_today(start), title, int(minutes)) for start, title, minutes in rows
            if minutes > 0]


# --- activities -----------------------------------------------------------------------------

@dataclass
class ActivityInput:
    title: str
    place: str
    starts_at: datetime | None
    ends_at: datetime | None
    needed: int | None
    min_hours: int | None = 0
    minors_allowed: bool = False
    leader_id: int | None = None


def create_activity(fund: Fund, data: ActivityInput, user: User | None = None) -> Activity:
    errors = {}
    title, place = (data.title or "").strip(), (data.place or "").strip()
    if not title:
        errors["title"] = _l("Give the activity a title.")
    if not place:
        errors["place"] = _l("Say where it takes place.")
    if data.starts_at is None:
        errors["starts_at"] = _l("Enter when it starts.")
    if data.ends_at is None:
        errors["ends_at"] = _l("Enter when it ends.")
    elif data.starts_at is not None and not (
            timedelta(0) < data.ends_at - data.starts_at <= MAX_ACTIVITY):
        errors["ends_at"] = _l("The end must come after the start, within 24 hours.")
    if not data.needed or data.needed < 1:
        errors["needed"] = _l("Say how many volunteers are needed (at least 1).")
    leader = db.session.get(User, data.leader_id) if data.leader_id else None
    if data.leader_id and (leader is None or not _works_in(leader, fund)):
        errors["leader_id"] = _l("Choose a leader from the fund's people.")
    if errors:
        raise Invalid(errors)
    activity = Activity(
        fund_id=fund.id, title=title[:200], place=place[:200], starts_at=data.starts_at,
        ends_at=data.ends_at, needed=data.needed, min_minutes=(data.min_hours or 0) * 60,
        minors_allowed=bool(data.minors_allowed), leader_id=leader.id if leader else None,
        check_token=secrets.token_urlsafe(18), created_by_id=user.id if user else None)
    db.session.add(activity)
    db.session.flush()
    return activity


def _works_in(user: User, fund: Fund) -> bool:
    from app.auth.services import current_memberships

    return any(m.fund_id == fund.id for m in current_memberships(user))


def attendances(activity: Activity) -> list[Attendance]:
    return list(db.session.scalars(select(Attendance).where(
        Attendance.activity_id == activity.id).order_by(Attendance.id)))


def sign_up(activity: Activity, volunteer: Volunteer, now: datetime | None = None) -> Attendance:
    now = now or utcnow()
    lock(activity)  # the last free place goes to one of two people signing up at once
    if activity.status != ActivityStatus.OPEN or now >= activity.ends_at:
        raise Invalid({"volunteer_id": _l("Sign-up for this activity has closed.")})
    if db.session.scalar(select(Attendance.id).where(Attendance.activity_id == activity.id,
                                                     Attendance.volunteer_id == volunteer.id)):
        raise Invalid({"volunteer_id": _l("This volunteer has already signed up.")})
    taken = db.session.scalar(select(func.count(Attendance.id)).where(
        Attendance.activity_id == activity.id))
    if taken >= activity.needed:
        raise Invalid({"volunteer_id": _l("The activity is full.")})
    if confirmed_minutes(volunteer.id) < activity.min_minutes:
        raise Invalid({"volunteer_id": _l(
            "This activity asks for at least %(hours)d hours of service already confirmed.",
            hours=activity.min_minutes // 60)})
    if is_minor(volunteer, local_today(now)) and not activity.minors_allowed:
        raise Invalid({"volunteer_id": _l("Volunteers under 18 join only group activities "
                                          "led by adults.")})
    attendance = Attendance(fund_id=activity.fund_id, activity_id=activity.id,
                            volunteer_id=volunteer.id, signed_up_at=now)
    db.session.add(attendance)
    db.session.flush()
    return attendance


def window(activity: Activity) -> tuple[datetime, datetime]:
    return activity.starts_at - EARLY, activity.ends_at + LATE


def _checkable(activity: Activity, now: datetime) -> None:
    if activity.status != ActivityStatus.OPEN:
        raise Invalid({"code": _l("The leader has already confirmed this activity's list.")})
    opens, closes = window(activity)
    if now < opens:
        raise Invalid({"code": _l("Check-in opens 30 minutes before the activity starts.")})
    if now > closes:
        raise Invalid({"code": _l("The time to check in or out for this activity has passed.")})


def attendance_of(activity: Activity, volunteer: Volunteer) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(Attendance.activity_id == activity.id,
                                                      Attendance.volunteer_id == volunteer.id))


def check_in(attendance: Attendance, activity: Activity, now: datetime | None = None) -> None:
    now = now or utcnow()
    lock(attendance)
    _checkable(activity, now)
    if attendance.check_in_at is not None:
        raise Invalid({"code": _l("Already checked in at %(time)s.",
                                  time=_clock(attendance.check_in_at))})
    attendance.check_in_at = now
    db.session.flush()


def check_out(attendance: Attendance, activity: Activity, now: datetime | None = None) -> None:
    now = now or utcnow()
    lock(attendance)
    _checkable(activity, now)
    if attendance.check_in_at is None:
        raise Invalid({"code": _l("Check in first.")})
    if attendance.check_out_at is not None:
        raise Invalid({"code": _l("Already checked out at %(time)s.",
                                  time=_clock(attendance.check_out_at))})
    attendance.check_out_at = max(now, attendance.check_in_at)
    db.session.flush()


def _clock(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%H:%M")


def served_minutes(activity: Activity, attendance: Attendance, mark: str) -> int:
    """Hours = out − in, capped at the activity's length; nothing for leave or absence."""
    if mark in (Mark.LEAVE, Mark.ABSENT):
        return 0
    if attendance.check_in_at is None or attendance.check_out_at is None:
        return 0
    served = int((attendance.check_out_at - attendance.check_in_at).total_seconds() // 60)
    return max(0, min(served, activity.length_minutes))


def may_lead(activity: Activity, user: User) -> bool:
    return activity.leader_id == user.id or may("volunteer.manage")


def mark_list(activity: Activity, marks: dict[int, str], user: User,
              now: datetime | None = None) -> None:
    """The leader marks each person 正常/请假/迟到/缺席 and confirms the list (first key)."""
    lock(activity)
    if not may_lead(activity, user):
        raise Invalid({"marks": _l("Only the activity's leader marks the list.")})
    if activity.status != ActivityStatus.OPEN:
        raise Invalid({"marks": _l("The list has already been confirmed.")})
    rows = attendances(activity)
    if not rows:
        raise Invalid({"marks": _l("Nobody has signed up for this activity.")})
    for row in rows:
        mark = marks.get(row.id)
        if mark not in Mark.values():
            raise Invalid({"marks": _l("Mark every volunteer on the list.")})
        if mark in (Mark.NORMAL, Mark.LATE) and row.check_in_at is None:
            raise Invalid({"marks": _l("%(name)s has not checked in: check them in, or mark "
                                       "them on leave or absent.", name=row.volunteer.name)})
        if mark in (Mark.NORMAL, Mark.LATE) and row.check_out_at is None:
            raise Invalid({"marks": _l("%(name)s has not checked out: check them out first.",
                                       name=row.volunteer.name)})
        row.mark = mark
        row.minutes = served_minutes(activity, row, mark)
    activity.status = ActivityStatus.MARKED
    activity.marked_by_id, activity.marked_at = user.id, now or utcnow()
    db.session.flush()


def confirm(activity: Activity, user: User, now: datetime | None = None) -> list[HourEntry]:
    """The second key: another person confirms the list, and only now do the hours count
    (entries written, deposited into each volunteer's time account). Two confirmations at
    once: the lock puts one after the other, and the second finds the list confirmed."""
    lock(activity)
    if activity.status == ActivityStatus.CONFIRMED:
        raise Invalid({"confirm": _l("These hours have already been confirmed.")})
    if activity.status != ActivityStatus.MARKED:
        raise Invalid({"confirm": _l("The leader has not confirmed the list yet.")})
    if activity.marked_by_id == user.id:
        raise Invalid({"confirm": _l("A second person confirms the hours: not the one who "
                                     "marked the list.")})
    now = now or utcnow()
    entries = []
    for row in attendances(activity):  # a 0 too, so that a wrong 缺席 can be corrected
        entry = HourEntry(fund_id=activity.fund_id, volunteer_id=row.volunteer_id,
                          activity_id=activity.id, attendance_id=row.id, kind=HourKind.SERVICE,
                          minutes=row.minutes or 0, created_by_id=user.id, created_at=now)
        db.session.add(entry)
        entries.append(entry)
    activity.status = ActivityStatus.CONFIRMED
    activity.confirmed_by_id, activity.confirmed_at = user.id, now
    db.session.flush()
    for entry in entries:
        timebank.deposit(entry, user)
    return entries


def parse_hours(value: str, field: str = "hours") -> int:
    """"1.5" or "-0.5" hours as whole minutes; anything else Invalid beside the field."""
    match = HOURS_RE.fullmatch((value or "").strip())
    if match is None:
        raise Invalid({field: _l("Enter hours as a number such as 1.5, or -1 to take away.")})
    sign, whole, part = match.groups()
    minutes = int(whole) * 60 + round(int((part or "0").ljust(2, "0")) * 60 / 100)
    return -minutes if sign else minutes


def correct(entry: HourEntry, hours: str, reason: str, user: User,
            now: datetime | None = None) -> HourEntry:
    """A correction is a new entry with a reason; the entry it corrects stays as it was."""
    activity = db.session.get(Activity, entry.activity_id)
    lock(activity)
    minutes = parse_hours(hours)
    reason = (reason or "").strip()
    errors = {}
    if minutes == 0:
        errors["hours"] = _l("A correction adds or takes away some time: not 0.")
    elif abs(minutes) > MAX_CORRECTION:
        errors["hours"] = _l("A correction is at most 24 hours either way.")
    if not reason:
        errors["reason"] = _l("Say why the hours are corrected.")
    elif len(reason) > 300:
        errors["reason"] = _l("The reason is too long (at most 300 characters).")
    if errors:
        raise Invalid(errors)
    counted = db.session.scalar(select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
        HourEntry.volunteer_id == entry.volunteer_id, HourEntry.activity_id == activity.id))
    if not 0 <= counted + minutes <= activity.length_minutes:
        raise Invalid({"hours": _l("After the correction the hours for this activity must lie "
                                   "between 0 and its length (%(hours)s h).",
                                   hours=hours_text(activity.length_minutes))})
    fix = HourEntry(fund_id=entry.fund_id, volunteer_id=entry.volunteer_id,
                    activity_id=activity.id, kind=HourKind.CORRECTION, minutes=minutes,
                    reason=reason, corrects_id=entry.id, created_by_id=user.id,
                    created_at=now or utcnow())
    db.session.add(fix)
    db.session.flush()
    timebank.deposit(fix, user)
    return fix


def hours_text(minutes: int) -> str:
    """Minutes as hours with one decimal: 90 -> "1.5"."""
    return f"{minutes / 60:.1f}"


def unconfirmed_since(cutoff: datetime):
    """Activities ended before the cutoff whose hours nobody has confirmed (scope decides)."""
    return list(db.session.scalars(select(Activity).where(
        Activity.status != ActivityStatus.CONFIRMED, Activity.ends_at < cutoff)
        .order_by(Activity.ends_at)))


@dataclass
class Season:
    start: date
    minutes: int
    people: int
    activities: int
    named: list[str]  # only those who agreed to be named


def season(today: date | None = None) -> Season:
    """The quarter's confirmed hours for the public board: figures, and the names of the
    volunteers who agreed to be named (the others are only counted)."""
    today = today or local_today()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    since = datetime(start.year, start.month, start.day, tzinfo=LOCAL)
    rows = db.session.execute(
        select(HourEntry.volunteer_id, HourEntry.activity_id, HourEntry.minutes)
        .join(Activity, (Activity.id == HourEntry.activity_id)
              & (Activity.fund_id == HourEntry.fund_id))
        .where(Activity.starts_at >= since)).all()
    per_person: dict[int, int] = {}
    for volunteer_id, _activity, minutes in rows:
        per_person[volunteer_id] = per_person.get(volunteer_id, 0) + minutes
    served = [v for v, minutes in per_person.items() if minutes > 0]
    named = list(db.session.scalars(select(Volunteer.name).where(
        Volunteer.id.in_(served), Volunteer.show_name).order_by(Volunteer.id))) if served else []
    return Season(start, sum(per_person.values()), len(served),
                  len({a for v, a, m in rows if m > 0}), named)
