"""phone-first pages: per-township anomaly threshold and what the pages need

Revision ID: c5_phone_first
Revises: c4_documents
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c5_phone_first"
down_revision = "c4_documents"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
