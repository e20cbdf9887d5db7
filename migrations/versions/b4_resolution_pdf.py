"""a resolution's PDF stored once, like a receipt's

Revision ID: b4_resolution_pdf
Revises: b3_receipt_once
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b4_resolution_pdf"
down_revision = "b3_receipt_once"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
