"""aid: programme changes by vote and yearly reviews

Revision ID: d2_aid_more
Revises: d1_volunteers_more
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "d2_aid_more"
down_revision = "d1_volunteers_more"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
