"""volunteers: check-in place and distance

Revision ID: d1_volunteers_more
Revises: d0_wishes_more
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "d1_volunteers_more"
down_revision = "d0_wishes_more"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
