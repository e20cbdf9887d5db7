"""Votes: opening one, the motion page with its live tally, voting in two taps, recusal,
offline ballots, closing, and the resolution (决议) as a page and a PDF."""

import io
from datetime import timedelta

from flask import abort, flash, g, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.auth.policy import may
from app.clock import LOCAL
from app.db_types import utcnow
from app.extensions import db, limiter
from app.money import AmountError, parse_amount
from app.pdf import public_rate_limit
from app.rendering import render, wants_partial
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants.access import fund_access

from . import bp, meetings, resolutions, uploads
from . import motions as rules
from .forms import MeetingForm, OfflineBallotForm, OpenMotionForm, RecuseForm, VoteForm
from .models import Motion, Proposal
from .views import announce, proposal_page


@bp.route("/proposals/<int:proposal_id>/motions", methods=["POST"])
@fund_access("motion.open")
def open_motion(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = OpenMotionForm()

    def open_it() -> Motion:
        amount = None
        if form.kind.data in ("enrolment", "programme_change"):  # from app/aid's pages
            raise Invalid({"kind": _l("Choose what the vote is about.")})
        if form.kind.data == "budget_change":
            try:
                amount = parse_amount(form.amount.data)
            except AmountError as error:
                raise Invalid({"amount": error.args[0]}) from error
        hours = form.hours.data
        deadline = utcnow() + timedelta(hours=hours) if hours and 0 < hours <= 720 else None
        return rules.open_motion(proposal, current_user, kind=form.kind.data or "",
                                 amount_fen=amount, deadline=deadline)

    motion = attempt(form, open_it)
    if motion is REFUSED:
        return proposal_page(proposal, http_status=422, motion_form=form)
    db.session.commit()
    announce(motion)
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/")
@fund_access("fund.enter")
def motions():
    rows = db.session.scalars(select(Motion).order_by(Motion.id.desc())).all()
    return render("governance/motions.html", motions=rows)


def _load(motion_id: int) -> Motion:
    # A motion past its deadline is not closed here: a GET never writes. The page shows it as
    # due (motion_page), and the every-minute job or the next POST on it closes it.
    return db.get_or_404(Motion, motion_id)


def _meeting_form(motion: Motion, form=None) -> MeetingForm:
    if form is None:
        at = motion.meeting_at.astimezone(LOCAL).replace(tzinfo=None) \
            if motion.meeting_at else None
        form = MeetingForm(formdata=None, kind=motion.meeting_kind, at=at,
                           place=motion.meeting_place, host_id=motion.host_id,
                           recorder_id=motion.recorder_id)
    people = [("", "—")] + [(str(uid), name) for uid, name in meetings.members(motion)]
    form.host_id.choices = form.recorder_id.choices = people
    return form


def motion_page(motion: Motion, *, http_status: int = 200, block=None, vote_form=None,
                recuse_form=None, offline_form=None, close_error: str = "", oob: bool = False,
                meeting_form=None):
    full = not (block and wants_partial())
    electors = rules.electorate(motion, with_users=True)
    ballots = {b.user_id: b for b in rules.ballots(motion)}
    mine = ballots.get(current_user.id)
    me = next((e for e in electors if e.user_id == current_user.id), None)
    show_counts = motion.status == "closed" or motion.live_results
    offline_form = offline_form or OfflineBallotForm(formdata=None)
    offline_form.member_id.choices = [("", "—")] + [
        (str(e.user_id), e.user.name) for e in electors if not e.recused]
    return render(
        "governance/motion.html", block=block, http_status=http_status, motion=motion,
        proposal=motion.proposal, electors=electors, ballots=ballots, mine=mine, me=me,
        awaiting=[b for b in ballots.values() if not b.confirmed],
        refusal=rules.refusal(motion, current_user.id), outcome=rules.outcome(motion),
        show_counts=show_counts, everyone_voted=rules.everyone_voted(motion),
        history=rules.history(motion) if may("motion.see_history") else [],
        vote_form=vote_form or VoteForm(formdata=None),
        recuse_form=recuse_form or RecuseForm(formdata=None), offline_form=offline_form,
        close_error=close_error, due=rules.is_due(motion), oob=oob,
        # The full page only: htmx polls the count every 5 seconds.
        meeting=meetings.summary(motion) if full else None,
        meeting_form=_meeting_form(motion, meeting_form) if full and may("motion.close")
        and meetings.editable(motion) else None)


@bp.route("/motions/<int:motion_id>")
@fund_access("fund.enter")
def motion(motion_id: int):
    return motion_page(_load(motion_id), block="tally")


@bp.route("/motions/<int:motion_id>/vote", methods=["POST"])
@fund_access("motion.vote")
def vote(motion_id: int):
    motion = _load(motion_id)
    form = VoteForm()
    if attempt(form, lambda: rules.cast(motion, current_user, form.choice.data or "")) \
            is REFUSED:
        return motion_page(motion, http_status=422, block="ballot", vote_form=form)
    db.session.commit()
    if wants_partial():
        return motion_page(motion, block="voted", oob=True)
    flash(_("Your vote is recorded."), "info")
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/<int:motion_id>/recuse", methods=["POST"])
@fund_access("motion.vote")
def recuse(motion_id: int):
    motion = _load(motion_id)
    form = RecuseForm()
    if attempt(form, lambda: rules.recuse(motion, current_user, form.reason.data or "")) \
            is REFUSED:
        return motion_page(motion, http_status=422, recuse_form=form)
    db.session.commit()
    flash(_("You are recused from this vote; the record shows why."), "info")
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/<int:motion_id>/confirm", methods=["POST"])
@fund_access("motion.vote")
def confirm(motion_id: int):
    motion = _load(motion_id)
    if attempt_flash(lambda: rules.confirm(motion, current_user)) is REFUSED:
        return motion_page(motion, http_status=422)
    db.session.commit()
    flash(_("You confirmed the ballot recorded at the meeting."), "info")
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/<int:motion_id>/offline", methods=["POST"])
@fund_access("motion.record_offline")
def offline(motion_id: int):
    motion = _load(motion_id)
    form = OfflineBallotForm()

    def record() -> None:
        evidence = None
        if form.evidence.data:
            evidence = uploads.from_form(form.evidence.data, g.fund.id, "minutes",
                                         current_user, motion_id=motion.id, field="evidence")
        rules.record_offline(motion, current_user, form.member_id.data,
                             form.choice.data or "", evidence)

    if attempt(form, record) is REFUSED:
        return motion_page(motion, http_status=422, offline_form=form)
    db.session.commit()
    flash(_("Ballot recorded; it stays unconfirmed until the member confirms it."), "info")
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/<int:motion_id>/meeting", methods=["POST"])
@fund_access("motion.close")  # the chair, who closes the vote, says how it was held
def meeting(motion_id: int):
    motion = _load(motion_id)
    form = _meeting_form(motion, MeetingForm())
    if attempt(form, lambda: meetings.record(motion, meetings.MeetingInput(
            kind=form.kind.data or "", at=form.at.data, place=form.place.data or "",
            host_id=form.host_id.data, recorder_id=form.recorder_id.data))) is REFUSED:
        return motion_page(motion, http_status=422, meeting_form=form)
    db.session.commit()
    flash(_("The resolution states how the vote was held."), "info")
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/motions/<int:motion_id>/close", methods=["POST"])
@fund_access("motion.close")
def close(motion_id: int):
    motion = _load(motion_id)
    try:
        if not rules.close_if_due(motion):  # at the deadline it closes as the deadline's
            rules.close(motion, current_user)
    except Invalid as error:
        db.session.rollback()
        return motion_page(motion, http_status=422, close_error=error.errors["close"])
    db.session.commit()
    return redirect(url_for("governance.resolution", resolution_id=motion.id))


def _closed(resolution_id: int) -> Motion:
    motion = _load(resolution_id)
    if motion.status != "closed":
        abort(404)  # no resolution before the vote ends
    return motion


@bp.route("/resolutions/<int:resolution_id>")
@fund_access("public")
def resolution(resolution_id: int):
    return render("governance/resolution.html",
                  **resolutions.context(_closed(resolution_id)))


@bp.route("/resolutions/<int:resolution_id>.pdf")
@fund_access("public")
@limiter.limit(public_rate_limit)
def resolution_pdf(resolution_id: int):
    motion = _closed(resolution_id)
    return send_file(io.BytesIO(resolutions.pdf_of(motion)), mimetype="application/pdf",
                     download_name=f"resolution-{g.fund.receipt_prefix}-{motion.id}.pdf")
