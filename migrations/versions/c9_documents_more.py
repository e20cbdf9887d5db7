"""documents: payouts name budget lines, resolutions record their meeting

Revision ID: c9_documents_more
Revises: c8_campaigns
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c9_documents_more"
down_revision = "c8_campaigns"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
