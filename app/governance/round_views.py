"""Annual project rounds: opening one, members' approvals, the greedy selection shown."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.rendering import render
from app.validation import REFUSED, Invalid, attach, attempt
from tenants.access import fund_access

from . import bp
from . import rounds as rules
from .forms import ApproveForm, RoundForm
from .models import UNDECIDED, Proposal, Round


def _candidates():
    return db.session.scalars(select(Proposal).where(
        Proposal.status.in_(UNDECIDED)).order_by(Proposal.id)).all()


def _rounds_page(form=None, http_status: int = 200):
    form = form or RoundForm(formdata=None)
    form.proposal_ids.choices = [(p.id, p.title) for p in _candidates()]
    rows = db.session.scalars(select(Round).order_by(Round.id.desc())).all()
    return render("governance/rounds.html", http_status=http_status, rounds=rows, form=form)


@bp.route("/rounds/")
@fund_access("fund.enter")
def rounds():
    return _rounds_page()


@bp.route("/rounds/", methods=["POST"])
@fund_access("round.open")
def open_round():
    form = RoundForm()
    round_ = attempt(form, lambda: rules.open_round(
        form.title.data or "", form.budget.data or "", form.proposal_ids.data or [],
        current_user))
    if round_ is REFUSED:
        return _rounds_page(form, http_status=422)
    db.session.commit()
    return redirect(url_for("governance.round_page", round_id=round_.id))


def _round_page(round_: Round, http_status: int = 200, form=None, error: str = ""):
    entries = rules.entries(round_)
    candidates = {c.proposal_id: c for c in rules.candidates(round_)}
    steps = rules.select_winners(list(candidates.values()), round_.budget_fen)
    return render("governance/round.html", http_status=http_status, round=round_, entries=entries,
                  steps=steps, mine=rules.my_approvals(round_, current_user.id),
                  form=form or ApproveForm(formdata=None), error=error,
                  titles={e.proposal_id: e.proposal.title for e in entries},
                  excluded=rules.excluded(round_),
                  running=[e for e in entries if rules.in_running(round_, e)])


@bp.route("/rounds/<int:round_id>")
@fund_access("fund.enter")
def round_page(round_id: int):
    return _round_page(db.get_or_404(Round, round_id))


@bp.route("/rounds/<int:round_id>/approve", methods=["POST"])
@fund_access("round.approve")
def approve(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = ApproveForm()
    try:
        form.check()
        rules.approve(round_, current_user, form.proposal_ids.data or [])
    except Invalid as error:
        db.session.rollback()
        attach(form, error)
        return _round_page(round_, http_status=422, form=form, error=error.text())
    db.session.commit()
    flash(_("Your approvals are saved."), "info")
    return redirect(url_for("governance.round_page", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@fund_access("round.close")
def close_round(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    try:
        rules.close_round(round_, current_user)
    except Invalid as error:
        db.session.rollback()
        return _round_page(round_, http_status=422, error=error.text())
    db.session.commit()
    flash(_("The round is closed: the selected proposals are approved."), "info")
    return redirect(url_for("governance.round_page", round_id=round_.id))
