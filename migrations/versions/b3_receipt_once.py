"""one valid receipt per gift, single or annual

Revision ID: b3_receipt_once
Revises: b2_sessions
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b3_receipt_once"
down_revision = "b2_sessions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
