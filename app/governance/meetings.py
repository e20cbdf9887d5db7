"""How a vote was held, as its resolution (决议) states it: an online vote or a meeting of the
committee (its time and place), who chaired it (主持人) and who kept the record (记录人).

A motion opens as an online vote chaired by whoever opened it (the chair) and recorded by the
fund's secretary (motions.open_motion). The chair says otherwise here, while the vote is open
or later, until the resolution is filed (its PDF stored): the filed record never changes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.roles import FUND_ROLES
from app.clock import LOCAL, local_day, local_today
from app.database import lock
from app.extensions import db
from app.validation import Invalid

from .models import MeetingKind, Motion, ResolutionFile

# A meeting may be held a while before the vote is put into the app (its ballots are then
# recorded by the secretary), never after the vote ended.
EARLIEST_BEFORE_OPENING = timedelta(days=30)


@dataclass
class MeetingInput:
    kind: str
    at: datetime | None  # as typed: Beijing time, no zone
    place: str
    host_id: int | None
    recorder_id: int | None


def editable(motion: Motion) -> bool:
    """Until the resolution is filed, the chair may still say how the vote was held."""
    return (
        db.session.scalar(select(ResolutionFile.id).where(ResolutionFile.motion_id == motion.id))
        is None
    )


def members(motion: Motion) -> list[tuple[int, str]]:
    """(user id, name) of those who held a role in the fund on the day the vote opened, or
    hold one today: who may chair the meeting or keep its record."""
    days = {local_day(motion.opened_at), local_today()}
    rows = db.session.execute(
        select(Membership, User.name)
        .join(User)
        .where(Membership.fund_id == motion.fund_id, Membership.role.in_(FUND_ROLES))
        .order_by(Membership.id)
    ).all()
    people: dict[int, str] = {}
    for membership, name in rows:
        if any(membership.current_on(day) for day in days):
            people.setdefault(membership.user_id, name)
    return list(people.items())


def summary(motion: Motion) -> dict:
    """What the resolution states of the meeting, for the motion's page."""
    ids = [i for i in (motion.host_id, motion.recorder_id) if i]
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return {
        "kind": MeetingKind.label_of(motion.meeting_kind),
        "online": motion.meeting_kind == MeetingKind.ONLINE,
        "at": motion.meeting_at,
        "place": motion.meeting_place,
        "host": names.get(motion.host_id or 0, ""),
        "recorder": names.get(motion.recorder_id or 0, ""),
    }


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=LOCAL).astimezone(UTC)
    except OverflowError:  # year 1 or 9999: no meeting of this fund
        return None


def record(motion: Motion, data: MeetingInput) -> Motion:
    """Set how the vote was held. A meeting needs its time and place; an online vote's time
    is its opening to its close, and it has no place."""
    lock(motion)
    if not editable(motion):
        raise Invalid(
            {"kind": _l("The resolution is filed: how the vote was held can no longer change.")}
        )
    errors = {}
    if data.kind not in MeetingKind.values():
        errors["kind"] = _l("Choose an online vote or a meeting.")
    people = dict(members(motion))
    if data.host_id not in people:
        errors["host_id"] = _l("Choose the member who chaired it.")
    if data.recorder_id not in people:
        errors["recorder_id"] = _l("Choose the member who kept the record.")
    elif data.recorder_id == data.host_id:
        errors["recorder_id"] = _l(
            "The record is kept by someone other than the chair of the meeting."
        )
    at, place = None, (data.place or "").strip()
    if data.kind == MeetingKind.MEETING:
        at = _as_utc(data.at)
        end = motion.closed_at or motion.deadline
        if data.at is None:
            errors["at"] = _l("Enter when the meeting was held.")
        elif at is None or not motion.opened_at - EARLIEST_BEFORE_OPENING <= at <= end:
            errors["at"] = _l(
                "The meeting is held between 30 days before the vote opened and its close."
            )
        if not place:
            errors["place"] = _l("Enter where the meeting was held.")
        elif len(place) > 200:
            errors["place"] = _l("The place has at most 200 characters.")
    if errors:
        raise Invalid(errors)
    motion.meeting_kind = data.kind
    motion.meeting_at = at
    motion.meeting_place = place if data.kind == MeetingKind.MEETING else ""
    motion.host_id, motion.recorder_id = data.host_id, data.recorder_id
    db.session.flush()
    return motion
