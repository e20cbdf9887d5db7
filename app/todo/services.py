"""待我处理: what waits for one person in their funds, read from the data itself on every page.

There is no table of tasks: a vote waits for a ballot while the ballot is missing, a payout for
a signature while the payout rules let this person sign it, so the list cannot fall out of step
with the pages it points to. Each kind is one query over all the person's funds at once (or
over the one fund asked for), whatever the number of items.

A reading is kept for the rest of the minute, keyed on the newest audit entry of each of the
person's funds (audit_head.seq: every change in a fund writes its trail), their roles and the
language: reloading the overview costs one small query instead of one per kind, and a change
in any of the funds (a ballot cast, a payout signed) is seen by the very next page.
"""

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.audit.models import AuditHead
from app.audit.recording import unrecorded
from app.auth.models import Invitation, Membership
from app.auth.policy import may
from app.auth.services import current_memberships
from app.clock import local_day
from app.codes import Code
from app.db_types import utcnow
from app.donations.models import Batch, Donation
from app.extensions import db
from app.funds.models import Fund, Township
from app.governance.models import Ballot, Elector, Motion, Objection, Proposal
from app.money import yuan
from app.oversight.services import deadlines_of
from app.payouts.services import waiting_for_signature
from app.receipts.services import waiting_for_receipt
from app.wishes.models import Wish, WishStatus
from tenants.context import current_scope, member_scope, using

BATCH_OPEN_FOR = timedelta(days=1)  # a collection is counted and closed the same day
REPORT_AHEAD = timedelta(days=30)  # a report shows this long before it is due
# A gift is acknowledged soon after it arrives; an older one without its own receipt goes on
# the donor's annual receipt. The window also keeps the count to a range of the donations'
# index (ix_donation_fund_id_received_on) instead of every gift the fund ever had.
RECEIPT_WINDOW = timedelta(days=30)


class Waiting(Code):
    """The kinds of items, in the order the list shows them."""

    VOTE = "vote", _l("Vote waiting for your ballot")
    CONFIRM = "confirm", _l("Confirm the ballot recorded at the meeting")
    PAYOUT = "payout", _l("Payout waiting for your approval")
    OBJECTION = "objection", _l("Objection to decide")
    BATCH = "batch", _l("Batch open for more than a day")
    RECEIPT = "receipt", _l("Gifts waiting for a receipt")
    REPORT = "report", _l("Disclosure report due")
    WISH = "wish", _l("Wishes waiting for screening")
    AID_REVIEW = "aid_review", _l("Aid enrolments due for their yearly review")
    INVITATION = "invitation", _l("Invitations not yet used")


@dataclass(frozen=True)
class Item:
    """One card: what waits, in which fund, how many or which one, until when, and the page
    where it is done (url_for(endpoint, fund_slug=fund.slug, **params))."""

    kind: Waiting
    fund: Fund
    endpoint: str
    params: dict = field(default_factory=dict)
    line: str = ""
    count: int = 1
    deadline: datetime | None = None  # a moment: a vote closes
    due: date | None = None  # a day: a report is due
    since: date | None = None  # a day: a batch open, gifts received since then
    overdue: bool = False

    @property
    def label(self) -> str:
        return str(self.kind.label)

    @property
    def url(self) -> str:
        """A fund's page, or a township's page about the fund (the params name the township)."""
        if "township_slug" in self.params:
            return url_for(self.endpoint, **self.params)
        return url_for(self.endpoint, fund_slug=self.fund.slug, **self.params)


def waiting_for(user, within=None, now: datetime | None = None) -> list[Item]:
    """What waits for this person in the funds they hold a role in today, and for a township
    admin in the funds of their township (the invitations not yet used): all of them, or
    those of ``within`` (fund ids). Read now (``now`` not given), it may come from the kept
    reading of this minute; a reading for another moment is always made anew."""
    keep = now is None
    now = now or utcnow()
    held = current_memberships(user, local_day(now))
    return [*_in_funds(user, held, within, now, keep), *_invitations(held, within, now)]


def _in_funds(user, held, within, now: datetime, keep: bool = False) -> list[Item]:
    """Suspended and archived funds are read-only, so nothing waits there."""
    roles = _roles_by_fund(held, within)
    if not roles:
        return []
    # get(): the page's own fund is already in the session (the access check loaded it).
    fetched = (db.session.get(Fund, fund_id) for fund_id in roles)
    funds = {fund.id: fund for fund in fetched if fund.is_active}
    roles = {fund_id: held for fund_id, held in roles.items() if fund_id in funds}
    if not roles:
        return []
    # Every query names its funds itself. A scope change drops from the session the rows
    # whose fund it cannot read (rows expired by a rollback too), so the scope changes only
    # when it does not see these funds yet (the home page); the items carry plain values.
    scope = current_scope()
    covered = scope is not None and all(scope.allows(fund_id) for fund_id in roles)
    with nullcontext() if covered else using(member_scope(roles)):
        # Kept readings follow the audit heads, which move at the commit: a transaction that
        # wrote something reads anew.
        key = _key(user.id, roles, now) if keep and not unrecorded(db.session) else None
        kept = _kept.get(key) if key else None
        if kept is not None:  # a vote that closed since is no longer waiting
            return [replace(item, fund=funds[fund_id]) for fund_id, item in kept
                    if item.deadline is None or item.deadline > now]
        items = [*_ballots(user.id, roles, funds, now), *_payouts(user.id, roles, funds),
                 *_objections(roles, funds), *_batches(roles, funds, now),
                 *_receipts(roles, funds, now), *_reports(roles, funds, now),
                 *_wishes(user.id, roles, funds), *_aid_reviews(roles, funds, now)]
    if key:
        _keep(key, tuple((item.fund.id, replace(item, fund=None)) for item in items))
    return items


KEEP_SIZE = 2048  # readings kept per process; the oldest goes first
_kept: dict[tuple, tuple] = {}
_kept_lock = threading.Lock()


def _key(user_id: int, roles: dict[int, set[str]], now: datetime) -> tuple:
    """Everything a reading depends on: the database, the person and their roles, the newest
    audit entry of each fund, the language of the lines, and the minute (for what time alone
    changes: a batch passing a day open, a report falling due)."""
    heads = db.session.execute(select(AuditHead.fund_id, AuditHead.seq).where(
        AuditHead.fund_id.in_(roles)).order_by(AuditHead.fund_id)).all()
    return (current_app.config["SQLALCHEMY_DATABASE_URI"], user_id,
            tuple(sorted((fund_id, tuple(sorted(held))) for fund_id, held in roles.items())),
            tuple(map(tuple, heads)), str(get_locale()), now.replace(second=0, microsecond=0))


def forget() -> None:
    """Drop every kept reading: the next page reads anew (tests and benchmarks measure that)."""
    with _kept_lock:
        _kept.clear()


def _keep(key: tuple, items: tuple) -> None:
    with _kept_lock:
        if key not in _kept and len(_kept) >= KEEP_SIZE:
            _kept.pop(next(iter(_kept)))
        _kept[key] = items


def count_of(items: list[Item]) -> int:
    """The number the header shows: every vote, payout, batch, gift... counted once."""
    return sum(item.count for item in items)


def _roles_by_fund(held, within) -> dict[int, set[str]]:
    roles: dict[int, set[str]] = {}
    for m in held:
        if m.fund_id is not None and (within is None or m.fund_id in within):
            roles.setdefault(m.fund_id, set()).add(m.role)
    return roles


def _where(roles: dict[int, set[str]], action: str) -> list[int]:
    """The funds in which this person's roles allow the action (policy.may)."""
    return [fund_id for fund_id, held in roles.items() if may(action, held)]


def _ballots(user_id: int, roles, funds, now: datetime) -> list[Item]:
    """Open votes where the person is in the frozen electorate, not recused, still on the
    committee (motions.refusal's rules), and has no ballot yet, or one recorded at a meeting
    that waits for their confirmation."""
    voting = _where(roles, "motion.vote")
    if not voting:
        return []
    rows = db.session.execute(
        select(Motion.id, Motion.fund_id, Motion.title, Motion.deadline, Ballot.id)
        .join(Elector, (Elector.motion_id == Motion.id) & (Elector.fund_id == Motion.fund_id))
        .outerjoin(Ballot, (Ballot.motion_id == Motion.id) & (Ballot.fund_id == Motion.fund_id)
                   & (Ballot.user_id == user_id))
        .where(Motion.fund_id.in_(voting), Motion.status == "open", Motion.deadline > now,
               Elector.user_id == user_id, Elector.recused.is_(False),
               or_(Ballot.id.is_(None), Ballot.offline & Ballot.confirmed.is_(False)))
        .order_by(Motion.deadline, Motion.id)).all()
    return [Item(Waiting.VOTE if ballot_id is None else Waiting.CONFIRM, funds[fund_id],
                 "governance.motion", {"motion_id": motion_id}, line=title, deadline=deadline)
            for motion_id, fund_id, title, deadline, ballot_id in rows]


def _payouts(user_id: int, roles, funds) -> list[Item]:
    """The payouts the payout rules let this person sign now (never their own request)."""
    signing = {fund_id: roles[fund_id] for fund_id in _where(roles, "payout.approve")}
    if not signing:
        return []
    return [Item(Waiting.PAYOUT, funds[p.fund_id], "payouts.detail", {"payout_id": p.id},
                 line=f"{p.purpose} · ¥{yuan(p.amount_fen)}")
            for p in waiting_for_signature(user_id, signing)]


def _objections(roles, funds) -> list[Item]:
    """Open objections, one item per project (they are decided on the project's page)."""
    deciding = _where(roles, "objection.decide")
    if not deciding:
        return []
    rows = db.session.execute(
        select(Objection.fund_id, Objection.proposal_id, Proposal.title, func.count())
        .join(Proposal, (Proposal.id == Objection.proposal_id)
              & (Proposal.fund_id == Objection.fund_id))
        .where(Objection.fund_id.in_(deciding), Objection.status == "open")
        .group_by(Objection.fund_id, Objection.proposal_id, Proposal.title)
        .order_by(Objection.proposal_id)).all()
    return [Item(Waiting.OBJECTION, funds[fund_id], "governance.proposal",
                 {"proposal_id": proposal_id}, line=title, count=count)
            for fund_id, proposal_id, title, count in rows]


def _batches(roles, funds, now: datetime) -> list[Item]:
    """Batches opened more than a day ago and not closed: one item per fund, pointing at the
    batch itself when there is one, else at the list of batches."""
    recording = _where(roles, "money.record")
    if not recording:
        return []
    rows = db.session.execute(
        select(Batch.fund_id, func.count(), func.min(Batch.id), func.min(Batch.created_at))
        .where(Batch.fund_id.in_(recording), Batch.status == "open",
               Batch.created_at <= now - BATCH_OPEN_FOR)
        .group_by(Batch.fund_id)).all()
    return [Item(Waiting.BATCH, funds[fund_id],
                 *(("donations.batch", {"batch_id": first}) if count == 1
                   else ("donations.batches", {})),
                 count=count, since=local_day(oldest))
            for fund_id, count, first, oldest in rows]


def _receipts(roles, funds, now: datetime) -> list[Item]:
    """Gifts of the last RECEIPT_WINDOW waiting for a receipt (receipts.waiting_for_receipt),
    one item per fund: the gift's receipt page when there is one, else the donations list
    filtered to the same gifts."""
    issuing = _where(roles, "receipt.issue")
    if not issuing:
        return []
    since = local_day(now) - RECEIPT_WINDOW
    rows = db.session.execute(
        select(Donation.fund_id, func.count(), func.min(Donation.id))
        .where(Donation.fund_id.in_(issuing), Donation.received_on >= since,
               *waiting_for_receipt())
        .group_by(Donation.fund_id)).all()
    return [Item(Waiting.RECEIPT, funds[fund_id],
                 *(("receipts.issue", {"donation_id": first}) if count == 1 else (
                     "donations.index", {"receipt": "missing", "from": since.isoformat()})),
                 count=count, since=since)
            for fund_id, count, first in rows]


def _reports(roles, funds, now: datetime) -> list[Item]:
    """Disclosure reports overdue or due within REPORT_AHEAD (oversight.deadlines)."""
    publishing = _where(roles, "report.publish")
    if not publishing:
        return []
    today = local_day(now)
    deadlines = deadlines_of([funds[fund_id] for fund_id in publishing], today)
    return [Item(Waiting.REPORT, funds[fund_id], "disclosure.index", {}, line=_report(d),
                 due=d.due, overdue=d.overdue)
            for fund_id, found in deadlines.items() for d in found
            if d.due <= today + REPORT_AHEAD]


def _wishes(user_id: int, roles, funds) -> list[Item]:
    """Wishes collected and not yet screened, for a second person: never the one who
    collected them (wishes.services refuses that), one item per fund."""
    screening = _where(roles, "wish.screen")
    if not screening:
        return []
    rows = db.session.execute(
        select(Wish.fund_id, func.count(), func.min(Wish.id))
        .where(Wish.fund_id.in_(screening), Wish.status == WishStatus.PENDING,
               or_(Wish.collected_by_id.is_(None), Wish.collected_by_id != user_id))
        .group_by(Wish.fund_id)).all()
    return [Item(Waiting.WISH, funds[fund_id],
                 *(("wishes.detail", {"wish_id": first}) if count == 1
                   else ("wishes.manage", {"status": WishStatus.PENDING.value})),
                 count=count)
            for fund_id, count, first in rows]


def _aid_reviews(roles, funds, now: datetime) -> list[Item]:
    """Aid enrolments whose yearly review is due (app/aid/reviews.py), one item per fund,
    pointing at the programme's reviews (the oldest programme with one due)."""
    from app.aid.reviews import due_counts

    reviewing = _where(roles, "aid.review")
    if not reviewing:
        return []
    today = local_day(now)
    return [Item(Waiting.AID_REVIEW, funds[fund_id], "aid.review",
                 {"programme_id": programme_id}, count=count, due=due, overdue=due < today)
            for fund_id, count, programme_id, due in due_counts(reviewing, today)]


def _report(deadline) -> str:
    if deadline.kind == "annual":
        return str(_l("Annual report %(year)s", year=deadline.year))
    return str(_l("Quarterly report %(year)s Q%(quarter)s", year=deadline.year,
                  quarter=deadline.quarter))


def _invitations(held, within, now: datetime) -> list[Item]:
    """For a township admin: the appointments in the township's active funds whose newest
    invitation was neither used nor withdrawn (pending or expired: the person cannot get in),
    one item per fund, pointing at the fund's staff page."""
    staffing = {m.township_id for m in held
                if m.township_id is not None and may("fund.staff", {m.role})}
    if not staffing:
        return []
    newest = (select(func.max(Invitation.id)).group_by(Invitation.membership_id)
              .scalar_subquery())
    today = local_day(now)
    rows = db.session.execute(
        select(Fund, Township.slug, func.count(), func.min(Invitation.expires_at))
        .join(Membership, Membership.fund_id == Fund.id)
        .join(Invitation, Invitation.membership_id == Membership.id)
        .join(Township, Township.id == Fund.township_id)
        .where(Fund.township_id.in_(staffing), Invitation.id.in_(newest),
               Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
               or_(Membership.end_date.is_(None), Membership.end_date >= today),
               *(() if within is None else (Fund.id.in_(within),)))
        .group_by(Fund, Township.slug).order_by(Fund.id)).all()
    return [Item(Waiting.INVITATION, fund, "oversight.staff",
                 {"township_slug": township, "fund_id": fund.id}, count=count,
                 overdue=first_expiry <= now)
            for fund, township, count, first_expiry in rows if fund.is_active]
