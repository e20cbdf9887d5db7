"""Role names and their words (a code set, app/codes.py); who may do what is
app/auth/policy.py's table."""

from flask_babel import lazy_gettext as _l

from app.codes import Code
from tenants.access import PUBLIC as PUBLIC


class Role(Code):
    PLATFORM_ADMIN = "platform_admin", _l("Platform administrator")
    TOWNSHIP_ADMIN = "township_admin", _l("Township administrator")
    CHAIR = "chair", _l("Chair")
    MEMBER = "member", _l("Committee member")
    SUPERVISOR = "supervisor", _l("Supervisor")
    SECRETARY = "secretary", _l("Secretary")
    TREASURER = "treasurer", _l("Treasurer")
    SOCIAL_WORKER = "social_worker", _l("Social worker")


COMMITTEE_ROLES = (Role.CHAIR, Role.MEMBER, Role.SUPERVISOR, Role.SECRETARY)
FUND_ROLES = (*COMMITTEE_ROLES, Role.TREASURER, Role.SOCIAL_WORKER)
# Who holds keys: their sign-ins and two-step events are audited, and they are offered
# two-step sign-in (policy "account.two_step").
KEY_ROLES = (Role.TOWNSHIP_ADMIN, Role.PLATFORM_ADMIN, Role.TREASURER)

# Tags the policy table (app/auth/policy.py) names besides roles; PUBLIC (anyone, no login)
# is the route door's own (tenants/access.py).
ANY_MEMBER = "any_member"  # anyone holding a current role in the fund, and its overseers
