"""The committee: its members and their terms (history kept), its rules; the township admin
appoints and replaces members from the township's committees page."""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import invitations
from app.auth.invitation_views import hand_over
from app.auth.models import Membership
from app.auth.policy import may
from app.auth.roles import COMMITTEE_ROLES
from app.extensions import db
from app.funds.models import Fund
from app.rendering import render
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants.access import fund_access, township_access

from . import bp, committees
from .forms import AppointForm, RulesForm


def _rules_form(rules, formdata=None) -> RulesForm:
    form = RulesForm(formdata=formdata) if formdata is not None else RulesForm(formdata=None)
    if formdata is None:
        form.quorum.data = committees.quorum_code(rules)
        form.threshold.data = rules.threshold
        form.two_thirds_above.data = (f"{rules.two_thirds_above_fen / 100:.2f}"
                                      if rules.two_thirds_above_fen else "")
        form.casting_vote.data = rules.casting_vote
        form.live_results.data = rules.live_results
        form.period_hours.data = rules.period_hours
        form.notice_days.data = rules.notice_days
    return form


def _committee_page(form=None, http_status: int = 200):
    rules = committees.rules_of(g.fund.id)
    return render("governance/committee.html", http_status=http_status, fund=g.fund,
                  current=committees.terms(g.fund, current=True),
                  history=committees.terms(g.fund, current=False), rules=rules,
                  open_motions=committees.open_motion_count(),
                  form=form or _rules_form(rules),
                  may_edit=may("committee.edit_rules"))


@bp.route("/committee")
@fund_access("fund.enter")
def committee():
    return _committee_page()


@bp.route("/committee/rules", methods=["POST"])
@fund_access("committee.edit_rules")
def edit_rules():
    rules = committees.rules_of(g.fund.id)
    form = _rules_form(rules, request.form)
    saved = attempt(form, lambda: committees.update_rules(rules, committees.RulesInput(
        quorum=form.quorum.data or "", threshold=form.threshold.data or "",
        two_thirds_above=form.two_thirds_above.data or "",
        casting_vote=form.casting_vote.data, live_results=form.live_results.data,
        period_hours=form.period_hours.data, notice_days=form.notice_days.data),
        current_user))
    if saved is REFUSED:
        return _committee_page(form, http_status=422)
    db.session.commit()
    flash(_("The committee's rules are saved; the next vote follows them."), "info")
    return redirect(url_for("governance.committee"))


# --- the township admin's side ------------------------------------------------------------

def _township_page(form=None, http_status: int = 200):
    funds = g.township.funds
    form = form or AppointForm(formdata=None)
    form.replaces.choices = [("", "—")]
    committees_by_fund = []
    for fund in funds:
        rows = committees.terms(fund, current=True)
        committees_by_fund.append((fund, rows))
        form.replaces.choices += [(str(m.id), f"{fund.name} · {u.name}") for m, u in rows]
    return render("governance/township_committees.html", http_status=http_status, form=form,
                  committees=committees_by_fund, funds=funds)


township_bp = Blueprint("governance_township", __name__, url_prefix="/t/<township_slug>")


@township_bp.route("/committees", methods=["GET", "POST"])
@township_access()
def township_committees():
    form = AppointForm()
    form.replaces.choices = []
    if request.method == "GET":
        return _township_page()
    fund_id = _int(request.form.get("fund_id"))
    fund = db.session.get(Fund, fund_id) if fund_id else None

    def appoint() -> tuple[Membership, str]:
        if fund is None or fund not in g.township.funds:
            raise Invalid({"login": _("Choose a fund of this township.")})
        if form.replaces.data:
            replaced = db.session.get(Membership, form.replaces.data)
            if replaced is None or replaced.fund_id != fund.id \
                    or replaced.role not in COMMITTEE_ROLES:
                raise Invalid({"replaces": _("Choose a member of this fund's committee.")})
            committees.end_term(replaced)
        membership = committees.appoint(fund, form.login.data or "", form.role.data or "",
                                        name=form.name.data or "", start=form.start.data,
                                        end=form.end.data)
        return membership, invitations.invite(membership, current_user)

    done = attempt(form, appoint)
    if done is REFUSED:
        return _township_page(form, http_status=422)
    membership, token = done
    db.session.commit()
    hand_over({membership.id: token})  # shown on the fund's staff page, with its QR code
    flash(_("%(name)s is appointed to %(fund)s.", name=membership.user.name, fund=fund.name),
          "info")
    return redirect(url_for("oversight.staff", fund_id=fund.id, _anchor=f"m{membership.id}"))


@township_bp.route("/memberships/<int:membership_id>/end", methods=["POST"])
@township_access()
def end_term(membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.role not in COMMITTEE_ROLES or \
            membership.fund_id not in {f.id for f in g.township.funds}:
        abort(404)
    name = membership.user.name
    if attempt_flash(lambda: committees.end_term(membership)) is REFUSED:
        return _township_page(http_status=422)
    db.session.commit()
    flash(_("The term of %(name)s has ended; it stays in the committee's history.",
            name=name), "info")
    return redirect(url_for("governance_township.township_committees"))


def _int(value):
    from app.validation import int_or_none

    return int_or_none(value)
