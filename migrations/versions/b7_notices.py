"""notices to people by SMS, email or the log, and what became of each

Revision ID: b7_notices
Revises: b6_history_notes
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "b7_notices"
down_revision = "b6_history_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('template', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'email', 'log')", name=op.f('ck_notice_channel')),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'refused')",
                       name=op.f('ck_notice_status')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_notice_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_notice_fund_id_id'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_notice_recipient_claimed_at', ['recipient', 'claimed_at'],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("notice"):
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.disable_sql("notice"):
            op.execute(sql)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_recipient_claimed_at')
        batch_op.drop_index(batch_op.f('ix_notice_fund_id'))
    op.drop_table('notice')
