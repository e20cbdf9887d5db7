"""The rules of money going out: who may request and sign a payout, how much a project may
still receive, paying it into the ledger and reversing a mistake.

Two keys: the requester never approves their own request, and the fund's rules (default:
the chair and the supervisor) name who signs. A payout never exceeds the project's approved
budget minus what is already paid, nor the money available to it (the unrestricted balance
plus what donors designated to the project). Every check that guards money is made again,
under row locks, at the moment money moves.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import Membership
from app.auth.policy import POLICY
from app.clock import day_refused, local_today
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.governance.models import UNDER_WAY
from app.governance.proposals import finalize_if_due
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.money import AmountError, parse_amount
from app.validation import Invalid, int_or_none

from .models import (
    DEFAULT_APPROVERS,
    SPENDING_STATES,
    Payout,
    PayoutApproval,
    PayoutRules,
)

APPROVER_CHOICES = POLICY["payout.approve"]  # the roles a fund may choose its signers from


# --- the fund's rules ------------------------------------------------------------------------

def rules_of(fund_id: int) -> PayoutRules:
    """The fund's rules, or the defaults (chair and supervisor) while none are saved."""
    return rules_for([fund_id])[fund_id]


def rules_for(fund_ids) -> dict[int, PayoutRules]:
    """rules_of() for several funds in one query: fund id -> its rules or the defaults."""
    saved = {r.fund_id: r for r in db.session.scalars(
        select(PayoutRules).where(PayoutRules.fund_id.in_(list(fund_ids))))}
    return {fund_id: saved.get(fund_id) or PayoutRules(
        fund_id=fund_id, approver_roles=DEFAULT_APPROVERS, approvals_needed=2)
        for fund_id in fund_ids}


def update_rules(fund_id: int, roles: list[str], needed: int | None, user) -> PayoutRules:
    roles = [r for r in APPROVER_CHOICES if r in set(roles or [])]
    errors = {}
    if not roles:
        errors["roles"] = _l("Choose at least one role whose holders sign payouts.")
    # One signature is already a second key: the requester can never sign.
    if needed is None or not 1 <= needed <= 5:
        errors["needed"] = _l("Between 1 and 5 signatures.")
    if errors:
        raise Invalid(errors)
    rules = db.session.scalar(select(PayoutRules).where(PayoutRules.fund_id == fund_id))
    if rules is None:
        rules = PayoutRules(fund_id=fund_id)
        db.session.add(rules)
    rules.approver_roles = ",".join(roles)
    rules.approvals_needed = needed
    rules.updated_by_id = user.id if user else None
    rules.updated_at = utcnow()
    db.session.flush()
    return rules


def roles_in_fund(user, fund_id: int, day: date | None = None) -> set[str]:
    """The fund roles this person holds today (not the township's oversight)."""
    day = day or local_today()
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.fund_id == fund_id))
    return {m.role for m in rows if m.current_on(day)}


# --- how much a project may still receive ----------------------------------------------------

@dataclass
class ProjectMoney:
    budget_fen: int  # the approved budget (a budget-change motion moves it)
    paid_fen: int  # paid and not reversed
    pending_fen: int  # requested or approved, not paid yet
    designated_fen: int  # the balance donors designated to the project
    unrestricted_fen: int  # the fund's unrestricted balance
    by_line: dict = field(default_factory=dict)  # budget line id (or None) -> paid fen

    @property
    def left_in_budget_fen(self) -> int:
        return max(0, self.budget_fen - self.paid_fen)

    @property
    def available_fen(self) -> int:
        return max(0, self.unrestricted_fen) + max(0, self.designated_fen)

    @property
    def room_fen(self) -> int:
        """The most one payout may be now."""
        return max(0, min(self.left_in_budget_fen, self.available_fen))


def _designation_balance(designation_id: int | None) -> int:
    if designation_id is None:
        return 0
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                 .where(LedgerEntry.designation_id == designation_id)) or 0)


def _unrestricted_balance() -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                 .where(LedgerEntry.designation_id.is_(None))) or 0)


def project_money(proposal) -> ProjectMoney:
    rows = db.session.execute(
        select(Payout.status, Payout.budget_line_id, func.sum(Payout.amount_fen))
        .where(Payout.proposal_id == proposal.id,
               Payout.status.in_(SPENDING_STATES))
        .group_by(Payout.status, Payout.budget_line_id)).all()
    paid = pending = 0
    by_line: dict = {}
    for status, line_id, amount in rows:
        amount = int(amount or 0)
        if status == "paid":
            paid += amount
            by_line[line_id] = by_line.get(line_id, 0) + amount
        else:
            pending += amount
    return ProjectMoney(budget_fen=proposal.requested_fen, paid_fen=paid, pending_fen=pending,
                        designated_fen=_designation_balance(proposal.designation_id),
                        unrestricted_fen=_unrestricted_balance(), by_line=by_line)


def check_amount(proposal, amount_fen: int, *, field_name: str = "amount") -> ProjectMoney:
    """Refuse a payout above what is left in the budget or above the money available."""
    money = project_money(proposal)
    if amount_fen > money.left_in_budget_fen:
        raise Invalid({field_name: _l(
            "This is more than is left in the project's approved budget (¥%(left)s of "
            "¥%(budget)s). A larger budget needs a new committee vote (budget change).",
            left=_yuan(money.left_in_budget_fen), budget=_yuan(money.budget_fen))})
    if amount_fen > money.available_fen:
        raise Invalid({field_name: _l(
            "The fund has only ¥%(available)s available for this project (unrestricted money "
            "plus gifts designated to it).", available=_yuan(money.available_fen))})
    return money


def _yuan(fen: int) -> str:
    from app.money import yuan

    return yuan(fen)


# --- requesting --------------------------------------------------------------------------------

@dataclass
class PayoutInput:
    amount: str
    payee: str
    payee_account: str
    purpose: str
    budget_line_id: int | None = None


def budget_line_of(proposal, line_id: int | None) -> int | None:
    """The budget line a payout is paid from: one of the project's lines, and one is required
    when the project has lines, so that the report's spending by line adds up to its spending.
    A project of one line needs no choice (a wish bought, an automatic settlement); a project
    without lines has no line to name."""
    lines = [ln.id for ln in proposal.lines]
    if line_id:
        if line_id not in lines:
            raise Invalid({"budget_line_id": _l("Choose a line of this project's budget.")})
        return line_id
    if len(lines) == 1:
        return lines[0]
    if lines:
        raise Invalid({"budget_line_id": _l("Choose the budget line this money is paid from.")})
    return None


def check(proposal, data: PayoutInput) -> dict:
    errors = {}
    values = {}
    if proposal is None or proposal.status not in UNDER_WAY:
        errors["proposal_id"] = _l("Money can be paid only for a final project (after its "
                                   "vote and public notice).")
    try:
        values["amount_fen"] = parse_amount(data.amount)
    except AmountError as error:
        errors["amount"] = error.args[0]
    payee = (data.payee or "").strip()
    if not payee:
        errors["payee"] = _l("Enter who receives the money.")
    purpose = (data.purpose or "").strip()
    if not purpose:
        errors["purpose"] = _l("Say what the money pays for.")
    line_id = None
    if proposal is not None:
        try:
            line_id = budget_line_of(proposal, data.budget_line_id)
        except Invalid as error:
            errors.update(error.errors)
    if not errors:
        try:
            check_amount(proposal, values["amount_fen"])
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    values.update(payee=payee[:100], payee_account=(data.payee_account or "").strip()[:60],
                  purpose=purpose[:500], budget_line_id=line_id, proposal_id=proposal.id)
    return values


def request(proposal, data: PayoutInput, user, now: datetime | None = None) -> Payout:
    """A treasurer or social worker asks for money for a final project."""
    if proposal is not None:
        finalize_if_due(proposal, now)  # a notice period just over: the page did not record it
    values = check(proposal, data)
    payout = Payout(**values, fund_id=proposal.fund_id, status="requested",
                    requested_by_id=user.id if user else None, requested_at=now or utcnow())
    db.session.add(payout)
    db.session.flush()
    _tell_signers(payout, proposal)
    return payout


def _tell_signers(payout: Payout, proposal) -> None:
    """Everyone who may sign it today hears of it (SMS, else email; app/notify), once the
    request commits; the requester never signs, so is not told."""
    from app.funds.models import Fund
    from app.money import yuan
    from app.notify.services import notify
    from app.urls import external_url

    fund = db.session.get(Fund, payout.fund_id)
    today = local_today()
    members = db.session.scalars(select(Membership).where(
        Membership.fund_id == payout.fund_id,
        Membership.role.in_(rules_of(payout.fund_id).roles)))
    signers = {m.user for m in members
               if m.current_on(today) and m.user_id != payout.requested_by_id}
    link = external_url("payouts.detail", fund_slug=fund.slug, payout_id=payout.id)
    for user in sorted(signers, key=lambda u: u.id):
        notify(user, "payout_to_approve", fund=fund, title=proposal.title,
               amount=yuan(payout.amount_fen), link=link)


# --- the second key ----------------------------------------------------------------------------

def approvals(payout: Payout) -> list[PayoutApproval]:
    return list(db.session.scalars(select(PayoutApproval).where(
        PayoutApproval.payout_id == payout.id).order_by(PayoutApproval.id)))


def refusal(payout: Payout, user) -> str | None:
    """Why this person may not sign this payout now; None if they may. The page hides the
    buttons with the same answer, and approve() refuses with it."""
    if user is None or not getattr(user, "id", None):
        return str(_l("Sign in to approve."))
    signed = db.session.scalar(select(PayoutApproval.id).where(
        PayoutApproval.payout_id == payout.id, PayoutApproval.user_id == user.id)) is not None
    return _refusal(payout, user.id, roles_in_fund(user, payout.fund_id),
                    rules_of(payout.fund_id).roles, signed)


def _refusal(payout: Payout, user_id: int, roles: set[str], signer_roles, signed: bool
             ) -> str | None:
    """The rule of refusal() on what is already read, so that waiting_for_signature() applies
    the very same rule to many payouts at once."""
    if payout.requested_by_id == user_id:
        return str(_l("You requested this payout: another person must approve it."))
    if payout.status != "requested":
        return str(_l("This payout is no longer waiting for approval."))
    if not roles & set(signer_roles):
        return str(_l("Only the people the fund's rules name may approve payouts."))
    if signed:
        return str(_l("You have already signed this payout."))
    return None


def waiting_for_signature(user_id: int, roles_by_fund: dict[int, set[str]]) -> list[Payout]:
    """The payouts this person may sign now (refusal() has nothing against them), oldest
    first, in the funds given with the roles they hold in each: two queries for any number of
    funds and payouts, for their to-do list."""
    rules = rules_for(roles_by_fund)
    funds = [f for f, roles in roles_by_fund.items() if roles & set(rules[f].roles)]
    if not funds:
        return []
    mine = select(PayoutApproval.payout_id).where(PayoutApproval.user_id == user_id)
    rows = db.session.execute(
        select(Payout, Payout.id.in_(mine)).where(Payout.fund_id.in_(funds),
                                                  Payout.status == "requested")
        .order_by(Payout.requested_at, Payout.id)).all()
    return [payout for payout, signed in rows if _refusal(
        payout, user_id, roles_by_fund[payout.fund_id], rules[payout.fund_id].roles,
        bool(signed)) is None]


def _sign(payout: Payout, user, decision: str, note: str, now) -> PayoutApproval:
    rules = rules_of(payout.fund_id)
    role = next(r for r in rules.roles if r in roles_in_fund(user, payout.fund_id))
    row = PayoutApproval(payout_id=payout.id, fund_id=payout.fund_id, user_id=user.id,
                         role=role, decision=decision, note=(note or "").strip()[:500], at=now)
    db.session.add(row)
    db.session.flush()
    return row


def approve(payout: Payout, user, note: str = "", now: datetime | None = None) -> Payout:
    """One signature. When the rules' number of different people have signed, the payout
    is approved; the payout row is locked, so two signatures at once are counted in turn."""
    now = now or utcnow()
    lock(payout)
    reason = refusal(payout, user)
    if reason:
        raise Invalid({"approve": reason})
    _sign(payout, user, "approve", note, now)
    signed = db.session.scalar(select(func.count()).select_from(PayoutApproval).where(
        PayoutApproval.payout_id == payout.id, PayoutApproval.decision == "approve"))
    if signed >= rules_of(payout.fund_id).approvals_needed:
        payout.status = "approved"
        payout.decided_at = now
    db.session.flush()
    return payout


def reject(payout: Payout, user, note: str, now: datetime | None = None) -> Payout:
    now = now or utcnow()
    if not (note or "").strip():
        raise Invalid({"note": _l("Say why the payout is refused.")})
    lock(payout)
    reason = refusal(payout, user)
    if reason:
        raise Invalid({"note": reason})
    _sign(payout, user, "reject", note, now)
    payout.status = "rejected"
    payout.decided_at = now
    db.session.flush()
    return payout


def withdraw(payout: Payout, user) -> Payout:
    lock(payout)
    if not payout.is_open or payout.requested_by_id != user.id:
        raise Invalid({"withdraw": _l("Only the requester can withdraw a payout not yet paid.")})
    payout.status = "withdrawn"
    db.session.flush()
    return payout


# --- paying and reversing ----------------------------------------------------------------------

def reference_of(payout: Payout, part: str) -> str:
    return f"payout:{payout.id}:{part}"


def payout_id_of(reference: str) -> int | None:
    """payout:12:project -> 12 (the ledger's own link back to the payout)."""
    parts = (reference or "").split(":")
    return int_or_none(parts[1]) if len(parts) == 3 and parts[0] == "payout" else None


def mark_paid(payout: Payout, user, bank_reference: str, paid_on: date | None,
              now: datetime | None = None) -> list[LedgerEntry]:
    """The bank has paid: record its reference and debit the ledger, from the money designated
    to the project first, then from unrestricted money. Checked again under locks on the
    payout and the project, so two payments at once pay once and never overdraw."""
    from app.governance import proposals as proposal_rules
    from app.governance.models import EventNote, Proposal

    now = now or utcnow()
    errors = {}
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        errors["bank_reference"] = _l("Enter the bank's reference of the payment.")
    if paid_on is None:
        errors["paid_on"] = _l("Enter the day the bank paid.")
    elif refused := day_refused(paid_on, local_today(now)):
        errors["paid_on"] = refused
    if errors:
        raise Invalid(errors)
    lock(payout)
    if payout.status != "approved":
        raise Invalid({"bank_reference": _l("Only an approved payout can be marked paid.")})
    if db.session.scalar(select(Payout.id).where(Payout.bank_reference == bank_reference,
                                                 Payout.id != payout.id)):
        raise Invalid({"bank_reference": _l("Another payout already has this bank reference.")})
    proposal = db.session.get(Proposal, payout.proposal_id)
    lock(proposal)  # payouts of one project are paid one after the other
    if proposal.status not in UNDER_WAY:
        raise Invalid({"bank_reference": _l("The project is no longer open for payments.")})
    money = check_amount(proposal, payout.amount_fen, field_name="bank_reference")
    from_project = min(payout.amount_fen, max(0, money.designated_fen))
    entries = []
    for part, amount, designation_id in (
            ("project", from_project, proposal.designation_id),
            ("general", payout.amount_fen - from_project, None)):
        if amount:
            entry = LedgerEntry(kind="payout", amount_fen=-amount,
                                reference=reference_of(payout, part),
                                designation_id=designation_id, fund_id=payout.fund_id,
                                reason=payout.purpose[:500], created_at=now,
                                created_by_id=user.id if user else None)
            db.session.add(entry)
            entries.append(entry)
    payout.status = "paid"
    payout.bank_reference = bank_reference[:100]
    payout.paid_on = paid_on
    payout.paid_at = now
    payout.paid_by_id = user.id if user else None
    if proposal.status == "final":  # the first money out starts the project
        proposal_rules.transition(proposal, "in_progress", user, note=EventNote.PAYOUT,
                                  note_ref=payout.id, now=now)
    db.session.flush()
    return entries


def ledger_entries(payout: Payout) -> list[LedgerEntry]:
    refs = [reference_of(payout, "project"), reference_of(payout, "general")]
    originals = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.kind == "payout", LedgerEntry.reference.in_(refs)).order_by(LedgerEntry.id)))
    reversals = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.reverses_id.in_([e.id for e in originals])).order_by(LedgerEntry.id))) \
        if originals else []
    return originals + reversals


def reverse(payout: Payout, user, reason: str, now: datetime | None = None) -> list[LedgerEntry]:
    """A payout booked by mistake: reversing entries with the reason; the originals stay."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _l("Say why this payout is reversed.")})
    lock(payout)
    if payout.status != "paid":
        raise Invalid({"reason": _l("Only a paid payout can be reversed.")})
    done = [ledger.reverse(entry, reason, user)
            for entry in ledger_entries(payout) if entry.kind == "payout"]
    payout.status = "reversed"
    payout.reversal_reason = reason[:500]
    payout.reversed_at = now or utcnow()
    payout.reversed_by_id = user.id if user else None
    db.session.flush()
    return done
