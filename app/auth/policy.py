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

from .roles import ANY_MEMBER, KEY_ROLES, PUBLIC, Role
from .services import current_memberships

# Donors' and gifts' personal data; the money pages and reports.
_READ_MONEY = (Role.TREASURER, Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR, Role.TOWNSHIP_ADMIN)
_RECORD_MONEY = (Role.TREASURER, Role.SOCIAL_WORKER)
_TREASURER_OR_CHAIR = (Role.TREASURER, Role.CHAIR)

POLICY: dict[str, tuple[str, ...]] = {
    # Tags instead of roles: anyone at all, and anyone holding a role in the fund (with the
    # fund's township admins).
    "public": (PUBLIC,),
    "fund.enter": (ANY_MEMBER,),
    # Money coming in.
    "money.read": _READ_MONEY,
    "money.record": _RECORD_MONEY,
    "money.configure": (Role.TREASURER,),  # the fund's purposes and donation points
    "donation.reverse": (Role.TREASURER,),
    "donation.refund": (Role.TREASURER,),
    "receipt.issue": _RECORD_MONEY,  # issue, waive, send, record the official receipt
    "receipt.void": _TREASURER_OR_CHAIR,  # void and reissue
    "receipt.configure": _TREASURER_OR_CHAIR,  # receipt settings and the seal
    "receipt.annual": _TREASURER_OR_CHAIR,
    "receipt.print": (Role.TREASURER, Role.SOCIAL_WORKER, Role.CHAIR),
    "report.publish": _TREASURER_OR_CHAIR,
    # Money going out. Who signs a payout is the fund's own choice among these roles
    # (payouts.services.rules_of); the requester never signs.
    "payout.request": _RECORD_MONEY,
    "payout.approve": (Role.CHAIR, Role.SUPERVISOR, Role.MEMBER, Role.SECRETARY, Role.TREASURER),
    "payout.pay": (Role.TREASURER,),  # mark paid, reverse a payment
    "payout.edit_rules": (Role.CHAIR,),
    # Progress updates and their photos.
    "project.report": (Role.TREASURER, Role.SOCIAL_WORKER, Role.CHAIR),
    "project.complete": (Role.CHAIR,),
    "project.accept": (Role.CHAIR,),
    # Proposals and votes.
    "proposal.create": (Role.CHAIR, Role.MEMBER, Role.SECRETARY, Role.TREASURER,
                        Role.SOCIAL_WORKER),
    "proposal.move": (Role.CHAIR,),  # publish, finalize, close; a proposer withdraws their own
    "proposal.see_contact": (Role.CHAIR, Role.SECRETARY, Role.SUPERVISOR, Role.TOWNSHIP_ADMIN),
    "objection.decide": (Role.CHAIR,),
    "objection.see_contact": (Role.CHAIR, Role.SUPERVISOR, Role.TOWNSHIP_ADMIN),
    "motion.open": (Role.CHAIR,),
    "motion.vote": (Role.CHAIR, Role.MEMBER),  # the electorate is frozen from these roles
    "motion.record_offline": (Role.SECRETARY,),
    "motion.close": (Role.CHAIR,),
    "motion.see_history": (Role.SUPERVISOR, Role.CHAIR, Role.TOWNSHIP_ADMIN),
    # How each member voted, also while the results are hidden.
    "motion.see_choices": (Role.SUPERVISOR,),
    "round.open": (Role.CHAIR,),
    "round.approve": (Role.CHAIR, Role.MEMBER),
    "round.close": (Role.CHAIR,),
    "committee.edit_rules": (Role.CHAIR, Role.TOWNSHIP_ADMIN),
    # Appoint to every role, invite, end terms: the township staffs its funds (on the fund's
    # staff page and the township's committees page). It does not record money itself: a
    # fund records money through the treasurers it appoints, and the township oversees them.
    "fund.staff": (Role.TOWNSHIP_ADMIN,),
    # The fund's notices (SMS, email) and what became of each: the people who run its business.
    "notice.read": (Role.CHAIR, Role.SECRETARY, Role.TREASURER, Role.SUPERVISOR,
                    Role.TOWNSHIP_ADMIN),
    # Volunteers (志愿服务) and the time bank: the registry holds ID numbers (sealed, shown
    # masked). An activity's leader marks its list (the service checks it is theirs); a second
    # person, secretary or chair, confirms before the hours count.
    "volunteer.read": (Role.SECRETARY, Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR,
                       Role.TOWNSHIP_ADMIN),
    "volunteer.manage": (Role.SECRETARY, Role.SOCIAL_WORKER, Role.CHAIR),
    # The district's XLSX holds whole ID numbers (its system imports by real name): only the
    # record keepers download it, and each download is on the audit trail.
    "volunteer.export": (Role.SECRETARY, Role.SOCIAL_WORKER),
    # An activity's page, and what its leader does there (the service checks who leads it).
    "activity.lead": (Role.SECRETARY, Role.SOCIAL_WORKER, Role.CHAIR, Role.MEMBER,
                      Role.TREASURER, Role.SUPERVISOR, Role.TOWNSHIP_ADMIN),
    "hours.confirm": (Role.SECRETARY, Role.CHAIR),
    "timebank.manage": (Role.SOCIAL_WORKER, Role.SECRETARY),
    # 关爱发放 (app/aid). The people helped are named only to these three; others see counts.
    "aid.read": (Role.CHAIR, Role.MEMBER, Role.SUPERVISOR, Role.SECRETARY, Role.TREASURER,
                 Role.SOCIAL_WORKER, Role.TOWNSHIP_ADMIN),
    "aid.see_names": (Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR),
    "aid.create": (Role.SOCIAL_WORKER, Role.CHAIR),  # a programme, put to the committee's vote
    "aid.propose": (Role.SOCIAL_WORKER,),  # a person for a programme
    "aid.hand_out": (Role.SOCIAL_WORKER,),  # entitlements, sheets, rosters, signatures
    "aid.shops": (Role.SOCIAL_WORKER, Role.TREASURER),  # partner shops and their links
    "aid.settle": _RECORD_MONEY,  # a payout for what was given (two keys, like any payout)
    "aid.review": (Role.SOCIAL_WORKER,),  # the yearly review of each enrolment
    "aid.export": (Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR),  # hand-outs, IDs masked
    # 微心愿. Who a wish is for (name, situation) is seen only by the 社工, chair and
    # supervisor; the treasurer sees the wish to record the donor's money.
    "wish.read": (Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR, Role.TREASURER,
                  Role.MEMBER, Role.SECRETARY),
    "wish.see_recipient": (Role.SOCIAL_WORKER, Role.CHAIR, Role.SUPERVISOR),
    "wish.collect": (Role.SOCIAL_WORKER, Role.CHAIR, Role.MEMBER, Role.SECRETARY),
    "wish.screen": (Role.CHAIR, Role.SUPERVISOR),  # a second person; never the collector
    "wish.revoke": (Role.SOCIAL_WORKER, Role.CHAIR),
    "wish.handover": (Role.SOCIAL_WORKER, Role.TREASURER),  # records an in-kind gift
    "wish.configure": (Role.CHAIR,),  # the value cap and how long a claim lasts
    # 联合劝募 (app/campaigns): the township creates and closes campaigns for its funds; the
    # fund page links there for them. Campaign routes are township routes (@township_access).
    "campaign.manage": (Role.TOWNSHIP_ADMIN,),
    # Shown the two-step sign-in link on the fund page: they hold keys.
    "account.two_step": KEY_ROLES,
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
    return Role.PLATFORM_ADMIN in held or bool(held & allow)


def _oversees(membership, township_id: int) -> bool:
    """A platform admin oversees every township; a township admin, their own."""
    return membership.role == Role.PLATFORM_ADMIN or (
        membership.role == Role.TOWNSHIP_ADMIN and membership.township_id == township_id)


def fund_roles(user, fund) -> set[str]:
    """The caller's roles in this fund today, with "township_admin" or "platform_admin" for
    those who oversee its township: the roles the table is asked about."""
    return {m.role for m in current_memberships(user)
            if m.fund_id == fund.id or _oversees(m, fund.township_id)}


def may_enter_township(user, township) -> bool:
    """A township's pages are for those who oversee it."""
    return any(_oversees(m, township.id) for m in current_memberships(user))


def register(app) -> None:
    app.jinja_env.globals["may"] = may
