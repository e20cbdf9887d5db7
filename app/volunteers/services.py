"""The rules of volunteering: the real-name registry, activities with sign-up and check-in,
the leader's marks, the second confirmation that makes hours count, and corrections.

Hours count only when a second person confirms an activity's list: that step writes one
service entry per attendance, with the activity row locked, and a partial unique index refuses
a second entry for the same attendance even if two confirmations ever ran side by side.
"""

from __future__ import annotations

import math
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
from .models import (
    Activity,
    ActivityStatus,
    Attendance,
    CheckedWhere,
    HourEntry,
    HourKind,
    Mark,
    Volunteer,
)

ADULT_AGE = 18
# Check-in opens a little before the start, check-out closes a while after the end.
EARLY = timedelta(minutes=30)
LATE = timedelta(hours=2)
MAX_ACTIVITY = timedelta(hours=24)
MAX_CORRECTION = 24 * 60
HOURS_RE = re.compile(r"(-)?([0-9]{1,3})(?:\.([0-9]{1,2}))?")
# A volunteer's own check-in must come from within this distance of the place (the secretary
# may set 50 m to 5 km); a phone's position is often off by tens of metres indoors.
RADIUS_M = 500
RADIUS_RANGE = (50, 5000)
EARTH_RADIUS_M = 6_371_000


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
    leader_volunteer_id: int | None = None
    latitude: str | float | None = None
    longitude: str | float | None = None
    radius_m: int | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres (haversine): plenty for a few hundred metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _coordinate(value, field: str, limit: float, errors: dict) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not -limit <= number <= limit:
        errors[field] = _l("Enter a number between %(lo)d and %(hi)d, such as 31.2990.",
                           lo=-limit, hi=limit)
        return None
    return round(number, 6)


def place_of(data: ActivityInput, errors: dict) -> tuple[float | None, float | None, int]:
    """The place's position (both or neither) and the check-in radius, checked."""
    latitude = _coordinate(data.latitude, "latitude", 90, errors)
    longitude = _coordinate(data.longitude, "longitude", 180, errors)
    if (latitude is None) != (longitude is None) and not {"latitude", "longitude"} & set(errors):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = _l("Enter both the latitude and the longitude, or neither.")
    radius = RADIUS_M if data.radius_m is None else data.radius_m
    if not RADIUS_RANGE[0] <= radius <= RADIUS_RANGE[1]:
        errors["radius_m"] = _l("The check-in radius is between %(lo)d and %(hi)d metres.",
                                lo=RADIUS_RANGE[0], hi=RADIUS_RANGE[1])
    if latitude is None or longitude is None:
        return None, None, radius
    return latitude, longitude, radius


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
    lead_volunteer = (db.session.get(Volunteer, data.leader_volunteer_id)
                      if data.leader_volunteer_id else None)
    if data.leader_volunteer_id and (lead_volunteer is None or lead_volunteer.fund_id != fund.id
                                     or is_minor(lead_volunteer)):
        errors["leader_volunteer_id"] = _l("Choose an adult volunteer of this fund.")
    elif leader and lead_volunteer:
        errors["leader_volunteer_id"] = _l("One leader: a person of the fund or a volunteer, "
                                           "not both.")
    latitude, longitude, radius = place_of(data, errors)
    if errors:
        raise Invalid(errors)
    activity = Activity(
        fund_id=fund.id, title=title[:200], place=place[:200], starts_at=data.starts_at,
        ends_at=data.ends_at, needed=data.needed, min_minutes=(data.min_hours or 0) * 60,
        minors_allowed=bool(data.minors_allowed), leader_id=leader.id if leader else None,
        leader_volunteer_id=lead_volunteer.id if lead_volunteer else None,
        latitude=latitude, longitude=longitude, radius_m=radius,
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


@dataclass(frozen=True)
class Position:
    """Where the volunteer's phone says it is (the browser's Geolocation API)."""

    latitude: float
    longitude: float

    @classmethod
    def parse(cls, latitude, longitude) -> Position | None:
        """From a form's two fields; None when they are missing or not a place on earth (the
        volunteer refused to share it, or the phone could not tell)."""
        try:
            lat, lon = float(latitude), float(longitude)
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
                and -180 <= lon <= 180):
            return None
        return cls(lat, lon)


def check_in(attendance: Attendance, activity: Activity, now: datetime | None = None,
             position: Position | None = None, by_leader: bool = False) -> None:
    """A volunteer's own check-in (the QR page) sends the phone's position when they agree:
    farther than the activity's radius from its place is refused, nothing written. Without a
    place to compare, or without a position, the check-in is taken as 位置未核实 for the
    leader to see. The leader's own check-in of a volunteer needs no position."""
    now = now or utcnow()
    lock(attendance)
    _checkable(activity, now)
    if attendance.check_in_at is not None:
        raise Invalid({"code": _l("Already checked in at %(time)s.",
                                  time=_clock(attendance.check_in_at))})
    where, distance = CheckedWhere.UNVERIFIED, None
    if by_leader:
        where = CheckedWhere.LEADER
    elif position is not None and activity.latitude is not None:
        distance = round(distance_m(activity.latitude, activity.longitude,
                                    position.latitude, position.longitude))
        if distance > activity.radius_m:
            raise Invalid({"code": _l(
                "You seem to be %(distance)s m from %(place)s; check in there (within "
                "%(radius)d m), or ask the leader to check you in.",
                distance=f"{distance:,}", place=activity.place, radius=activity.radius_m)})
        where = CheckedWhere.NEAR
    attendance.check_in_at, attendance.checked_where = now, where
    attendance.distance_m = distance
    db.session.flush()


def leader_check_in(attendance: Attendance, activity: Activity,
                    now: datetime | None = None) -> None:
    check_in(attendance, activity, now, by_leader=True)


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
    """A person of the fund leads the activity when named its leader, or manages volunteers."""
    return activity.leader_id == user.id or may("volunteer.manage")


def opens_volunteers(user: User) -> bool:
    """Whether the fund's volunteering pages are for this person: whoever reads the registry,
    and a person of the fund with no such role who leads one of its activities (the index then
    lists theirs alone), so that a leader reaches their list from the fund's navigation."""
    if may("volunteer.read"):
        return True
    return may("activity.lead") and db.session.scalar(
        select(Activity.id).where(Activity.leader_id == user.id).limit(1)) is not None


def led_by(activity: Activity, volunteer: Volunteer | None) -> bool:
    """The volunteer (proved by an SMS code) named the activity's leader."""
    return volunteer is not None and activity.leader_volunteer_id == volunteer.id


def mark_list(activity: Activity, marks: dict[int, str], user: User | None,
              now: datetime | None = None, volunteer: Volunteer | None = None) -> None:
    """The leader marks each person 正常/请假/迟到/缺席 and confirms the list (first key): a
    person of the fund, or the volunteer named its leader (``volunteer``, user None)."""
    lock(activity)
    if not (led_by(activity, volunteer) if user is None else may_lead(activity, user)):
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
    activity.marked_by_id = user.id if user else None
    activity.marked_by_volunteer_id = None if user else volunteer.id
    activity.marked_at = now or utcnow()
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
    if activity.marked_by_id == user.id or _marked_by_same_person(activity, user):
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


def _marked_by_same_person(activity: Activity, user: User) -> bool:
    """A volunteer leader who is also this fund person (the same mobile number)."""
    if activity.marked_by_volunteer_id is None or not user.phone:
        return False
    marker = db.session.get(Volunteer, activity.marked_by_volunteer_id)
    return marker is not None and marker.phone_hash == phone_hash(user.phone)


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


def served_between(start: date, end: date | None = None) -> Season:
    """Confirmed hours (corrections included) of the activities that started from ``start``
    to ``end`` (Beijing days, both included; no end: until now): the hours, the people and
    activities with time counted, and the names of those who agreed to be named (the board's
    consent, Volunteer.show_name); the others are only counted. Scope: the current fund."""
    since = datetime(start.year, start.month, start.day, tzinfo=LOCAL)
    query = (select(HourEntry.volunteer_id, HourEntry.activity_id, HourEntry.minutes)
             .join(Activity, (Activity.id == HourEntry.activity_id)
                   & (Activity.fund_id == HourEntry.fund_id))
             .where(Activity.starts_at >= since))
    if end is not None:
        after = end + timedelta(days=1)
        query = query.where(Activity.starts_at < datetime(after.year, after.month, after.day,
                                                          tzinfo=LOCAL))
    rows = db.session.execute(query).all()
    per_person: dict[int, int] = {}
    per_activity: dict[int, int] = {}
    for volunteer_id, activity_id, minutes in rows:
        per_person[volunteer_id] = per_person.get(volunteer_id, 0) + minutes
        per_activity[activity_id] = per_activity.get(activity_id, 0) + minutes
    served = [v for v, minutes in per_person.items() if minutes > 0]
    named = list(db.session.scalars(select(Volunteer.name).where(
        Volunteer.id.in_(served), Volunteer.show_name).order_by(Volunteer.id))) if served else []
    return Season(start, sum(per_person.values()), len(served),
                  len([a for a, minutes in per_activity.items() if minutes > 0]), named)


def season(today: date | None = None) -> Season:
    """The quarter's confirmed hours for the public board."""
    today = today or local_today()
    return served_between(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1))
