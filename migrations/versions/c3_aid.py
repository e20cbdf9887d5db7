"""aid programmes, enrolments, entitlements, hand-outs and vouchers

Revision ID: c3_aid
Revises: c2_volunteers
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c3_aid"
down_revision = "c2_volunteers"
branch_labels = None
depends_on = None

TABLES = ['aid_beneficiary', 'aid_shop', 'aid_programme', 'aid_enrolment', 'aid_roster_photo', 'aid_entitlement', 'aid_handout', 'aid_voucher']
OLD_MOTION_KINDS = ('proposal', 'budget_change', 'acceptance')
NEW_MOTION_KINDS = ('proposal', 'budget_change', 'acceptance', 'enrolment')


def _motion_kinds(known: tuple[str, ...]) -> None:
    """A batch of enrolments is a motion of its own kind (MotionKind.ENROLMENT)."""
    check = _check(known, "motion")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE motion DROP CONSTRAINT ck_motion_kind")
        op.execute(f"ALTER TABLE motion ADD CONSTRAINT ck_motion_kind CHECK ({check})")
        return
    # SQLite rebuilds the table; rows pointing at motions are checked again after the rename.
    op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("motion", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_motion_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_motion_kind"), sa.text(check))
    problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"motion rebuilt with broken references: {problems[:5]}")
    op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _motion_kinds(NEW_MOTION_KINDS)
    op.create_table('aid_beneficiary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('id_number', sa.Text(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('village_group', sa.String(length=40), nullable=False),
    sa.Column('household', sa.Text(), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('proxy_name', sa.Text(), nullable=True),
    sa.Column('proxy_phone', sa.Text(), nullable=True),
    sa.Column('name_consent', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_aid_beneficiary_created_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_beneficiary_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_beneficiary')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_beneficiary_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'id_hash', name=op.f('uq_aid_beneficiary_fund_id_id_hash'))
    )
    op.create_index(op.f('ix_aid_beneficiary_fund_id'), 'aid_beneficiary', ['fund_id'], unique=False)
    op.create_table('aid_shop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('payee_account', sa.String(length=60), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_shop_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_shop')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_shop_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'token', name=op.f('uq_aid_shop_fund_id_token'))
    )
    op.create_index(op.f('ix_aid_shop_fund_id'), 'aid_shop', ['fund_id'], unique=False)
    op.create_table('aid_programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('goods', sa.String(length=200), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('public_names', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("frequency IN ('once', 'monthly', 'quarterly')", name=op.f('ck_aid_programme_frequency')),
    sa.CheckConstraint("kind IN ('money', 'voucher', 'goods')", name=op.f('ck_aid_programme_kind')),
    sa.CheckConstraint('value_fen > 0', name=op.f('ck_aid_programme_value_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_aid_programme_created_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_aid_programme_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_programme_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_programme')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_programme_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'proposal_id', name=op.f('uq_aid_programme_fund_id_proposal_id'))
    )
    op.create_index(op.f('ix_aid_programme_fund_id'), 'aid_programme', ['fund_id'], unique=False)
    op.create_table('aid_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_aid_enrolment_dates')),
    sa.ForeignKeyConstraint(['fund_id', 'beneficiary_id'], ['aid_beneficiary.fund_id', 'aid_beneficiary.id'], name=op.f('fk_aid_enrolment_fund_id_beneficiary_id_aid_beneficiary')),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_aid_enrolment_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id', 'programme_id'], ['aid_programme.fund_id', 'aid_programme.id'], name=op.f('fk_aid_enrolment_fund_id_programme_id_aid_programme')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_enrolment_fund_id_fund')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_aid_enrolment_proposed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_enrolment')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_enrolment_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'programme_id', 'beneficiary_id', name=op.f('uq_aid_enrolment_fund_id_programme_id_beneficiary_id'))
    )
    op.create_index(op.f('ix_aid_enrolment_beneficiary_id'), 'aid_enrolment', ['beneficiary_id'], unique=False)
    op.create_index(op.f('ix_aid_enrolment_fund_id'), 'aid_enrolment', ['fund_id'], unique=False)
    op.create_index(op.f('ix_aid_enrolment_motion_id'), 'aid_enrolment', ['motion_id'], unique=False)
    op.create_index(op.f('ix_aid_enrolment_programme_id'), 'aid_enrolment', ['programme_id'], unique=False)
    op.create_table('aid_roster_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_aid_roster_photo_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'programme_id'], ['aid_programme.fund_id', 'aid_programme.id'], name=op.f('fk_aid_roster_photo_fund_id_programme_id_aid_programme')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_roster_photo_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_roster_photo')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_roster_photo_fund_id_id'))
    )
    op.create_index(op.f('ix_aid_roster_photo_fund_id'), 'aid_roster_photo', ['fund_id'], unique=False)
    op.create_index(op.f('ix_aid_roster_photo_programme_id'), 'aid_roster_photo', ['programme_id'], unique=False)
    op.create_table('aid_entitlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_aid_entitlement_amount_positive')),
    sa.ForeignKeyConstraint(['fund_id', 'enrolment_id'], ['aid_enrolment.fund_id', 'aid_enrolment.id'], name=op.f('fk_aid_entitlement_fund_id_enrolment_id_aid_enrolment')),
    sa.ForeignKeyConstraint(['fund_id', 'payout_id'], ['payout.fund_id', 'payout.id'], name=op.f('fk_aid_entitlement_fund_id_payout_id_payout')),
    sa.ForeignKeyConstraint(['fund_id', 'programme_id'], ['aid_programme.fund_id', 'aid_programme.id'], name=op.f('fk_aid_entitlement_fund_id_programme_id_aid_programme')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_entitlement_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_entitlement')),
    sa.UniqueConstraint('fund_id', 'enrolment_id', 'period', name=op.f('uq_aid_entitlement_fund_id_enrolment_id_period')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_entitlement_fund_id_id'))
    )
    op.create_index(op.f('ix_aid_entitlement_fund_id'), 'aid_entitlement', ['fund_id'], unique=False)
    op.create_index(op.f('ix_aid_entitlement_payout_id'), 'aid_entitlement', ['payout_id'], unique=False)
    op.create_index(op.f('ix_aid_entitlement_programme_id'), 'aid_entitlement', ['programme_id'], unique=False)
    op.create_table('aid_handout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('collector', sa.String(length=10), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('signature_sha256', sa.String(length=64), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(method = 'signature') = (signature IS NOT NULL)", name=op.f('ck_aid_handout_proof')),
    sa.CheckConstraint("collector IN ('self', 'proxy')", name=op.f('ck_aid_handout_collector')),
    sa.CheckConstraint("method IN ('signature', 'paper')", name=op.f('ck_aid_handout_method')),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_aid_handout_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'entitlement_id'], ['aid_entitlement.fund_id', 'aid_entitlement.id'], name=op.f('fk_aid_handout_fund_id_entitlement_id_aid_entitlement')),
    sa.ForeignKeyConstraint(['fund_id', 'photo_id'], ['aid_roster_photo.fund_id', 'aid_roster_photo.id'], name=op.f('fk_aid_handout_fund_id_photo_id_aid_roster_photo')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_handout_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_handout')),
    sa.UniqueConstraint('fund_id', 'entitlement_id', name=op.f('uq_aid_handout_fund_id_entitlement_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_handout_fund_id_id'))
    )
    op.create_index(op.f('ix_aid_handout_fund_id'), 'aid_handout', ['fund_id'], unique=False)
    op.create_table('aid_voucher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('(redeemed_at IS NULL) = (shop_id IS NULL)', name=op.f('ck_aid_voucher_redeemed_at_shop')),
    sa.ForeignKeyConstraint(['fund_id', 'entitlement_id'], ['aid_entitlement.fund_id', 'aid_entitlement.id'], name=op.f('fk_aid_voucher_fund_id_entitlement_id_aid_entitlement')),
    sa.ForeignKeyConstraint(['fund_id', 'shop_id'], ['aid_shop.fund_id', 'aid_shop.id'], name=op.f('fk_aid_voucher_fund_id_shop_id_aid_shop')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_voucher_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_voucher')),
    sa.UniqueConstraint('fund_id', 'code', name=op.f('uq_aid_voucher_fund_id_code')),
    sa.UniqueConstraint('fund_id', 'entitlement_id', name=op.f('uq_aid_voucher_fund_id_entitlement_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_voucher_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'serial', name=op.f('uq_aid_voucher_fund_id_serial'))
    )
    op.create_index(op.f('ix_aid_voucher_fund_id'), 'aid_voucher', ['fund_id'], unique=False)
    op.create_index(op.f('ix_aid_voucher_shop_id'), 'aid_voucher', ['shop_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    op.drop_index(op.f('ix_aid_voucher_shop_id'), table_name='aid_voucher')
    op.drop_index(op.f('ix_aid_voucher_fund_id'), table_name='aid_voucher')
    op.drop_index(op.f('ix_aid_handout_fund_id'), table_name='aid_handout')
    op.drop_index(op.f('ix_aid_entitlement_programme_id'), table_name='aid_entitlement')
    op.drop_index(op.f('ix_aid_entitlement_payout_id'), table_name='aid_entitlement')
    op.drop_index(op.f('ix_aid_entitlement_fund_id'), table_name='aid_entitlement')
    op.drop_index(op.f('ix_aid_roster_photo_programme_id'), table_name='aid_roster_photo')
    op.drop_index(op.f('ix_aid_roster_photo_fund_id'), table_name='aid_roster_photo')
    op.drop_index(op.f('ix_aid_enrolment_programme_id'), table_name='aid_enrolment')
    op.drop_index(op.f('ix_aid_enrolment_motion_id'), table_name='aid_enrolment')
    op.drop_index(op.f('ix_aid_enrolment_fund_id'), table_name='aid_enrolment')
    op.drop_index(op.f('ix_aid_enrolment_beneficiary_id'), table_name='aid_enrolment')
    op.drop_index(op.f('ix_aid_programme_fund_id'), table_name='aid_programme')
    op.drop_index(op.f('ix_aid_shop_fund_id'), table_name='aid_shop')
    op.drop_index(op.f('ix_aid_beneficiary_fund_id'), table_name='aid_beneficiary')
    op.drop_table('aid_voucher')
    op.drop_table('aid_handout')
    op.drop_table('aid_entitlement')
    op.drop_table('aid_roster_photo')
    op.drop_table('aid_enrolment')
    op.drop_table('aid_programme')
    op.drop_table('aid_shop')
    op.drop_table('aid_beneficiary')
    _motion_kinds(OLD_MOTION_KINDS)  # votes on enrolments stay on the record, and their kind


def _check(known: tuple[str, ...], table: str) -> str:
    """The CHECK naming the known kinds and those already on the record: rows kept through a
    downgrade (votes, ledger entries are never deleted to fit a schema) stay admitted."""
    present = op.get_bind().exec_driver_sql(f"SELECT DISTINCT kind FROM {table}").scalars()
    kinds = [*known, *sorted(set(present) - set(known))]
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
