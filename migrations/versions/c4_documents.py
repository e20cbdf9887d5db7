"""documents an auditor signs: receipt signers, in-kind details, resolution numbers, budget lines

Revision ID: c4_documents
Revises: c3_aid
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c4_documents"
down_revision = "c3_aid"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
