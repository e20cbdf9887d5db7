"""Anomalies across a township's funds: what looks wrong, why in words, and the township's
review of each (a note, who and when). Each kind is one grouped query over the township."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, extract, func, select

from app.clock import local_day
from app.database import lock
from app.db_types import utcnow
from app.donations.models import Donation, PaymentEvent
from app.extensions import db
from app.funds.models import LARGE_CASH_WINDOW_FEN, Fund
from app.governance.models import Ballot, Elector, Motion, Proposal, ProposalEvent
from app.governance.tally import quorum_needed
from app.i18n import show_date
from app.money import AmountError, parse_amount, yuan
from app.payouts.models import Evidence, Payout, PayoutApproval, ProgressUpdate
from app.receipts.models import Receipt
from app.validation import Invalid

from .deadlines import Deadline
from .models import AnomalyKind, AnomalyReview

STALE_DAYS = 60  # a project in progress with no progress update for this long
VOID_SHARE_PERCENT = 20  # more than this share of a month's receipts voided...
VOID_MIN_RECEIPTS = 5  # ...among at least this many


@dataclass
class Anomaly:
    kind: str
    fund: Fund
    subject: str  # what it is about, stable across requests: "donation:12"
    reason: str  # in words, for the township admin (lazy: only shown ones are formatted)
    on: date  # when it happened (or became due)
    target: tuple[str, dict]  # the subject's page in the fund's workspace: endpoint, values
    review: AnomalyReview | None = None

    @property
    def title(self) -> str:
        return AnomalyKind.label_of(self.kind)

    @property
    def link(self) -> str:
        endpoint, values = self.target
        return url_for(endpoint, fund_slug=self.fund.slug, **values)


def detect(funds: list[Fund], deadlines: dict[int, list[Deadline]] | None = None,
           now: datetime | None = None) -> list[Anomaly]:
    """Every anomaly in these funds (the township scope), reviewed or not, newest first."""
    now = now or utcnow()
    by_id = {f.id: f for f in funds}
    found: list[Anomaly] = []
    for finder in (_large_cash, _payouts_without_evidence, _same_person, _no_quorum,
                   _stale_projects, _voided_receipts, _payment_mismatches):
        found.extend(a for a in finder(by_id, now) if a is not None)
    if deadlines is None:
        from .services import fund_rows

        deadlines = {r.fund.id: r.deadlines for r in fund_rows(funds, now)}
    for fund_id, items in deadlines.items():
        for d in items:
            if d.overdue and fund_id in by_id:
                found.append(_overdue(by_id[fund_id], d))
    reviews = {(r.fund_id, r.kind, r.subject): r
               for r in db.session.scalars(select(AnomalyReview))}
    for a in found:
        a.review = reviews.get((a.fund.id, a.kind, a.subject))
    return sorted(found, key=lambda a: (a.on, a.fund.id, a.subject), reverse=True)


def _link(endpoint: str, fund: Fund, **values) -> tuple[str, dict]:
    return endpoint, values


def _large_cash(funds, now):
    """Cash gifts at or over their township's threshold (Township.large_cash_fen)."""
    if not funds:
        return
    lowest = min(f.township.large_cash_fen for f in funds.values())
    for d_id, fund_id, amount, day in db.session.execute(
            select(Donation.id, Donation.fund_id, Donation.amount_fen, Donation.received_on)
            .where(Donation.channel == "cash", Donation.amount_fen >= lowest,
                   Donation.status != "failed")):
        fund = funds.get(fund_id)
        if fund and amount >= fund.township.large_cash_fen:
            yield Anomaly(AnomalyKind.LARGE_CASH, fund, f"donation:{d_id}", _l(
                "A cash donation of ¥%(amount)s in one gift (the threshold is ¥%(limit)s): "
                "check that the cash was banked and the donor is known.",
                amount=yuan(amount), limit=yuan(fund.township.large_cash_fen)), day,
                _link("donations.detail", fund, donation_id=d_id))


def _payouts_without_evidence(funds, now):
    has_evidence = select(Evidence.id).where(Evidence.payout_id == Payout.id,
                                             Evidence.fund_id == Payout.fund_id).exists()
    for p_id, fund_id, amount, paid_at in db.session.execute(
            select(Payout.id, Payout.fund_id, Payout.amount_fen, Payout.paid_at)
            .where(Payout.status == "paid", ~has_evidence)):
        fund = funds.get(fund_id)
        if fund:
            yield Anomaly(AnomalyKind.PAYOUT_NO_EVIDENCE, fund, f"payout:{p_id}", _l(
                "¥%(amount)s was paid out with no invoice, photo or document attached.",
                amount=yuan(amount)), local_day(paid_at or now),
                _link("payouts.detail", fund, payout_id=p_id))


def _same_person(funds, now):
    for p_id, fund_id, amount, at in db.session.execute(
            select(Payout.id, Payout.fund_id, Payout.amount_fen, PayoutApproval.at)
            .join(PayoutApproval, (PayoutApproval.payout_id == Payout.id)
                  & (PayoutApproval.fund_id == Payout.fund_id))
            .where(PayoutApproval.decision == "approve",
                   PayoutApproval.user_id == Payout.requested_by_id)):
        fund = funds.get(fund_id)
        if fund:
            yield Anomaly(AnomalyKind.SAME_PERSON, fund, f"payout:{p_id}", _l(
                "The person who requested this payout of ¥%(amount)s also approved it: "
                "a payout needs two different people.", amount=yuan(amount)),
                local_day(at), _link("payouts.detail", fund, payout_id=p_id))


def _no_quorum(funds, now):
    closed = {m_id: (fund_id, num, den, closed_at, title) for m_id, fund_id, num, den, closed_at,
              title in db.session.execute(
                  select(Motion.id, Motion.fund_id, Motion.quorum_num, Motion.quorum_den,
                         Motion.closed_at, Motion.title)
                  .where(Motion.status == "closed", Motion.passed.is_not(True)))}
    if not closed:
        return
    eligible = dict(db.session.execute(
        select(Elector.motion_id, func.count()).where(
            Elector.motion_id.in_(closed), Elector.recused.is_(False))
        .group_by(Elector.motion_id)).all())
    voted = dict(db.session.execute(
        select(Ballot.motion_id, func.count())
        .join(Elector, (Elector.motion_id == Ballot.motion_id)
              & (Elector.user_id == Ballot.user_id) & (Elector.fund_id == Ballot.fund_id))
        .where(Ballot.motion_id.in_(closed), Elector.recused.is_(False))
        .group_by(Ballot.motion_id)).all())
    for m_id, (fund_id, num, den, closed_at, title) in closed.items():
        fund = funds.get(fund_id)
        n_eligible, n_voted = eligible.get(m_id, 0), voted.get(m_id, 0)
        needed = quorum_needed(n_eligible, num, den)
        if fund and (n_eligible == 0 or n_voted < needed):
            yield Anomaly(AnomalyKind.NO_QUORUM, fund, f"motion:{m_id}", _l(
                "The vote “%(title)s” closed with %(voted)d of %(eligible)d members voting; "
                "the quorum was %(needed)d.", title=title, voted=n_voted, eligible=n_eligible,
                needed=needed), local_day(closed_at or now),
                _link("governance.motion", fund, motion_id=m_id))


def _stale_projects(funds, now):
    started = dict(((p_id, fund_id), at) for p_id, fund_id, at in db.session.execute(
        select(ProposalEvent.proposal_id, ProposalEvent.fund_id, func.max(ProposalEvent.at))
        .join(Proposal, (Proposal.id == ProposalEvent.proposal_id)
              & (Proposal.fund_id == ProposalEvent.fund_id))
        .where(Proposal.status == "in_progress", ProposalEvent.to_status == "in_progress")
        .group_by(ProposalEvent.proposal_id, ProposalEvent.fund_id)))
    if not started:
        return
    updated = dict(((p_id, fund_id), at) for p_id, fund_id, at in db.session.execute(
        select(ProgressUpdate.proposal_id, ProgressUpdate.fund_id,
               func.max(ProgressUpdate.created_at))
        .where(ProgressUpdate.proposal_id.in_({p for p, _f in started}))
        .group_by(ProgressUpdate.proposal_id, ProgressUpdate.fund_id)))
    titles = dict(db.session.execute(select(Proposal.id, Proposal.title).where(
        Proposal.id.in_({p for p, _f in started}))).all())
    for (p_id, fund_id), start in started.items():
        last = max(start, updated.get((p_id, fund_id)) or start)
        fund = funds.get(fund_id)
        if fund and now - last > timedelta(days=STALE_DAYS):
            yield Anomaly(AnomalyKind.STALE_PROJECT, fund, f"proposal:{p_id}", _l(
                "The project “%(title)s” is in progress and has had no progress update for "
                "%(days)d days.", title=titles.get(p_id, ""), days=(now - last).days),
                local_day(last + timedelta(days=STALE_DAYS)),
                _link("payouts.project", fund, proposal_id=p_id))


def _voided_receipts(funds, now):
    since = local_day(now).replace(day=1) - timedelta(days=366)
    year, month = extract("year", Receipt.issued_on), extract("month", Receipt.issued_on)
    for fund_id, y, m, total, void in db.session.execute(
            select(Receipt.fund_id, year.label("y"), month.label("m"), func.count(),
                   func.sum(case((Receipt.status == "void", 1), else_=0)))
            .where(Receipt.issued_on >= since)
            .group_by(Receipt.fund_id, "y", "m")):
        fund = funds.get(fund_id)
        void = int(void or 0)
        if fund and total >= VOID_MIN_RECEIPTS and void * 100 > VOID_SHARE_PERCENT * total:
            y, m = int(y), int(m)
            yield Anomaly(AnomalyKind.VOIDED_RECEIPTS, fund, f"month:{y}{m:02d}", _l(
                "%(void)d of the %(total)d receipts issued in %(month)s were voided "
                "(more than %(share)d%%).", void=void, total=total, month=f"{y}-{m:02d}",
                share=VOID_SHARE_PERCENT), date(y, m, 1),
                _link("receipts.index", fund, status="void", year=y))


def _payment_mismatches(funds, now):
    """An online payment whose amount was not the gift's: refused, and someone must find out
    why and give the money back (app/payments/services.py keeps it as the event's outcome)."""
    for event_id, fund_id, donation_id, paid, expected, gateway, at in db.session.execute(
            select(PaymentEvent.id, PaymentEvent.fund_id, PaymentEvent.donation_id,
                   PaymentEvent.amount_fen, Donation.amount_fen, PaymentEvent.gateway,
                   PaymentEvent.received_at)
            .join(Donation, (Donation.id == PaymentEvent.donation_id)
                  & (Donation.fund_id == PaymentEvent.fund_id))
            .where(PaymentEvent.outcome == "amount_mismatch")):
        fund = funds.get(fund_id)
        if fund:
            yield Anomaly(AnomalyKind.PAYMENT_MISMATCH, fund, f"payment_event:{event_id}", _l(
                "%(gateway)s reported ¥%(paid)s paid for a gift of ¥%(amount)s. The gift was "
                "not confirmed: find out why and give the money back.", gateway=gateway,
                paid=yuan(paid or 0), amount=yuan(expected)), local_day(at),
                _link("donations.detail", fund, donation_id=donation_id))


def _overdue(fund: Fund, d: Deadline) -> Anomaly:
    if d.kind == "annual":
        reason = _l("The annual report for %(year)d was due on %(due)s and is not published.",
                   year=d.year, due=show_date(d.due))
    else:
        reason = _l("A project has run for more than six months: the report for Q%(q)d %(year)d "
                   "was due on %(due)s and is not published.", q=d.quarter, year=d.year,
                   due=show_date(d.due))
    return Anomaly(AnomalyKind.DISCLOSURE_OVERDUE, fund, d.subject, reason, d.due,
                   _link("disclosure.index", fund))


# --- reviewing --------------------------------------------------------------------------

def _note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise Invalid({"note": _l("Write what you found (a few words are enough).")})
    if len(note) > 1000:
        raise Invalid({"note": _l("At most 1,000 characters.")})
    return note


def review(fund: Fund, kind: str, subject: str, note: str, user,
           known: list[Anomaly]) -> AnomalyReview:
    """Mark one of the anomalies found (``known``) reviewed, with what the admin found."""
    note = _note(note)
    if not any(a.fund.id == fund.id and a.kind == kind and a.subject == subject for a in known):
        raise Invalid({"note": _l("This anomaly is no longer listed.")})
    lock(fund.township)  # after a bulk review of the same anomaly, see its row
    existing = db.session.scalar(select(AnomalyReview).where(
        AnomalyReview.fund_id == fund.id, AnomalyReview.kind == kind,
        AnomalyReview.subject == subject))
    if existing is not None:
        raise Invalid({"note": _l("This anomaly is already reviewed.")})
    row = AnomalyReview(fund_id=fund.id, kind=kind, subject=subject, note=note,
                        reviewed_by_id=user.id if user else None, reviewed_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def pick_of(anomaly: Anomaly) -> str:
    """How a checkbox names an anomaly for review_many: "fund id:kind:subject"."""
    return f"{anomaly.fund.id}:{anomaly.kind}:{anomaly.subject}"


def review_many(township, picks: list[str], note: str, user) -> tuple[int, int]:
    """Mark the chosen anomalies of this township reviewed with one note. Two admins doing
    it at once review each anomaly once: the township's row is locked while the reviews
    already written are read again. Returns (reviewed now, left out: reviewed meanwhile or
    no longer listed)."""
    note = _note(note)
    chosen = set()
    for pick in picks:
        fund_id, _, rest = (pick or "").partition(":")
        kind, _, subject = rest.partition(":")
        if fund_id.isdigit() and kind and subject:
            chosen.add((int(fund_id), kind, subject))
    if not chosen:
        raise Invalid({"picks": _l("Tick the anomalies you looked into.")})
    funds = [f for f in township.funds if f.id in {fund_id for fund_id, _k, _s in chosen}]
    lock(township)
    waiting = {(a.fund.id, a.kind, a.subject) for a in detect(funds) if a.review is None}
    now = utcnow()
    done = sorted(chosen & waiting)
    db.session.add_all([AnomalyReview(fund_id=fund_id, kind=kind, subject=subject, note=note,
                                      reviewed_by_id=user.id if user else None,
                                      reviewed_at=now) for fund_id, kind, subject in done])
    db.session.flush()
    return len(done), len(chosen) - len(done)


def set_large_cash(township, amount: str) -> int:
    """The township's threshold for a large cash gift, in yuan, within the window."""
    low, high = LARGE_CASH_WINDOW_FEN
    try:
        fen = parse_amount(amount)
    except AmountError as error:
        raise Invalid({"large_cash": error.args[0]}) from None
    if not low <= fen <= high:
        raise Invalid({"large_cash": _l(
            "Choose an amount from ¥%(low)s to ¥%(high)s.", low=yuan(low), high=yuan(high))})
    township.large_cash_fen = fen
    db.session.flush()
    return fen
