"""A resolution (决议) as a document: its number, what its page and PDF show, the PDF stored once.

A resolution is the record a village committee files: a number of the fund's year
(东港村慈基决〔2026〕3号, taken when the vote closes), the meeting, who should and did take part,
who withdrew and why, each vote by name, the rule applied, the decision in words, signature
lines and, for a project approved, its public notice (公示) and what came of it.

The PDF is stored once, when the resolution is final: at the close for a vote that leads to
no notice, when the notice ends (or an objection sends the project back to a vote) for an
approved project. Until then a download renders the current state and stores nothing. Every
stored download is the same bytes. It is rendered in the platform's default language: it is
the fund's record, not a page of the reader.
"""

import base64
import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app import counters, qr
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_day
from app.extensions import db
from app.funds.models import Fund
from app.pdf import render_pdf
from app.receipts.services import settings as receipt_settings
from app.urls import external_url

from . import motions as rules
from .models import (
    MeetingKind,
    Motion,
    Objection,
    Proposal,
    ProposalEvent,
    ResolutionCounter,
    ResolutionFile,
)


def number(motion: Motion) -> None:
    """Give the closed motion its resolution number, from the fund's counter for the year."""
    fund = db.session.get(Fund, motion.fund_id)
    year = local_day(motion.closed_at).year
    sequence = counters.bump(ResolutionCounter, fund.id, year)
    motion.resolution_year, motion.resolution_sequence = year, sequence
    motion.resolution_number = f"{short_name(fund)}慈基决〔{year}〕{sequence}号"
    db.session.flush()


def short_name(fund: Fund) -> str:
    """东港村社区慈善基金 -> 东港村: the village or community the fund serves."""
    return fund.village or fund.name.removesuffix("社区慈善基金").removesuffix("慈善基金")


def is_final(motion: Motion) -> bool:
    """Final now, or only once the project's public notice is over?"""
    return not (motion.kind == "proposal" and motion.passed)


def store_after_notice(proposal: Proposal) -> None:
    """The notice of an approved project ended (or an objection sent it back to a vote): its
    approving resolution now has everything it states, so it is stored."""
    motion = db.session.scalar(select(Motion).where(
        Motion.proposal_id == proposal.id, Motion.kind == "proposal", Motion.passed.is_(True))
        .order_by(Motion.closed_at.desc()).limit(1))
    stored = motion is not None and db.session.scalar(select(ResolutionFile.id).where(
        ResolutionFile.motion_id == motion.id)) is not None
    if motion is not None and not stored:
        store(motion)


def _treasurer(fund_id: int, day) -> str:
    rows = db.session.execute(select(Membership, User).join(User).where(
        Membership.fund_id == fund_id, Membership.role == Role.TREASURER)
        .order_by(Membership.start_date, Membership.id)).all()
    return next((u.name for m, u in rows if m.current_on(day)), "")


def decision(motion: Motion, proposal: Proposal, outcome) -> str:
    """The decision in one sentence, as the record states it."""
    amount = f"{motion.amount_fen / 100:,.2f}"
    if motion.kind == "proposal" and outcome.passed:
        handler = _treasurer(motion.fund_id, local_day(motion.closed_at))
        return _("Approved: pay ¥%(amount)s for “%(title)s”, handled by the treasurer "
                 "%(name)s.", amount=amount, title=proposal.title, name=handler or "—")
    if motion.kind == "budget_change":
        if outcome.passed:
            return _("Approved: the budget of “%(title)s” is now ¥%(amount)s.",
                     title=proposal.title, amount=amount)
        return _("Not approved: the budget of “%(title)s” stays as it was.",
                 title=proposal.title)
    if motion.kind == "programme_change":
        if outcome.passed:
            return _("Approved: the aid programme “%(title)s” changes as proposed.",
                     title=proposal.title)
        return _("Not approved: the aid programme “%(title)s” stays as it was.",
                 title=proposal.title)
    if motion.kind == "acceptance":
        if outcome.passed:
            return _("Approved: the project “%(title)s” is accepted as completed.",
                     title=proposal.title)
        return _("Not approved: the project “%(title)s” is not accepted yet.",
                 title=proposal.title)
    return _("Not approved: ¥%(amount)s for “%(title)s” is not granted.", amount=amount,
             title=proposal.title)


def notice(motion: Motion, proposal: Proposal) -> dict | None:
    """The project's public notice after this resolution: its period and, once over, its
    result. None for a resolution that leads to no notice."""
    if motion.kind != "proposal" or not motion.passed:
        return None
    published = db.session.scalar(select(ProposalEvent.at).where(
        ProposalEvent.proposal_id == proposal.id, ProposalEvent.to_status == "notice",
        ProposalEvent.at >= motion.closed_at).order_by(ProposalEvent.at).limit(1))
    if published is None:
        return {"state": "waiting"}
    ended = db.session.scalar(select(ProposalEvent).where(
        ProposalEvent.proposal_id == proposal.id, ProposalEvent.from_status == "notice",
        ProposalEvent.at >= published).order_by(ProposalEvent.at).limit(1))
    objections = db.session.scalars(select(Objection.status).where(
        Objection.proposal_id == proposal.id, Objection.created_at >= published)).all()
    state = "running" if ended is None else (
        "upheld" if ended.to_status == "voting" else "over")
    return {"state": state, "start": published, "end": proposal.notice_until,
            "objections": len(objections),
            "dismissed": sum(status == "dismissed" for status in objections)}


def context(motion: Motion) -> dict:
    electors = rules.electorate(motion)
    ballots = {b.user_id: b for b in rules.ballots(motion)}
    counted = {b.user_id: b for b in rules.counted(motion)}
    ids = [e.user_id for e in electors] + [motion.opened_by_id or 0, motion.closed_by_id or 0,
                                           motion.host_id or 0, motion.recorder_id or 0]
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    outcome = rules.outcome(motion)
    proposal = motion.proposal
    fund = db.session.get(Fund, motion.fund_id)
    recused = [e for e in electors if e.recused]
    eligible = [e for e in electors if not e.recused]

    def voting(choice: str) -> list[str]:
        return [names.get(e.user_id, "") for e in eligible
                if e.user_id in counted and counted[e.user_id].choice == choice]

    url = external_url("governance.resolution", fund_slug=fund.slug, resolution_id=motion.id)
    return {"motion": motion, "proposal": proposal, "electors": electors,
            "ballots": ballots, "names": names, "outcome": outcome, "fund": fund,
            "meeting": MeetingKind.label_of(motion.meeting_kind),
            "number": motion.resolution_number or f"{fund.receipt_prefix}-J{motion.id}",
            "host": names.get(motion.host_id or motion.opened_by_id or 0, ""),
            "recorder": names.get(motion.recorder_id or 0, ""),
            "recused": recused, "attended": [e for e in eligible if e.user_id in counted],
            "absent": [names.get(e.user_id, "") for e in eligible if e.user_id not in counted],
            "yes": voting("yes"), "no": voting("no"), "abstain": voting("abstain"),
            "decision": decision(motion, proposal, outcome),
            "notice": notice(motion, proposal), "signers": eligible,
            "public_url": url, "qr": qr.png_data_uri(url)}


def render(motion: Motion) -> bytes:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_pdf("governance/resolution_pdf.html", **context(motion),
                          seal=_seal(motion.fund_id))


def _seal(fund_id: int) -> str | None:
    """The fund's seal, the one its receipts carry, as a data: URI; None when it has none
    (the committee then stamps the printed page)."""
    seal = receipt_settings(fund_id).seal_png
    return "data:image/png;base64," + base64.b64encode(seal).decode() if seal else None


def store(motion: Motion) -> ResolutionFile:
    """Keep the final resolution's PDF (in the transaction that makes it final; flushes)."""
    data = render(motion)
    stored = ResolutionFile(fund_id=motion.fund_id, motion_id=motion.id, data=data,
                            sha256=hashlib.sha256(data).hexdigest())
    db.session.add(stored)
    db.session.flush()
    return stored


def pdf_of(motion: Motion) -> bytes:
    """The stored bytes. A resolution not yet final (an approved project on notice), or
    closed before PDFs were stored, is rendered for each download and not stored then: a GET
    never writes (the route is rate-limited instead)."""
    data = db.session.scalar(select(ResolutionFile.data).where(
        ResolutionFile.motion_id == motion.id))
    return data if data is not None else render(motion)
