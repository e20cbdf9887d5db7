"""Proposal pages of a fund: the list, submitting, one proposal with its comment thread,
files and state buttons, and announce() for a vote opened from here or from motion_views.
Motions, the committee, rounds and public pages are in the sibling *_views modules, on the
same blueprint."""

import logging

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.rendering import list_filter, render, render_form
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants.access import fund_access

from . import bp, uploads
from . import motions as motion_rules
from . import proposals as rules
from .forms import CommentForm, OpenMotionForm, ProposalForm, UploadForm
from .labels import FORWARD
from .models import (
    UNDER_WAY,
    Attachment,
    Comment,
    Motion,
    Objection,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)

log = logging.getLogger(__name__)


@bp.app_template_global("governance_board")
def _board(fund):
    """What the public notice board shows of the committee's work."""
    limit = 20
    return {
        "notice": db.session.scalars(select(Proposal).where(Proposal.status == "notice")
                                     .order_by(Proposal.notice_until)).all(),
        "fundable": db.session.scalars(select(Proposal).where(
            Proposal.status.in_(UNDER_WAY)).order_by(Proposal.id.desc())
            .limit(limit)).all(),
        "open": db.session.scalars(select(Motion).where(Motion.status == "open")
                                   .order_by(Motion.deadline)).all(),
        "closed": db.session.scalars(select(Motion).where(Motion.status == "closed")
                                     .order_by(Motion.closed_at.desc()).limit(limit)).all(),
    }


@bp.app_template_global("gov_label")
def _gov_label(table: str, code) -> str:
    from .labels import gov_label

    return gov_label(table, code)


@bp.app_template_global("event_note")
def _event_note(event) -> str:
    from .labels import event_note

    return event_note(event)


@bp.route("/proposals/")
@fund_access("fund.enter")
def proposals():
    status = list_filter("status", ProposalStatus.values())
    query = select(Proposal).order_by(Proposal.id.desc())
    if status:
        query = query.where(Proposal.status == status)
    rows = db.session.scalars(query).all()
    return render("governance/proposals.html", block="results", proposals=rows, status=status)


@bp.route("/proposals/new", methods=["GET", "POST"])
@fund_access("proposal.create")
def new_proposal():
    form = ProposalForm()
    if form.is_submitted():
        proposal = attempt(form, lambda: create_from_form(
            form, current_user, submit=request.form.get("action") != "draft"))
        if proposal is not REFUSED:
            db.session.commit()
            flash(_("Proposal saved."), "info")
            return redirect(url_for("governance.proposal", proposal_id=proposal.id))
    return render_form("governance/proposal_form.html", form, block="form")


def _input(form) -> rules.ProposalInput:
    return rules.ProposalInput(
        title=form.title.data or "", category=form.category.data or "",
        description=form.description.data or "", requested=form.requested.data or "",
        beneficiaries=form.beneficiaries.data or "", budget=form.budget.data or "",
        proposer_name=getattr(form, "proposer_name", None) and form.proposer_name.data or "",
        proposer_phone=getattr(form, "proposer_phone", None) and form.proposer_phone.data
        or "")


def create_from_form(form, user, submit: bool = True) -> Proposal:
    """A proposal and its photo, from a member's form or a villager's."""
    proposal = rules.create(_input(form), user, submit=submit)
    if form.photo.data:
        uploads.from_form(form.photo.data, g.fund.id, "photo", user, proposal_id=proposal.id,
                          field="photo")
    return proposal


def proposal_page(proposal: Proposal, *, http_status: int = 200, comment_form=None,
                  upload_form=None, motion_form=None, block=None):
    events = db.session.scalars(select(ProposalEvent).where(
        ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)).all()
    comments = db.session.scalars(select(Comment).where(
        Comment.proposal_id == proposal.id).order_by(Comment.id)).all()
    files = db.session.scalars(select(Attachment).where(
        Attachment.proposal_id == proposal.id).order_by(Attachment.id)).all()
    motions = db.session.scalars(select(Motion).where(
        Motion.proposal_id == proposal.id).order_by(Motion.id.desc())).all()
    objections = db.session.scalars(select(Objection).where(
        Objection.proposal_id == proposal.id).order_by(Objection.id)).all()
    moves = [to for to in sorted(rules.MANUAL)
             if rules.may_move(proposal, to, current_user, g.roles)]
    return render("governance/proposal.html", block=block, http_status=http_status,
                  proposal=proposal, events=events, comments=comments, files=files, motions=motions,
                  objections=objections, moves=moves, forward=FORWARD,
                  opens_vote=motion_rules.opens_from(proposal),
                  takes_files=proposal.status not in rules.ENDED,
                  takes_comments=proposal.status in rules.OPEN_FOR_COMMENTS,
                  comment_form=comment_form or CommentForm(formdata=None),
                  upload_form=upload_form or UploadForm(formdata=None),
                  motion_form=motion_form or OpenMotionForm(formdata=None))


def announce(motion: Motion) -> None:
    """Tell the members, after the motion is committed, and say how many were reached. The
    vote is open whatever happens here: a failure is logged, never shown as an error (SMS and
    mail failures are the worker's, and never reach here)."""
    try:
        told = motion_rules.announce(motion)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("motion %s: the members could not be told", motion.id)
        flash(_("The vote is open. The members could not be told: tell them yourself."),
              "error")
        return
    flash(_("The vote is open. Told by SMS: %(sms)d, by email: %(email)d.",
            sms=told.get("sms", 0), email=told.get("email", 0)), "info")
    if told.get("log"):
        flash(ngettext("%(num)d member has no mobile number or email on record (or SMS is "
                       "not set up here): tell them yourself.",
                       "%(num)d members have no mobile number or email on record (or SMS is "
                       "not set up here): tell them yourself.", told["log"]), "error")


@bp.route("/proposals/<int:proposal_id>")
@fund_access("fund.enter")
def proposal(proposal_id: int):
    return proposal_page(db.get_or_404(Proposal, proposal_id))


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@fund_access("fund.enter")
def comment(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = CommentForm()
    if attempt(form, lambda: rules.add_comment(proposal, current_user, form.body.data)) \
            is not REFUSED:
        db.session.commit()
        if request.headers.get("HX-Request-Type") == "partial":
            return proposal_page(proposal, block="comments")
        return redirect(url_for("governance.proposal", proposal_id=proposal.id))
    return proposal_page(proposal, http_status=422, comment_form=form, block="comments")


@bp.route("/proposals/<int:proposal_id>/files", methods=["POST"])
@fund_access("proposal.create")
def upload(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = UploadForm()
    attached = attempt(form, lambda: rules.attach(proposal, form.file.data,
                                                  form.kind.data or "photo", current_user))
    if attached is REFUSED:
        return proposal_page(proposal, http_status=422, upload_form=form)
    db.session.commit()
    flash(_("File attached."), "info")
    return redirect(url_for("governance.proposal", proposal_id=proposal.id))


@bp.route("/files/<int:file_id>")
@fund_access("fund.enter")
def file(file_id: int):
    from app.uploads import file_response

    attachment = db.get_or_404(Attachment, file_id)
    data = uploads.read(attachment)
    if data is None:
        abort(404)
    return file_response(data, attachment.content_type)


@bp.route("/proposals/<int:proposal_id>/move", methods=["POST"])
@fund_access("fund.enter")
def move(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    if attempt_flash(lambda: rules.move(proposal, request.form.get("to", ""), current_user,
                                        g.roles)) is REFUSED:
        return proposal_page(proposal, http_status=422)
    db.session.commit()
    return redirect(url_for("governance.proposal", proposal_id=proposal.id))


@bp.route("/objections/<int:objection_id>/decide", methods=["POST"])
@fund_access("objection.decide")
def decide_objection(objection_id: int):
    objection = db.get_or_404(Objection, objection_id)
    decision = request.form.get("decision")

    def decide():
        if decision not in ("uphold", "dismiss"):
            raise Invalid({"decision": _("Choose to uphold or dismiss the objection.")})
        return rules.decide_objection(objection, current_user, decision == "uphold",
                                      request.form.get("note", ""))

    motion = attempt_flash(decide)
    if motion is REFUSED:
        return proposal_page(objection.proposal, http_status=422)
    db.session.commit()
    if motion is not None:
        announce(motion)
        flash(_("The objection is upheld: the project is put to a new vote."), "info")
        return redirect(url_for("governance.motion", motion_id=motion.id))
    flash(_("The objection is dismissed."), "info")
    return redirect(url_for("governance.proposal", proposal_id=objection.proposal_id))

