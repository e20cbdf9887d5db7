"""one-time SMS codes that prove a mobile number

Revision ID: c0_phone_codes
Revises: b9_code_checks
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c0_phone_codes"
down_revision = "b9_code_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('phone_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_phone_code_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_code')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_phone_code_fund_id_id'))
    )
    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_code_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_phone_code_phone_purpose', ['phone', 'purpose'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("phone_code"):
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.disable_sql("phone_code"):
            op.execute(sql)
    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_code_phone_purpose')
        batch_op.drop_index(batch_op.f('ix_phone_code_fund_id'))
    op.drop_table('phone_code')
