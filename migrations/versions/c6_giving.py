"""giving by WeChat Pay and Alipay, collection codes and their bills

Revision ID: c6_giving
Revises: c5_phone_first
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c6_giving"
down_revision = "c5_phone_first"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
