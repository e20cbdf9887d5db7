"""微心愿: wishes, screening, claims and hand-overs

Revision ID: c1_wishes
Revises: c0_phone_codes
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c1_wishes"
down_revision = "c0_phone_codes"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
