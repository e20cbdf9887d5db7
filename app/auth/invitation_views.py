"""The invitee's side of an invitation (/invite/<token>): see the fund and the role, set a
password or link the signed-in account, and be in. Also where the township's pages keep the
links they just made, to show them once (only their hashes are stored)."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db, limiter
from app.rendering import render, render_form
from tenants.access import open_access

from . import invitations
from .forms import ResetPasswordForm
from .invitations import Gone, InvitationState
from .services import mask_contact
from .views import _login_limit, _sign_in

bp = Blueprint("invitations", __name__, url_prefix="/invite")

SHOWN = "invitation_links"  # the session key: membership id -> the token just made
KEPT = 20  # links a township admin's session keeps, the newest


def hand_over(links: dict[int, str]) -> None:
    """Keep new links in the admin's session, so the staff page can show them and their QR
    codes after the redirect; the database has only their hashes."""
    kept = {**session.get(SHOWN, {}), **{str(mid): token for mid, token in links.items()}}
    session[SHOWN] = dict(list(kept.items())[-KEPT:])


def shown_links(latest: dict) -> dict[int, str]:
    """The tokens kept in this session that are still their appointment's pending invitation:
    membership id -> token."""
    found = {}
    for key, token in session.get(SHOWN, {}).items():
        invitation = latest.get(int(key))
        if invitation is not None and invitations.is_token_of(invitation, token) \
                and invitations.state_of(invitation) == InvitationState.PENDING:
            found[invitation.membership_id] = token
    return found


def _gone(state: InvitationState | None):
    """A clear page instead of an error: unknown links 404, spent ones 410."""
    return render("auth/invitation_gone.html", http_status=404 if state is None else 410,
                  state=state)


@bp.route("/<token>", methods=["GET", "POST"])
@open_access("public")
@limiter.limit(_login_limit, methods=["POST"])
def open_invitation(token: str):
    invitation = invitations.find(token)
    if invitation is None or invitations.state_of(invitation) != InvitationState.PENDING:
        if request.method == "POST":  # a use turned away: for the trail (a GET writes nothing)
            invitations.record_refusal(token, invitation, Gone(
                None if invitation is None else invitations.state_of(invitation)))
            db.session.commit()
        return _gone(None if invitation is None else invitations.state_of(invitation))
    form = ResetPasswordForm()
    linking = current_user.is_authenticated
    if request.method == "POST" and (linking or form.validate()):
        try:
            membership = invitations.accept(
                token, password=None if linking else form.password.data,
                account=current_user._get_current_object() if linking else None)
        except Gone as refused:  # the other of two uses at once
            db.session.rollback()
            invitations.record_refusal(token, invitation, refused)
            db.session.commit()
            return _gone(refused.state)
        fund = membership.fund
        if linking:
            db.session.commit()
        elif membership.user.has_totp:  # the link replaces the password, not the phone's code
            db.session.commit()
            flash(_("Your password is set. Sign in with it and the code from your phone."),
                  "info")
            return redirect(url_for("auth.login"))
        else:
            _sign_in(membership.user, remember=False, method="invitation")
        flash(_("Welcome: you are %(role)s of %(fund)s.", role=_role(membership.role),
                fund=fund.name), "info")
        return redirect(url_for("funds.workspace", fund_slug=fund.slug))
    appointed = invitation.membership.user
    return render_form("auth/invitation.html", form, block="form", invitation=invitation,
                       membership=invitation.membership, linking=linking,
                       login=mask_contact(appointed.phone or appointed.email))


def _role(role: str) -> str:
    from app.labels import label

    return str(label("role", role))
