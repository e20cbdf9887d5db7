"""Invitations: an appointment's single-use link (and QR code) by which the person appointed
sets a password, or links the appointment to the account they already have. The township
hands it over on a phone or on paper, so a member with only a mobile number gets in."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app import qr
from app.audit import record
from app.codes import Code
from app.db_types import utcnow
from app.extensions import db
from app.notify import notify
from app.urls import external_url
from tenants.context import member_scope, using

from . import services as accounts
from .models import Invitation, Membership, User
from .roles import Role

MAX_AGE = timedelta(days=7)


class InvitationState(Code):
    PENDING = "pending", _l("Not yet used")
    USED = "used", _l("Used")
    REVOKED = "revoked", _l("Replaced by a newer invitation or withdrawn")
    EXPIRED = "expired", _l("Expired")


class Gone(Exception):
    """The invitation cannot be used (any more): its state says why (None: no such link)."""

    def __init__(self, state: InvitationState | None):
        super().__init__(state)
        self.state = state


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_of(invitation: Invitation, now: datetime | None = None) -> InvitationState:
    if invitation.used_at is not None:
        return InvitationState.USED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.expires_at <= (now or utcnow()):
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def _labels(membership: Membership) -> dict:
    """Where the trail files an invitation: the platform chain, under the fund's township."""
    return {"township_id": membership.fund.township_id, "fund_id": membership.fund_id,
            "platform": True}


def invite(membership: Membership, by: User | None, now: datetime | None = None) -> str:
    """A new invitation for the appointment, its token returned (never stored): the earlier
    ones that were not used are revoked, so only the newest link works. Also how the township
    resets a member's password: using the link sets a new one."""
    now = now or utcnow()
    revoke(membership, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(membership=membership, token_hash=_digest(token), created_at=now,
                            expires_at=now + MAX_AGE, created_by_id=by.id if by else None)
    db.session.add(invitation)
    db.session.flush()
    record("invitation.created", subject=invitation, **_labels(membership),
           after={"user": membership.user.name, "role": membership.role,
                  "expires_at": invitation.expires_at.isoformat()})
    # Also by SMS (or mail) when the person can be reached: the link works from the message
    # as from the page the township shows or prints.
    # The notice is the fund's: written in a scope that sees the fund besides what the
    # caller's scope sees (a township's new fund is not in the township's scope yet).
    with using(member_scope([membership.fund_id])):
        notify(membership.user, "invitation", fund=membership.fund,
               role=Role(membership.role).label, link=link(token))
    return token


def revoke(membership: Membership, now: datetime | None = None) -> int:
    """Withdraw the appointment's links that still work (a new one replaces them, or the term
    ended); how many."""
    revoked = db.session.execute(
        update(Invitation).where(Invitation.membership_id == membership.id,
                                 Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())).rowcount
    if revoked:
        record("invitation.revoked", subject=("membership", membership.id),
               **_labels(membership), after={"user": membership.user.name, "count": revoked})
    return revoked


def forget(membership: Membership) -> None:
    """Delete the appointment's invitations, when the appointment itself is withdrawn before
    it began (their making and revoking stay in the trail)."""
    db.session.execute(delete(Invitation).where(Invitation.membership_id == membership.id))


def is_token_of(invitation: Invitation, token: str) -> bool:
    return secrets.compare_digest(invitation.token_hash, _digest(token))


def find(token: str) -> Invitation | None:
    """The invitation of a token, whatever its state; reads only (the invitee's GET)."""
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))


def latest(memberships: list[Membership]) -> dict[int, Invitation]:
    """Each appointment's newest invitation, for the role grid."""
    rows = db.session.scalars(select(Invitation).where(
        Invitation.membership_id.in_([m.id for m in memberships])).order_by(Invitation.id))
    return {invitation.membership_id: invitation for invitation in rows}


def accept(token: str, *, password: str | None = None, account: User | None = None,
           now: datetime | None = None) -> Membership:
    """Spend the invitation: set the password of the appointed account, or (``account``, the
    person signed in) move the appointment to that account. One UPDATE matches only a
    pending link, so of two uses at once exactly one succeeds; any other raises Gone."""
    now = now or utcnow()
    invitation = find(token)
    if invitation is None or state_of(invitation, now) != InvitationState.PENDING:
        raise Gone(None if invitation is None else state_of(invitation, now))
    spent = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)).rowcount
    if spent != 1:  # another use got there first
        raise Gone(InvitationState.USED)
    membership = invitation.membership
    appointed = membership.user
    if account is not None:
        membership.user = account
        db.session.flush()
        record("invitation.linked", subject=invitation, **_labels(membership),
               after={"user": account.name, "appointed": appointed.name,
                      "role": membership.role})
    else:
        accounts.set_password(appointed, password or "")
        record("invitation.used", subject=invitation, **_labels(membership),
               after={"user": appointed.name, "role": membership.role})
    return membership


def record_refusal(token: str, invitation: Invitation | None, reason: Gone) -> None:
    """A use turned away, for the trail (a POST; the GET that shows the same page writes
    nothing). The token itself is never recorded."""
    labels = _labels(invitation.membership) if invitation else {"platform": True}
    record("invitation.refused", subject=("invitation", invitation.id if invitation else None),
           **labels, after={"reason": reason.state.value if reason.state else "unknown"})


def link(token: str) -> str:
    return external_url("invitations.open_invitation", token=token)


def qr_code(token: str) -> str:
    """The link as a QR code (an SVG data URI) to scan from the admin's phone or a print."""
    return qr.svg_data_uri(link(token))
