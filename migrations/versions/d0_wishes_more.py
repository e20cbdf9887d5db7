"""wishes: photos and gifts designated to a wish

Revision ID: d0_wishes_more
Revises: c9_documents_more
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "d0_wishes_more"
down_revision = "c9_documents_more"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_name', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('handover_photo_name', sa.String(length=40), nullable=True))

    op.create_table('wish_gift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'donation_id'], ['donation.fund_id', 'donation.id'], name=op.f('fk_wish_gift_fund_id_donation_id_donation')),
    sa.ForeignKeyConstraint(['fund_id', 'wish_id'], ['wish.fund_id', 'wish.id'], name=op.f('fk_wish_gift_fund_id_wish_id_wish')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_wish_gift_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_gift')),
    sa.UniqueConstraint('fund_id', 'donation_id', name=op.f('uq_wish_gift_fund_id_donation_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_wish_gift_fund_id_id'))
    )
    with op.batch_alter_table('wish_gift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_gift_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_wish_gift_fund_id_wish_id', ['fund_id', 'wish_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("wish_gift"):
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.disable_sql("wish_gift"):
            op.execute(sql)
    op.drop_table('wish_gift')
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.drop_column('handover_photo_name')
        batch_op.drop_column('photo_name')
