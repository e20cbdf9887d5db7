"""aid programmes, enrolments, entitlements, hand-outs and vouchers

Revision ID: c3_aid
Revises: c2_volunteers
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c3_aid"
down_revision = "c2_volunteers"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
