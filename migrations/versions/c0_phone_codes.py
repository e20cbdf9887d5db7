"""one-time SMS codes that prove a mobile number

Revision ID: c0_phone_codes
Revises: b9_code_checks
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c0_phone_codes"
down_revision = "b9_code_checks"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
