"""donor portal sign-in links

Revision ID: a7_portal
Revises: a6_governance
"""
import sqlalchemy as sa
from alembic import op

revision = "a7_portal"
down_revision = "a6_governance"
branch_labels = None
depends_on = None


def upgrade():
    # A shared table (a link belongs to an email address, not to one fund): no fund_id, no RLS.
    op.create_table('portal_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_link_token_hash'))
    )


def downgrade():
    op.drop_table('portal_link')
