"""invitations: a single-use link to take up an appointment to a fund

Revision ID: b8_invitations
Revises: b7_notices
"""
import sqlalchemy as sa
from alembic import op

revision = "b8_invitations"
down_revision = "b7_notices"
branch_labels = None
depends_on = None


def upgrade():
    # A shared table, like the membership it belongs to (opened before any tenant is known):
    # no fund_id, no RLS.
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                            name=op.f('fk_invitation_created_by_id_user')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                            name=op.f('fk_invitation_membership_id_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_membership_id'), ['membership_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_membership_id'))
    op.drop_table('invitation')
