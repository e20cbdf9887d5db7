"""session versions: a login stops working when its user's version moves on

Revision ID: b2_sessions
Revises: b1_oversight
"""
import sqlalchemy as sa
from alembic import op

revision = "b2_sessions"
down_revision = "b1_oversight"
branch_labels = None
depends_on = None


def upgrade():
    # Existing users start at 1, so the sessions signed in before the upgrade (whose id
    # carries no version) end once: everyone signs in again after this deployment.
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                      server_default="1"))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
