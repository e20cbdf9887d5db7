"""phone-first pages: per-township anomaly threshold and what the pages need

Revision ID: c5_phone_first
Revises: c4_documents
"""
import sqlalchemy as sa
from alembic import op

revision = "c5_phone_first"
down_revision = "c4_documents"
branch_labels = None
depends_on = None


def upgrade():
    # The township's "large cash gift" threshold, in fen: every township starts at ¥10,000,
    # the amount the anomaly rule used for all of them before. Township is shared (no RLS).
    op.add_column("township", sa.Column("large_cash_fen", sa.Integer(), nullable=False,
                                        server_default="1000000"))


def downgrade():
    with op.batch_alter_table("township") as batch_op:
        batch_op.drop_column("large_cash_fen")
