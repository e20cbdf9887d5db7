"""wishes: photos and gifts designated to a wish

Revision ID: d0_wishes_more
Revises: c9_documents_more
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "d0_wishes_more"
down_revision = "c9_documents_more"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
