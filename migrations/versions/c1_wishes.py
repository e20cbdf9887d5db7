"""微心愿: wishes, screening, claims and hand-overs

Revision ID: c1_wishes
Revises: c0_phone_codes
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c1_wishes"
down_revision = "c0_phone_codes"
branch_labels = None
depends_on = None

TABLES = ("wish_settings", "wish", "wish_claim")


def upgrade():
    op.create_table('wish_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cap_fen', sa.Integer(), nullable=False),
    sa.Column('claim_days', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('cap_fen > 0', name=op.f('ck_wish_settings_cap_positive')),
    sa.CheckConstraint('claim_days BETWEEN 1 AND 90', name=op.f('ck_wish_settings_claim_days')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_wish_settings_fund_id_fund')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_wish_settings_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_settings')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_wish_settings_fund_id_id')),
    sa.UniqueConstraint('fund_id', name=op.f('uq_wish_settings_fund_id'))
    )
    with op.batch_alter_table('wish_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_settings_fund_id'), ['fund_id'], unique=False)

    op.create_table('wish',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('details', sa.String(length=500), nullable=False),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('fulfil_by', sa.String(length=10), nullable=False),
    sa.Column('village_group', sa.String(length=40), nullable=False),
    sa.Column('recipient_name', sa.Text(), nullable=False),
    sa.Column('recipient_age', sa.Integer(), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('collected_by_id', sa.Integer(), nullable=True),
    sa.Column('collected_at', sa.DateTime(), nullable=False),
    sa.Column('screened_by_id', sa.Integer(), nullable=True),
    sa.Column('screened_at', sa.DateTime(), nullable=True),
    sa.Column('return_reason', sa.String(length=300), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_on', sa.Date(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=20), nullable=True),
    sa.Column('handover_note', sa.String(length=300), nullable=False),
    sa.Column('fulfilled_via', sa.String(length=10), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("confirmed_by IN ('recipient', 'guardian')", name=op.f('ck_wish_confirmed_by')),
    sa.CheckConstraint("fulfil_by IN ('goods', 'money', 'either')", name=op.f('ck_wish_fulfil_by')),
    sa.CheckConstraint("fulfilled_via IN ('goods', 'money')", name=op.f('ck_wish_fulfilled_via')),
    sa.CheckConstraint("status <> 'fulfilled' OR donation_id IS NOT NULL", name=op.f('ck_wish_fulfilled_backed')),
    sa.CheckConstraint("status IN ('pending', 'returned', 'open', 'fulfilled')", name=op.f('ck_wish_status')),
    sa.CheckConstraint('recipient_age BETWEEN 0 AND 120', name=op.f('ck_wish_recipient_age')),
    sa.CheckConstraint('value_fen > 0', name=op.f('ck_wish_value_positive')),
    sa.ForeignKeyConstraint(['collected_by_id'], ['user.id'], name=op.f('fk_wish_collected_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'donation_id'], ['donation.fund_id', 'donation.id'], name=op.f('fk_wish_fund_id_donation_id_donation')),
    sa.ForeignKeyConstraint(['fund_id', 'payout_id'], ['payout.fund_id', 'payout.id'], name=op.f('fk_wish_fund_id_payout_id_payout')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_wish_fund_id_fund')),
    sa.ForeignKeyConstraint(['screened_by_id'], ['user.id'], name=op.f('fk_wish_screened_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_wish_fund_id_id'))
    )
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_wish_fund_id_status', ['fund_id', 'status'], unique=False)

    op.create_table('wish_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('shown_as', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(length=300), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("shown_as IN ('show', 'caring', 'anonymous')", name=op.f('ck_wish_claim_shown_as')),
    sa.CheckConstraint("status IN ('active', 'cancelled', 'revoked', 'expired', 'fulfilled')", name=op.f('ck_wish_claim_status')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user.id'], name=op.f('fk_wish_claim_ended_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'wish_id'], ['wish.fund_id', 'wish.id'], name=op.f('fk_wish_claim_fund_id_wish_id_wish')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_wish_claim_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_claim')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_wish_claim_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'token_hash', name=op.f('uq_wish_claim_fund_id_token_hash'))
    )
    with op.batch_alter_table('wish_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_claim_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_wish_claim_fund_id_status_expires_at', ['fund_id', 'status', 'expires_at'], unique=False)
        batch_op.create_index('ix_wish_claim_fund_id_wish_id', ['fund_id', 'wish_id'], unique=False)
        batch_op.create_index('uq_wish_claim_active', ['fund_id', 'wish_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    for table in reversed(TABLES):
        op.drop_table(table)
