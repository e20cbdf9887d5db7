"""Who may do what in a fund: one table of actions and the roles allowed, and may().

The route's door (``@fund_access("payout.pay")``, tenants/access.py), the buttons a template
shows (``may("payout.pay")``) and the services' role checks all read this table, so the three
cannot drift apart. A platform admin may do everything (support, every fund). Rules that
depend on the fund's data (who signs a payout under the fund's own rules, the requester never
approving, who is in a vote's electorate) stay in their services; the table holds only what a
role alone decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from .roles import (
    ANY_MEMBER,
    CHAIR,
    MEMBER,
    PLATFORM_ADMIN,
    PUBLIC,
    SECRETARY,
    SOCIAL_WORKER,
    SUPERVISOR,
    TOWNSHIP_ADMIN,
    TREASURER,
)

# Donors' and gifts' personal data; the money pages and reports.
_READ_MONEY = (TREASURER, SOCIAL_WORKER, CHAIR, SUPERVISOR, TOWNSHIP_ADMIN)
_RECORD_MONEY = (TREASURER, SOCIAL_WORKER)
_TREASURER_OR_CHAIR = (TREASURER, CHAIR)

POLICY: dict[str, tuple[str, ...]] = {
    # Tags instead of roles: anyone at all, and anyone holding a role in the fund (with the
    # fund's township admins).
    "public": (PUBLIC,),
    "fund.enter": (ANY_MEMBER,),
    # Money coming in.
    "money.read": _READ_MONEY,
    "money.record": _RECORD_MONEY,
    "money.configure": (TREASURER,),  # the fund's purposes and donation points
    "donation.reverse": (TREASURER,),
    "donation.refund": (TREASURER,),
    "receipt.issue": _RECORD_MONEY,  # issue, waive, send, record the official receipt
    "receipt.void": _TREASURER_OR_CHAIR,  # void and reissue
    "receipt.configure": _TREASURER_OR_CHAIR,  # receipt settings and the seal
    "receipt.annual": _TREASURER_OR_CHAIR,
    "receipt.print": (TREASURER, SOCIAL_WORKER, CHAIR),
    "report.publish": _TREASURER_OR_CHAIR,
    # Money going out. Who signs a payout is the fund's own choice among these roles
    # (payouts.services.rules_of); the requester never signs.
    "payout.request": _RECORD_MONEY,
    "payout.approve": (CHAIR, SUPERVISOR, MEMBER, SECRETARY, TREASURER),
    "payout.pay": (TREASURER,),  # mark paid, reverse a payment
    "payout.edit_rules": (CHAIR,),
    "project.report": (TREASURER, SOCIAL_WORKER, CHAIR),  # progress updates and their photos
    "project.complete": (CHAIR,),
    "project.accept": (CHAIR,),
    # Proposals and votes.
    "proposal.create": (CHAIR, MEMBER, SECRETARY, TREASURER, SOCIAL_WORKER),
    "proposal.move": (CHAIR,),  # publish, finalize, close; a proposer withdraws their own
    "proposal.see_contact": (CHAIR, SECRETARY, SUPERVISOR, TOWNSHIP_ADMIN),
    "objection.decide": (CHAIR,),
    "objection.see_contact": (CHAIR, SUPERVISOR, TOWNSHIP_ADMIN),
    "motion.open": (CHAIR,),
    "motion.vote": (CHAIR, MEMBER),  # the electorate is frozen from these roles
    "motion.record_offline": (SECRETARY,),
    "motion.close": (CHAIR,),
    "motion.see_history": (SUPERVISOR, CHAIR, TOWNSHIP_ADMIN),
    "motion.see_choices": (SUPERVISOR,),  # how each member voted, also while results are hidden
    "round.open": (CHAIR,),
    "round.approve": (CHAIR, MEMBER),
    "round.close": (CHAIR,),
    "committee.edit_rules": (CHAIR, TOWNSHIP_ADMIN),
    # Appoint to every role, invite, end terms: the township staffs its funds (on the fund's
    # staff page and the township's committees page). It does not record money itself: a
    # fund records money through the treasurers it appoints, and the township oversees them.
    "fund.staff": (TOWNSHIP_ADMIN,),
    # The fund's notices (SMS, email) and what became of each: the people who run its business.
    "notice.read": (CHAIR, SECRETARY, TREASURER, SUPERVISOR, TOWNSHIP_ADMIN),
    # Shown the two-step sign-in link on the fund page: they hold the fund's money keys.
    "account.two_step": (TREASURER,),
}


def allowed(action: str) -> frozenset[str]:
    """The roles (or tags) the table names for an action; an unknown action raises KeyError."""
    return frozenset(POLICY[action])


def may(action: str, roles: Iterable[str] | None = None) -> bool:
    """May someone holding ``roles`` (default: the caller's roles in this fund, g.roles) do it?"""
    held = set(g.get("roles") or ()) if roles is None else set(roles)
    allow = allowed(action)
    if PUBLIC in allow or (ANY_MEMBER in allow and held):
        return True
    return PLATFORM_ADMIN in held or bool(held & allow)


def register(app) -> None:
    app.jinja_env.globals["may"] = may
