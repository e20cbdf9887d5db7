"""aid: programme changes by vote and yearly reviews

Revision ID: d2_aid_more
Revises: d1_volunteers_more
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "d2_aid_more"
down_revision = "d1_volunteers_more"
branch_labels = None
depends_on = None

TABLES = ["aid_programme_change", "aid_enrolment_review"]
OLD_MOTION_KINDS = ('proposal', 'budget_change', 'acceptance', 'enrolment')
NEW_MOTION_KINDS = ('proposal', 'budget_change', 'acceptance', 'enrolment', 'programme_change')


def _motion_kinds(known: tuple[str, ...]) -> None:
    """A change of an aid programme is a motion of its own kind (MotionKind.PROGRAMME_CHANGE)."""
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
    op.add_column("aid_enrolment", sa.Column("reviewed_on", sa.Date(), nullable=True))
    op.add_column("aid_enrolment", sa.Column("closed_on", sa.Date(), nullable=True))
    freq = "IN ('once', 'monthly', 'quarterly')"
    op.create_table('aid_programme_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('old_value_fen', sa.Integer(), nullable=False),
    sa.Column('old_frequency', sa.String(length=10), nullable=False),
    sa.Column('old_ends_on', sa.Date(), nullable=True),
    sa.Column('old_rule', sa.Text(), nullable=False),
    sa.Column('old_budget_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(f"frequency {freq}", name=op.f('ck_aid_programme_change_frequency')),
    sa.CheckConstraint(f"old_frequency {freq}",
                       name=op.f('ck_aid_programme_change_old_frequency')),
    sa.CheckConstraint('value_fen > 0', name=op.f('ck_aid_programme_change_value_positive')),
    sa.CheckConstraint('budget_fen > 0', name=op.f('ck_aid_programme_change_budget_positive')),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_aid_programme_change_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id', 'programme_id'], ['aid_programme.fund_id', 'aid_programme.id'], name=op.f('fk_aid_programme_change_fund_id_programme_id_aid_programme')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_programme_change_fund_id_fund')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_aid_programme_change_proposed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_programme_change')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_programme_change_fund_id_id'))
    )
    op.create_index(op.f('ix_aid_programme_change_fund_id'), 'aid_programme_change', ['fund_id'], unique=False)
    op.create_index(op.f('ix_aid_programme_change_motion_id'), 'aid_programme_change', ['motion_id'], unique=False)
    op.create_index(op.f('ix_aid_programme_change_programme_id'), 'aid_programme_change', ['programme_id'], unique=False)
    op.create_table('aid_enrolment_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('old_ends_on', sa.Date(), nullable=False),
    sa.Column('new_ends_on', sa.Date(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("decision IN ('continue', 'end')", name=op.f('ck_aid_enrolment_review_decision')),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_aid_enrolment_review_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'enrolment_id'], ['aid_enrolment.fund_id', 'aid_enrolment.id'], name=op.f('fk_aid_enrolment_review_fund_id_enrolment_id_aid_enrolment')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_aid_enrolment_review_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_enrolment_review')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_aid_enrolment_review_fund_id_id'))
    )
    op.create_index(op.f('ix_aid_enrolment_review_enrolment_id'), 'aid_enrolment_review', ['enrolment_id'], unique=False)
    op.create_index(op.f('ix_aid_enrolment_review_fund_id'), 'aid_enrolment_review', ['fund_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    op.drop_index(op.f('ix_aid_enrolment_review_fund_id'), table_name='aid_enrolment_review')
    op.drop_index(op.f('ix_aid_enrolment_review_enrolment_id'), table_name='aid_enrolment_review')
    op.drop_table('aid_enrolment_review')
    op.drop_index(op.f('ix_aid_programme_change_programme_id'), table_name='aid_programme_change')
    op.drop_index(op.f('ix_aid_programme_change_motion_id'), table_name='aid_programme_change')
    op.drop_index(op.f('ix_aid_programme_change_fund_id'), table_name='aid_programme_change')
    op.drop_table('aid_programme_change')
    with op.batch_alter_table("aid_enrolment") as batch_op:
        batch_op.drop_column("closed_on")
        batch_op.drop_column("reviewed_on")
    _motion_kinds(OLD_MOTION_KINDS)  # votes on programme changes stay, and their kind


def _check(known: tuple[str, ...], table: str) -> str:
    """The CHECK naming the known kinds and those already on the record: rows kept through a
    downgrade (votes, ledger entries are never deleted to fit a schema) stay admitted."""
    present = op.get_bind().exec_driver_sql(f"SELECT DISTINCT kind FROM {table}").scalars()
    kinds = [*known, *sorted(set(present) - set(known))]
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
