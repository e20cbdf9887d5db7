"""Role names. Chinese labels live in the translation catalogue (app/labels.py)."""

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

# Access tags a fund-scoped view may declare besides role names.
PUBLIC = "public"  # anyone, no login
ANY_MEMBER = "any_member"  # anyone holding a current role in the fund, and its overseers

# Who may see a fund's donors and donations (personal data), and who records money.
READ_MONEY = (TREASURER, SOCIAL_WORKER, CHAIR, SUPERVISOR, TOWNSHIP_ADMIN)
RECORD_MONEY = (TREASURER, SOCIAL_WORKER)
