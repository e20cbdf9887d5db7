"""Reading the trail: one fund's, or a township's across its funds, filtered and paged, with
each entry's changes laid out for people."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, or_, select, union_all

from app.clock import LOCAL
from app.extensions import db
from app.pagination import Page

from .models import AuditEntry, PlatformAuditEntry
from .recording import spec_for_table

SUBJECT_LABELS = {
    "donation": _l("Donation"), "donor": _l("Donor"), "batch": _l("Batch"),
    "ledger_entry": _l("Ledger entry"), "donation_point": _l("Donation point"),
    "designation": _l("Purpose"), "membership": _l("Membership"), "fund": _l("Fund"),
    "township": _l("Township"), "auth": _l("Sign-in"), "receipt": _l("Receipt"),
    "receipt_settings": _l("Receipt settings"), "proposal": _l("Proposal"),
    "motion": _l("Committee vote"), "ballot": _l("Ballot"), "elector": _l("Voter"),
    "objection": _l("Objection"), "committee_rules": _l("Committee rules"),
    "project_round": _l("Project round"), "payout": _l("Payout"),
    "payout_approval": _l("Payout signature"), "payout_rules": _l("Payout signing rules"),
    "evidence": _l("Evidence"), "progress_update": _l("Progress update"),
    "acceptance_note": _l("Acceptance note"), "disclosure_report": _l("Public report"),
    "anomaly_review": _l("Anomaly review"), "user": _l("User account"),
    "invitation": _l("Invitation"),
    "aid_programme": _l("Aid programme"), "aid_beneficiary": _l("Person helped"),
    "aid_enrolment": _l("Aid enrolment"), "aid_entitlement": _l("Aid entitlement"),
    "aid_handout": _l("Aid hand-out"), "aid_shop": _l("Partner shop"),
    "aid_voucher": _l("Aid voucher"), "aid_programme_change": _l("Change of an aid programme"),
    "aid_enrolment_review": _l("Yearly review of an aid enrolment"),
    "wish": _l("Small wish"), "wish_claim": _l("Claim of a small wish"),
    "wish_gift": _l("Gift towards a small wish"),
    "wish_settings": _l("Small wish settings"),
    "volunteer": _l("Volunteer"), "activity": _l("Volunteer activity"),
    "hour_entry": _l("Volunteer hours"), "certificate": _l("Volunteer service certificate"),
    "time_transfer": _l("Time bank transfer"),
    "campaign": _l("Joint campaign"), "campaign_fund": _l("Fund's part in a campaign"),
    "match_pledge": _l("Match pledge"), "match_allocation": _l("Match of a gift"),
    "collection_code": _l("Collection code"), "gift_report": _l("Gift reported by a donor"),
    "bill_line": _l("Line of a collection code bill"),
}
VERB_LABELS = {
    "created": _l("created"), "updated": _l("changed"), "deleted": _l("deleted"),
    "confirmed": _l("confirmed"), "closed": _l("closed"), "reversed": _l("reversed"),
    "refunded": _l("refunded"), "partially_refunded": _l("partly refunded"),
    "failed": _l("failed"), "login": _l("signed in"), "code_failed": _l("wrong one-time code"),
    "two_step_enabled": _l("two-step sign-in turned on"),
    "two_step_disabled": _l("two-step sign-in turned off"),
    "sessions_ended": _l("signed out on every device"),
    "suspended": _l("suspended"), "archived": _l("archived"), "active": _l("reactivated"),
    # a proposal's, a payout's or a receipt's new state
    "submitted": _l("submitted"), "discussion": _l("put to discussion"),
    "voting": _l("put to the vote"), "notice": _l("put on public notice"),
    "final": _l("approved as a project"), "in_progress": _l("under way"),
    "completed": _l("completed"), "accepted": _l("accepted on completion"),
    "withdrawn": _l("withdrawn"), "approved": _l("approved"), "rejected": _l("refused"),
    "paid": _l("paid"), "void": _l("voided"),
    # an invitation's life: made, replaced, used to set a password or to join an account,
    # turned away (used up, expired, revoked, unknown)
    "revoked": _l("revoked"), "used": _l("used to set a password"),
    "linked": _l("joined to an existing account"), "refused": _l("turned away"),
    # a small wish's and its claim's new state
    "open": _l("published on the wall"), "returned": _l("returned"),
    "fulfilled": _l("fulfilled"), "cancelled": _l("cancelled"), "expired": _l("expired"),
    # a volunteer activity's list marked by its leader (then "confirmed" by a second person)
    "marked": _l("list confirmed by the leader"),
    # a file of personal data downloaded (how many rows it held is in the entry)
    "exported": _l("exported"),
}


def subject_label(table: str) -> str:
    """"payout" -> 拨付; an unknown table is shown as it is."""
    return str(SUBJECT_LABELS.get(table, table))


def action_label(action: str) -> str:
    """"donation.confirmed" -> 捐赠 · 已确认; unknown parts are shown as they are."""
    subject, _, verb = action.partition(".")
    return f"{subject_label(subject)} · {VERB_LABELS.get(verb, verb)}"


@dataclass
class Filters:
    fund_id: int | None = None
    action: str | None = None
    person: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL)


def _columns(model, chain: str):
    return (model.id.label("id"), literal(chain).label("chain"), model.seq.label("seq"),
            model.at.label("at"), model.actor_id.label("actor_id"),
            model.actor_name.label("actor_name"), model.action.label("action"),
            model.subject_table.label("subject_table"), model.subject_id.label("subject_id"),
            model.before.label("before"), model.after.label("after"),
            model.fund_id.label("fund_id"))


def _filtered(query, model, filters: Filters):
    if filters.action:
        query = query.where(model.action == filters.action)
    if filters.person:
        query = query.where(model.actor_name.contains(filters.person, autoescape=True))
    if filters.date_from:
        query = query.where(model.at >= _utc_start(filters.date_from))
    if filters.date_to:
        query = query.where(model.at < _utc_start(filters.date_to + timedelta(days=1)))
    if filters.fund_id:
        query = query.where(model.fund_id == filters.fund_id)
    return query


def _parts(fund_ids: list[int], township_id: int | None, filters: Filters):
    """The fund chains' entries of these funds, and the platform entries about them (and
    about the township itself, on the township's trail)."""
    funds = select(*_columns(AuditEntry, "fund")).where(AuditEntry.fund_id.in_(fund_ids))
    about = PlatformAuditEntry.fund_id.in_(fund_ids)
    if township_id is not None:
        about = or_(about, PlatformAuditEntry.township_id == township_id)
    platform = select(*_columns(PlatformAuditEntry, "platform")).where(about)
    return (_filtered(funds, AuditEntry, filters),
            _filtered(platform, PlatformAuditEntry, filters))


def trail(fund_ids: list[int], filters: Filters, page: int = 1, per_page: int = 50,
          township_id: int | None = None) -> Page:
    both = union_all(*_parts(fund_ids, township_id, filters)).subquery()
    total = db.session.scalar(select(func.count()).select_from(both))
    rows = db.session.execute(
        select(both).order_by(both.c.at.desc(), both.c.chain, both.c.id.desc())
        .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return Page(list(rows), max(1, page), per_page, total or 0)


def actions(fund_ids: list[int], township_id: int | None = None) -> list[str]:
    """The actions that occur in this trail, for the filter."""
    found = set(db.session.scalars(select(AuditEntry.action).distinct()
                                   .where(AuditEntry.fund_id.in_(fund_ids))))
    about = PlatformAuditEntry.fund_id.in_(fund_ids)
    if township_id is not None:
        about = or_(about, PlatformAuditEntry.township_id == township_id)
    found |= set(db.session.scalars(select(PlatformAuditEntry.action).distinct().where(about)))
    return sorted(found)


HIDDEN = object()  # a personal value the reader may not see


@dataclass
class Change:
    field: str
    before: object
    after: object
    has_before: bool
    has_after: bool


def changes(row, may_see_personal: bool) -> list[Change]:
    """The entry's before and after, column by column, personal values hidden if need be.
    Columns no longer recorded (secrets) are left out of entries written before they were."""
    before, after = json.loads(row.before or "{}"), json.loads(row.after or "{}")
    spec = spec_for_table(row.subject_table)
    personal = spec.personal if spec and not may_see_personal else frozenset()
    skipped = spec.skip if spec else frozenset()
    out = []
    for key in sorted((before.keys() | after.keys()) - skipped):
        if key in personal:
            out.append(Change(key, HIDDEN, HIDDEN, key in before, key in after))
        else:
            out.append(Change(key, before.get(key), after.get(key), key in before,
                              key in after))
    return out
