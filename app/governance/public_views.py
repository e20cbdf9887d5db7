"""Pages anyone may open: a villager's proposal form, an approved project on public notice
with its objection form. Both forms are rate-limited."""

from flask import abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db, limiter
from app.rendering import render, render_form, wants_partial
from app.validation import REFUSED, attempt
from tenants.access import fund_access

from . import bp
from . import proposals as rules
from .forms import ObjectionForm, VillagerProposalForm
from .models import Motion, Objection, Proposal
from .views import create_from_form


def _public_limit() -> str:
    return current_app.config.get("PUBLIC_FORM_RATE_LIMIT", "5 per minute;20 per hour")


@bp.route("/propose", methods=["GET", "POST"])
@fund_access("public")
@limiter.limit(_public_limit, methods=["POST"])
def propose():
    form = VillagerProposalForm()
    if form.is_submitted():
        proposal = attempt(form, lambda: create_from_form(form, None))
        if proposal is not REFUSED:
            db.session.commit()
            return render("governance/proposed.html", fund=g.fund, proposal=proposal)
    return render_form("governance/propose.html", form, block="form", fund=g.fund)


def _public_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.status not in rules.PUBLIC_STATES:
        abort(404)  # only what the committee has approved is on the notice board
    return proposal


def _project_page(proposal: Proposal, form=None, http_status: int = 200, filed: bool = False):
    motion = db.session.scalar(select(Motion).where(
        Motion.proposal_id == proposal.id, Motion.status == "closed", Motion.passed)
        .order_by(Motion.id.desc()))
    objections = db.session.scalars(select(Objection).where(
        Objection.proposal_id == proposal.id).order_by(Objection.id)).all()
    return render("governance/project.html", block="objection", http_status=http_status,
                  fund=g.fund, proposal=proposal, motion=motion, objections=objections,
                  form=form or ObjectionForm(formdata=None), filed=filed)


@bp.route("/projects/<int:proposal_id>")
@fund_access("public")
def project(proposal_id: int):
    return _project_page(_public_proposal(proposal_id))


@bp.route("/projects/<int:proposal_id>/objection", methods=["POST"])
@fund_access("public")
@limiter.limit(_public_limit)
def object_to(proposal_id: int):
    proposal = _public_proposal(proposal_id)
    form = ObjectionForm()
    if attempt(form, lambda: rules.file_objection(proposal, form.name.data or "",
                                                  form.phone.data or "", form.body.data or "")) \
            is REFUSED:
        return _project_page(proposal, form, http_status=422)
    db.session.commit()
    if wants_partial():  # swapped in place: the count moves and the person is told, at once
        return _project_page(proposal, filed=True)
    flash(_("Your objection is filed. The committee's chair will answer it before the project "
            "goes ahead."), "info")
    return redirect(url_for("governance.project", proposal_id=proposal.id))
