"""Role names. Chinese labels live in the translation catalogue (app/labels.py); who may do
what is app/auth/policy.py's table."""

PLATFORM_ADMIN = "platform_admin"
TOWNSHIP_ADMIN = "township_admin"

CHAIR = "chair"
MEMBER = "member"
SUPERVISOR = "supervisor"
SECRETARY = "secretary"
TREASURER = "treasurer"
SOCIAL_WORKER = "social_worker"

COMMITTEE_ROLES = (CHAIR, MEMBER, SUPERVISOR, SECRETARY)
FUND_ROLES = (*COMMITTEE_ROLES, TREASURER, SOCIAL_WORKER)
ALL_ROLES = (PLATFORM_ADMIN, TOWNSHIP_ADMIN, *FUND_ROLES)

# Tags the policy table (app/auth/policy.py) names besides roles.
PUBLIC = "public"  # anyone, no login
ANY_MEMBER = "any_member"  # anyone holding a current role in the fund, and its overseers
