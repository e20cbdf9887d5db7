"""The fund's committee: who sits on it for which term, and the rules it decides by."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.models import Membership, User
from app.auth.policy import POLICY
from app.auth.roles import COMMITTEE_ROLES, FUND_ROLES, Role
from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid

from .models import CommitteeRules, Motion, Quorum, Threshold

VOTING_ROLES = POLICY["motion.vote"]  # the supervisor and the secretary do not vote


def rules_of(fund_id: int) -> CommitteeRules:
    """The fund's rules, or the defaults while none are saved. The defaults are not written
    here (a page that shows them is a GET): update_rules() saves them the first time."""
    rules = db.session.scalar(select(CommitteeRules).where(CommitteeRules.fund_id == fund_id))
    if rules is not None:
        return rules
    defaults = {column.key: column.default.arg for column in CommitteeRules.__table__.columns
                if column.default is not None and not callable(column.default.arg)}
    return CommitteeRules(fund_id=fund_id, two_thirds_above_fen=None, **defaults)


def open_motion_count() -> int:
    return len(db.session.scalars(select(Motion.id).where(Motion.status == "open")).all())


@dataclass
class RulesInput:
    quorum: str
    threshold: str
    two_thirds_above: str = ""
    casting_vote: bool = False
    live_results: bool = False
    period_hours: int | None = 72
    notice_days: int | None = 5


def update_rules(rules: CommitteeRules, data: RulesInput, user) -> CommitteeRules:
    """Change the rules between motions only: an open motion keeps the rules it opened with,
    and a change now would make two motions of one committee follow different rules."""
    errors = {}
    if open_motion_count():
        errors["quorum"] = _l("The rules cannot change while a motion is open.")
    if data.quorum not in Quorum.values():
        errors["quorum"] = _l("Choose a quorum.")
    if data.threshold not in Threshold.values():
        errors["threshold"] = _l("Choose a threshold.")
    above = None
    if (data.two_thirds_above or "").strip():
        try:
            above = parse_amount(data.two_thirds_above)
        except AmountError as error:
            errors["two_thirds_above"] = error.args[0]
    if not data.period_hours or not 1 <= data.period_hours <= 720:
        errors["period_hours"] = _l("A vote lasts from 1 to 720 hours.")
    if not data.notice_days or not 1 <= data.notice_days <= 30:
        errors["notice_days"] = _l("Public notice lasts from 1 to 30 days.")
    if errors:
        raise Invalid(errors)
    rules.quorum_num, rules.quorum_den = Quorum(data.quorum).fraction
    rules.threshold = data.threshold
    rules.two_thirds_above_fen = above
    rules.casting_vote = bool(data.casting_vote)
    rules.live_results = bool(data.live_results)
    rules.period_hours = data.period_hours
    rules.notice_days = data.notice_days
    rules.updated_by_id = user.id if user else None
    rules.updated_at = utcnow()
    db.session.add(rules)  # the defaults, the first time they are saved
    db.session.flush()
    return rules


def quorum_code(rules) -> str:
    return f"{rules.quorum_num}/{rules.quorum_den}"


def terms(fund, *, current: bool | None = None, day: date | None = None,
          roles: tuple[str, ...] = COMMITTEE_ROLES):
    """Committee terms (or terms in ``roles``) of the fund, newest first: [(membership,
    user)]. current=True only those in force today, False only ended ones, None all (the
    history)."""
    day = day or local_today()
    rows = db.session.execute(
        select(Membership, User).join(User).where(Membership.fund_id == fund.id,
                                                  Membership.role.in_(roles))
        .order_by(Membership.start_date.desc(), Membership.id.desc())).all()
    if current is None:
        return rows
    return [(m, u) for m, u in rows if m.current_on(day) == current]


def role_grid(fund, day: date | None = None) -> list[tuple[str, list[tuple[Membership, User]]]]:
    """Every role a fund needs with who holds it now (longest-serving first), empty roles
    included so a gap shows: [(role, [(membership, user)])]."""
    held = terms(fund, current=True, day=day, roles=FUND_ROLES)
    return [(role, sorted(((m, u) for m, u in held if m.role == role),
                          key=lambda mu: (mu[0].start_date, mu[0].id)))
            for role in FUND_ROLES]


def voters_on(fund_id: int, day: date) -> list[tuple[int, str]]:
    """(user id, role) of the members who may vote on this day; the chair first."""
    rows = db.session.scalars(select(Membership).where(
        Membership.fund_id == fund_id, Membership.role.in_(VOTING_ROLES))).all()
    roles: dict[int, str] = {}
    for m in rows:
        if m.current_on(day) and roles.get(m.user_id) != Role.CHAIR:
            roles[m.user_id] = m.role
    return sorted(roles.items(), key=lambda ur: (ur[1] != Role.CHAIR, ur[0]))


def may_vote_on(fund_id: int, user_id: int, day: date) -> bool:
    return any(uid == user_id for uid, _role in voters_on(fund_id, day))


def appoint(fund, login: str, role: str, *, name: str = "", start: date | None = None,
            end: date | None = None, password: str | None = None) -> Membership:
    """A new term in any of the fund's roles: the person is found by mobile number or email,
    or created when a name is given (they then set a password through the invitation the
    township hands them, app/auth/invitations.py). A fund has one chair at a time; several
    treasurers, social workers and members."""
    import secrets

    errors = {}
    if role not in FUND_ROLES:
        errors["role"] = _l("Choose a role.")
    user = accounts.find_user(login or "")
    if user is None:
        phone = accounts.normalize_phone(login or "")
        email = None if phone else accounts.normalize_email(login or "")
        if not phone and "@" not in (email or ""):
            errors["login"] = _l("Enter a mainland mobile number (11 digits, such as "
                                 "13912345678) or an email address.")
        elif not (name or "").strip():
            errors["login"] = _l("Nobody has this mobile number or email: give a name too, "
                                 "to create the account.")
    start = start or local_today()
    if end and end < start:
        errors["end"] = _l("A term cannot end before it starts.")
    elif role == Role.CHAIR and _chair_during(fund, start, end):
        errors["role"] = _l("The fund has a chair for this period: end their term first, "
                            "or choose whom the new chair replaces.")
    if errors:
        raise Invalid(errors)
    if user is None:
        user = accounts.create_user(name.strip(), password or secrets.token_urlsafe(24),
                                    phone=phone, email=email)
    return accounts.add_membership(user, role, fund=fund, start=start, end=end)


def _chair_during(fund, start: date, end: date | None) -> bool:
    """Does some chair's term overlap start..end (open-ended when None)?"""
    rows = db.session.scalars(select(Membership).where(Membership.fund_id == fund.id,
                                                       Membership.role == Role.CHAIR))
    return any((m.end_date is None or m.end_date >= start)
               and (end is None or m.start_date <= end) for m in rows)


def end_term(membership: Membership, day: date | None = None) -> Membership:
    """The term's last day (yesterday by default, so it ends at once); the row stays as
    history. A term that has not yet run a day (it starts today or later) cannot end before
    it starts: it is withdrawn instead, the row deleted (the trail keeps it). Either way the
    person's access ends with it: their links not yet used are withdrawn and every session
    of theirs is ended (they sign in again for the roles they still hold)."""
    from datetime import timedelta

    from app.auth import invitations

    day = day or local_today() - timedelta(days=1)
    if membership.end_date is not None and membership.end_date <= day:
        raise Invalid({"end": _l("This term has already ended.")})
    not_begun = membership.start_date >= local_today()
    if day < membership.start_date and not not_begun:
        raise Invalid({"end": _l("A term cannot end before it starts.")})
    invitations.revoke(membership)
    accounts.end_sessions(membership.user)
    if day < membership.start_date:
        invitations.forget(membership)
        db.session.delete(membership)
    else:
        membership.end_date = day
    db.session.flush()
    return membership
