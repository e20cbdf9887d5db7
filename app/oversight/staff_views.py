"""A fund's people, staffed by its township: the role grid (who holds what, since when),
appointments to every role with an invitation each, a new invitation (which also resets a
password), and ending a term. Routes of the oversight blueprint."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import invitations
from app.auth.invitation_views import hand_over, shown_links
from app.auth.models import Membership
from app.auth.services import mask_contact
from app.clock import local_today
from app.extensions import db
from app.governance import committees
from app.rendering import render
from app.validation import REFUSED, attempt, attempt_flash
from tenants.access import township_access

from .forms import StaffForm
from .views import _fund, bp


def _page(fund, form=None, http_status: int = 200):
    grid = committees.role_grid(fund)
    latest = invitations.latest([m for _role, rows in grid for m, _u in rows])
    links = shown_links(latest)
    return render("oversight/staff.html", http_status=http_status, fund=fund, grid=grid,
                  form=form or StaffForm(formdata=None), latest=latest, links=links,
                  qr_codes={mid: invitations.qr_code(token) for mid, token in links.items()},
                  urls={mid: invitations.link(token) for mid, token in links.items()},
                  state_of=invitations.state_of, mask=mask_contact)


def _membership(fund, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.fund_id != fund.id:
        abort(404)
    return membership


@bp.route("/funds/<int:fund_id>/staff", methods=["GET", "POST"])
@township_access()
def staff(fund_id: int):
    fund = _fund(fund_id)
    if request.method == "GET":
        return _page(fund)
    form = StaffForm()

    def appoint():
        membership = committees.appoint(fund, form.login.data or "", form.role.data or "",
                                        name=form.name.data or "", start=form.start.data,
                                        end=form.end.data)
        return membership, invitations.invite(membership, current_user)

    done = attempt(form, appoint)
    if done is REFUSED:
        return _page(fund, form, http_status=422)
    membership, token = done
    db.session.commit()
    hand_over({membership.id: token})
    flash(_("%(name)s is appointed. Show them the invitation below, or print it.",
            name=membership.user.name), "info")
    return redirect(url_for("oversight.staff", fund_id=fund.id, _anchor=f"m{membership.id}"))


@bp.route("/funds/<int:fund_id>/staff/<int:membership_id>/invite", methods=["POST"])
@township_access()
def reinvite(fund_id: int, membership_id: int):
    """A new invitation: the earlier one stops working; using it sets a new password."""
    fund = _fund(fund_id)
    membership = _membership(fund, membership_id)
    if not membership.current_on(local_today()):
        abort(404)
    token = invitations.invite(membership, current_user)
    db.session.commit()
    hand_over({membership.id: token})
    flash(_("A new invitation for %(name)s: the earlier link no longer works.",
            name=membership.user.name), "info")
    return redirect(url_for("oversight.staff", fund_id=fund.id, _anchor=f"m{membership.id}"))


@bp.route("/funds/<int:fund_id>/staff/<int:membership_id>/end", methods=["POST"])
@township_access()
def end_staff_term(fund_id: int, membership_id: int):
    fund = _fund(fund_id)
    membership = _membership(fund, membership_id)
    name = membership.user.name
    if attempt_flash(lambda: committees.end_term(membership)) is REFUSED:
        return _page(fund, http_status=422)
    db.session.commit()
    flash(_("The term of %(name)s has ended: they can no longer open this fund.", name=name),
          "info")
    return redirect(url_for("oversight.staff", fund_id=fund.id))

