"""giving and campaigns: credentials per township, one sponsor per campaign

Credentials per township come from the environment (app/payments/credentials.py): nothing
here. A campaign has at most one match pledge, whichever fund sponsors it.

Revision ID: d3_giving_more
Revises: d2_aid_more
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "d3_giving_more"
down_revision = "d2_aid_more"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("uq_match_pledge_campaign_id", "match_pledge", ["campaign_id"],
                    unique=True)


def downgrade():
    op.drop_index("uq_match_pledge_campaign_id", table_name="match_pledge")
