"""Payout pages of a fund: the list, requesting, signing, paying and reversing, evidence
files, the signing rules, and a project's progress page (updates, completion, acceptance)."""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.roles import Role
from app.clock import local_today
from app.extensions import db
from app.governance.models import UNDER_WAY, Proposal
from app.rendering import list_filter, render, render_form
from app.uploads import PDF, file_response, sniff
from app.validation import REFUSED, attempt, attempt_flash, int_or_none
from tenants.access import fund_access

from . import files as evidence_files
from . import progress, services
from .forms import (
    AcceptanceForm,
    PaidForm,
    PayoutForm,
    ReverseForm,
    RulesForm,
    SignForm,
    UpdateForm,
)
from .models import Evidence, Payout, PayoutStatus

bp = Blueprint("payouts", __name__, url_prefix="/f/<fund_slug>/payouts")


def _payable_projects() -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(
        Proposal.status.in_(UNDER_WAY)).order_by(Proposal.id)))


@bp.route("/")
@fund_access("fund.enter")
def index():
    status = list_filter("status", PayoutStatus.values())
    query = select(Payout).order_by(Payout.id.desc())
    if status:
        query = query.where(Payout.status == status)
    payouts = list(db.session.scalars(query.limit(200)))
    projects = [(p, services.project_money(p)) for p in _payable_projects()]
    return render("payouts/index.html", block="list", payouts=payouts, projects=projects,
                  status=status, rules=services.rules_of(g.fund.id))


def _payout_form(proposal_id: int | None):
    """The form for one project (chosen by ?proposal= on the page before), or None."""
    form = PayoutForm()
    chosen = db.session.get(Proposal, proposal_id) if proposal_id else None
    if chosen is not None and chosen.status not in UNDER_WAY:
        chosen = None
    # A project with lines names one on every payout (services.budget_line_of): there is no
    # "none" to choose, and its only line is already chosen.
    lines = chosen.lines if chosen else []
    form.budget_line_id.choices = ([] if len(lines) == 1 else
                                   [SelectChoice("", _("Choose a budget line"))]) + [
        SelectChoice(str(ln.id), f"{ln.item} · ¥{ln.amount_fen / 100:,.2f}") for ln in lines]
    return form, chosen


@bp.route("/new", methods=["GET", "POST"])
@fund_access("payout.request")
def new():
    form, proposal = _payout_form(int_or_none(request.args.get("proposal")))

    def request_it() -> Payout:
        uploads = evidence_files.read_uploads(form.files.data)
        payout = services.request(proposal, services.PayoutInput(
            amount=form.amount.data or "", payee=form.payee.data or "",
            payee_account=form.payee_account.data or "", purpose=form.purpose.data or "",
            budget_line_id=form.budget_line_id.data), current_user)
        for data, filename in uploads:
            evidence_files.save(g.fund.id, data, filename, current_user, payout_id=payout.id,
                                kind="invoice" if sniff(data) == PDF else "photo")
        return payout

    if proposal is not None and form.is_submitted():
        payout = attempt(form, request_it)
        if payout is not REFUSED:
            db.session.commit()
            flash(_("Payout requested. The people the fund's rules name must now approve it."),
                  "info")
            return redirect(url_for("payouts.detail", payout_id=payout.id))
    money = services.project_money(proposal) if proposal else None
    return render_form("payouts/new.html", form, block="form", proposal=proposal, money=money,
                       projects=[] if proposal else [(p, services.project_money(p))
                                                     for p in _payable_projects()])


def _detail_page(payout: Payout, http_status: int = 200, *, sign_form=None, paid_form=None,
                 reverse_form=None):
    proposal = db.session.get(Proposal, payout.proposal_id)
    return render(
        "payouts/detail.html", http_status=http_status, payout=payout, proposal=proposal,
        approvals=services.approvals(payout), rules=services.rules_of(g.fund.id),
        refusal=services.refusal(payout, current_user), money=services.project_money(proposal),
        files=progress.evidence_of(payout_ids=[payout.id]).get(("payout", payout.id), []),
        entries=services.ledger_entries(payout),
        sign_form=sign_form or SignForm(formdata=None),
        paid_form=paid_form or PaidForm(formdata=None, paid_on=local_today()),
        reverse_form=reverse_form or ReverseForm(formdata=None))


@bp.route("/<int:payout_id>")
@fund_access("fund.enter")
def detail(payout_id: int):
    return _detail_page(db.get_or_404(Payout, payout_id))


@bp.route("/<int:payout_id>/approve", methods=["POST"])
@fund_access("payout.approve")
def approve(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    form = SignForm()
    sign = services.reject if request.form.get("decision") == "reject" else services.approve
    if attempt(form, lambda: sign(payout, current_user, form.note.data or "")) is REFUSED:
        return _detail_page(payout, 422, sign_form=form)
    db.session.commit()
    flash(_("Payout refused.") if payout.status == "rejected" else
          _("Payout approved: it can now be paid.") if payout.status == "approved" else
          _("Your signature is recorded. Another approver must still sign."), "info")
    return redirect(url_for("payouts.detail", payout_id=payout.id))


@bp.route("/<int:payout_id>/withdraw", methods=["POST"])
@fund_access("payout.request")
def withdraw(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    if attempt_flash(lambda: services.withdraw(payout, current_user)) is REFUSED:
        return _detail_page(payout, 422)
    db.session.commit()
    return redirect(url_for("payouts.detail", payout_id=payout.id))


@bp.route("/<int:payout_id>/paid", methods=["POST"])
@fund_access("payout.pay")
def paid(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    form = PaidForm()
    paid = attempt(form, lambda: services.mark_paid(
        payout, current_user, form.bank_reference.data or "", form.paid_on.data))
    if paid is REFUSED:
        return _detail_page(payout, 422, paid_form=form)
    db.session.commit()
    flash(_("Payment recorded in the ledger and published on the notice board."), "info")
    return redirect(url_for("payouts.detail", payout_id=payout.id))


@bp.route("/<int:payout_id>/reverse", methods=["POST"])
@fund_access("payout.pay")
def reverse(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    form = ReverseForm()
    if attempt(form, lambda: services.reverse(payout, current_user, form.reason.data or "")) \
            is REFUSED:
        return _detail_page(payout, 422, reverse_form=form)
    db.session.commit()
    flash(_("The payout was reversed in the ledger; the reason is recorded."), "info")
    return redirect(url_for("payouts.detail", payout_id=payout.id))


def send_file(evidence: Evidence):
    data = evidence_files.read(evidence)
    if data is None:
        abort(404)
    return file_response(data, evidence.content_type)


@bp.route("/files/<int:evidence_id>")
@fund_access("fund.enter")
def file(evidence_id: int):
    return send_file(db.get_or_404(Evidence, evidence_id))


def _rules_page(form=None, http_status: int = 200):
    rules = services.rules_of(g.fund.id)
    if form is None:
        form = RulesForm(formdata=None, roles=list(rules.roles), needed=rules.approvals_needed)
    form.roles.choices = Role.choices(services.APPROVER_CHOICES)
    return render("payouts/rules.html", http_status=http_status, form=form, rules=rules)


@bp.route("/rules")
@fund_access("fund.enter")
def rules():
    return _rules_page()


@bp.route("/rules", methods=["POST"])
@fund_access("payout.edit_rules")
def save_rules():
    form = RulesForm()
    saved = attempt(form, lambda: services.update_rules(
        g.fund.id, form.roles.data or [], form.needed.data, current_user))
    if saved is REFUSED:
        return _rules_page(form, 422)
    db.session.commit()
    flash(_("The signing rules are saved."), "info")
    return redirect(url_for("payouts.rules"))


# --- a project's life after it is final -------------------------------------------------------

def _project_page(proposal, http_status: int = 200, *, update_form=None, acceptance_form=None):
    spent = progress.spending(proposal)
    updates = progress.updates_of([proposal.id])
    note = progress.acceptance_of(proposal)
    return render(
        "payouts/project.html", http_status=http_status, proposal=proposal, spent=spent,
        updates=updates,
        files=progress.evidence_of(payout_ids=[p.id for p in spent.payouts],
                                   update_ids=[u.id for u in updates]),
        note=note, motion=progress.acceptance_motion(proposal),
        takes_payouts=proposal.status in UNDER_WAY,
        takes_updates=proposal.status in progress.UPDATABLE,
        shows_acceptance=proposal.status in progress.SHOWS_ACCEPTANCE,
        takes_acceptance=proposal.status in progress.ACCEPTABLE,
        update_form=update_form or UpdateForm(formdata=None),
        acceptance_form=acceptance_form or AcceptanceForm(formdata=None,
                                                          body=note.body if note else ""))


@bp.route("/projects/<int:proposal_id>")
@fund_access("fund.enter")
def project(proposal_id: int):
    return _project_page(db.get_or_404(Proposal, proposal_id))


@bp.route("/projects/<int:proposal_id>/updates", methods=["POST"])
@fund_access("project.report")
def add_update(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = UpdateForm()
    added = attempt(form, lambda: progress.add_update(
        proposal, current_user, form.body.data or "", form.percent.data,
        evidence_files.read_uploads(form.files.data)))
    if added is REFUSED:
        return _project_page(proposal, 422, update_form=form)
    db.session.commit()
    flash(_("Progress published on the notice board."), "info")
    return redirect(url_for("payouts.project", proposal_id=proposal.id))


@bp.route("/projects/<int:proposal_id>/complete", methods=["POST"])
@fund_access("project.complete")
def complete(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    if attempt_flash(lambda: progress.complete(proposal, current_user, g.roles)) is REFUSED:
        return _project_page(proposal, 422)
    db.session.commit()
    flash(_("The project is completed. Write the acceptance note and put the acceptance to "
            "the committee's vote."), "info")
    return redirect(url_for("payouts.project", proposal_id=proposal.id))


@bp.route("/projects/<int:proposal_id>/acceptance", methods=["POST"])
@fund_access("project.accept")
def acceptance(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = AcceptanceForm()
    written = attempt(form, lambda: progress.write_acceptance(proposal, current_user,
                                                              form.body.data or ""))
    if written is REFUSED:
        return _project_page(proposal, 422, acceptance_form=form)
    db.session.commit()
    flash(_("The acceptance note is saved."), "info")
    return redirect(url_for("payouts.project", proposal_id=proposal.id))


@bp.app_template_global("role_names")
def role_names(rules) -> str:
    """"主任、监事": the roles whose holders sign payouts."""
    from app.labels import label

    return _(", ").join(str(label("role", r)) for r in rules.roles)  # 、 in Chinese


def _register_answers(state) -> None:
    from . import answers

    answers.register(state.app)  # the donor portal and the receipt check show them


bp.record_once(_register_answers)
