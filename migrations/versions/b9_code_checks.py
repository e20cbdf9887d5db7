"""code sets checked by the database: anomaly review kinds, ballot change actions, roles

Revision ID: b9_code_checks
Revises: b8_invitations
"""
import sqlalchemy as sa
from alembic import op

revision = "b9_code_checks"
down_revision = "b8_invitations"
branch_labels = None
depends_on = None

# Frozen copies of the code sets as they are now (app.auth.roles.Role, the governance and
# oversight enums): a later member comes with a migration of its own.
FUND_ROLES = ("chair", "member", "supervisor", "secretary", "treasurer", "social_worker")
ROLES = ("platform_admin", "township_admin", *FUND_ROLES)
VOTE_CHOICES = ("yes", "no", "abstain")
BALLOT_ACTIONS = ("cast", "change", "offline", "confirm", "recuse")
PROPOSAL_STATES = ("draft", "submitted", "discussion", "voting", "approved", "rejected",
                   "withdrawn", "notice", "final", "in_progress", "completed", "accepted",
                   "closed")
ANOMALY_KINDS = ("large_cash", "payout_no_evidence", "same_person", "no_quorum",
                 "stale_project", "voided_receipts", "disclosure_overdue")

# table: [(column, values)]; each CHECK is named ck_<table>_<column>, as the models name it.
CHECKS = {
    "membership": [("role", ROLES)],
    "elector": [("role", FUND_ROLES)],
    "payout_approval": [("role", FUND_ROLES)],
    "ballot_change": [("action", BALLOT_ACTIONS), ("choice", VOTE_CHOICES),
                      ("previous", VOTE_CHOICES)],
    "proposal_event": [("from_status", PROPOSAL_STATES), ("to_status", PROPOSAL_STATES)],
    "round_entry": [("excluded_as", PROPOSAL_STATES)],
    "anomaly_review": [("kind", ANOMALY_KINDS)],
}


def upgrade():
    # On SQLite a batch rebuilds the table (its other CHECKs, keys and indexes with it); on
    # PostgreSQL it is one ALTER TABLE, which keeps the row-level security policies.
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in checks:
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"),
                                                 sa.text(f"{column} IN {values}"))


def downgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _values in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
