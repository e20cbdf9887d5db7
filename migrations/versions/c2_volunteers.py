"""volunteers, activities, hours, certificates and the time bank

Revision ID: c2_volunteers
Revises: c1_wishes
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c2_volunteers"
down_revision = "c1_wishes"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
