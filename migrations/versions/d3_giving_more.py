"""giving and campaigns: credentials per township, one sponsor per campaign

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
    pass


def downgrade():
    pass
