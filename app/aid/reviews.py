"""The yearly review of enrolments: once a year the 社工 looks again at each person helped and
records that the aid goes on (for at most another year, within the programme) or ends, and
why. Nothing ends by itself: a review that is due shows in 待我处理 and on the programme
page until the 社工 records it (no job is needed: "due" is read from the data)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.clock import local_day, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.governance.models import Motion
from app.validation import Invalid

from .models import Enrolment, EnrolmentReview, Programme, ReviewDecision

YEAR = timedelta(days=365)
# Shown this long before the year is over, so the aid need not lapse before the review.
REVIEW_AHEAD = timedelta(days=30)


def last_reviewed(enrolment: Enrolment) -> date:
    """The day of the last review, or the start of the enrolment (the committee's decision)."""
    return enrolment.reviewed_on or enrolment.starts_on


def due_on(enrolment: Enrolment) -> date:
    return last_reviewed(enrolment) + YEAR


def _due_filter(today: date):
    """Approved, not ended at a review, last looked at almost a year ago: for a query."""
    anchor = func.coalesce(Enrolment.reviewed_on, Enrolment.starts_on)
    return (
        Enrolment.closed_on.is_(None),
        Motion.passed.is_(True),
        anchor <= today - YEAR + REVIEW_AHEAD,
    )


def due(programme: Programme | None = None, today: date | None = None) -> list[Enrolment]:
    """The enrolments of a programme (or of the fund) whose review is due, oldest first."""
    today = today or local_today()
    query = (
        select(Enrolment).join(Motion, Motion.id == Enrolment.motion_id).where(*_due_filter(today))
    )
    if programme is not None:
        query = query.where(Enrolment.programme_id == programme.id)
    return sorted(db.session.scalars(query), key=lambda e: (last_reviewed(e), e.id))


def due_counts(fund_ids: list[int], today: date) -> list[tuple[int, int, int, date]]:
    """(fund_id, how many, one programme id, the earliest review day) per fund with reviews
    due: one query."""
    anchor = func.coalesce(Enrolment.reviewed_on, Enrolment.starts_on)
    rows = db.session.execute(
        select(Enrolment.fund_id, func.count(), func.min(Enrolment.programme_id), func.min(anchor))
        .join(Motion, Motion.id == Enrolment.motion_id)
        .where(Enrolment.fund_id.in_(fund_ids), *_due_filter(today))
        .group_by(Enrolment.fund_id)
    ).all()
    return [
        (fund_id, count, programme_id, _day(first) + YEAR)
        for fund_id, count, programme_id, first in rows
    ]


def _day(value) -> date:
    """SQLite hands an aggregate of dates back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def is_due(enrolment: Enrolment, today: date | None = None) -> bool:
    today = today or local_today()
    return (
        enrolment.closed_on is None
        and enrolment.motion is not None
        and bool(enrolment.motion.passed)
        and due_on(enrolment) - REVIEW_AHEAD <= today
    )


@dataclass
class ReviewInput:
    decision: str
    reason: str


def review(
    enrolment: Enrolment, data: ReviewInput, user, now: datetime | None = None
) -> EnrolmentReview:
    """Record the review. Continue: the enrolment runs a year from today (within the
    programme's dates). End: it ends today; entitlements already made stay."""
    now = now or utcnow()
    today = local_day(now)
    lock(enrolment)
    errors = {}
    if data.decision not in ReviewDecision.values():
        errors["decision"] = _l("Choose whether the aid goes on or ends.")
    reason = (data.reason or "").strip()
    if not reason:
        errors["reason"] = _l("Write what the review found.")
    if errors:
        raise Invalid(errors)
    if enrolment.closed_on is not None:
        raise Invalid({"decision": _l("This person's aid was already ended at a review.")})
    if enrolment.motion is None or not enrolment.motion.passed:
        raise Invalid({"decision": _l("Only an enrolment the committee approved is reviewed.")})
    programme = db.session.get(Programme, enrolment.programme_id)
    old_end = enrolment.ends_on
    if data.decision == ReviewDecision.CONTINUE:
        if programme.ends_on is not None and programme.ends_on < today:
            raise Invalid({"decision": _l("The programme is over: the aid cannot go on.")})
        new_end = today + YEAR - timedelta(days=1)
        if programme.ends_on is not None:
            new_end = min(new_end, programme.ends_on)
        enrolment.ends_on = max(old_end, new_end)  # a review never shortens what was decided
    else:
        enrolment.ends_on = max(enrolment.starts_on, min(old_end, today))
        enrolment.closed_on = today
    enrolment.reviewed_on = today
    row = EnrolmentReview(
        fund_id=enrolment.fund_id,
        enrolment_id=enrolment.id,
        decision=data.decision,
        reason=reason[:2000],
        old_ends_on=old_end,
        new_ends_on=enrolment.ends_on,
        by_id=user.id if user else None,
        at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def reviews_of(enrolment: Enrolment) -> list[EnrolmentReview]:
    return list(
        db.session.scalars(
            select(EnrolmentReview)
            .where(EnrolmentReview.enrolment_id == enrolment.id)
            .order_by(EnrolmentReview.id.desc())
        )
    )
