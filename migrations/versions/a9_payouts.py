"""payouts, project progress, disclosure reports

Revision ID: a9_payouts
Revises: a8_audit
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "a9_payouts"
down_revision = "a8_audit"
branch_labels = None
depends_on = None

FUND_OWNED = ("disclosure_report", "payout_rules", "progress_update", "acceptance_note",
              "payout", "evidence", "payout_approval")

# The ledger learns a fourth kind of entry: "payout", money out (negative). Changing a CHECK
# on SQLite means rebuilding the table, and a rebuilt table has lost its triggers: the
# append-only triggers are made again right after (same SQL as the initial schema).
OLD_KINDS = "kind IN ('donation', 'refund', 'reversal')"
NEW_KINDS = "kind IN ('donation', 'refund', 'reversal', 'payout')"
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
    "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
]


def _ledger_kinds(check: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # In place: the table, its rows, its triggers and its policy stay as they are.
        op.execute("ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_entry_kind")
        op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_kind CHECK ({check})")
        return
    # The rebuild copies rows into a new table that points at the old one's name (reversals
    # point at entries): foreign keys are checked again by hand, after the rename.
    op.execute("PRAGMA foreign_keys=OFF")
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")
    with op.batch_alter_table("ledger_entry", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entry_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ledger_entry_kind"), sa.text(check))
    for sql in APPEND_ONLY_SQLITE:
        op.execute(sql)
    problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check(ledger_entry)").all()
    if problems:
        raise RuntimeError(f"ledger_entry rebuilt with broken references: {problems[:5]}")
    op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _ledger_kinds(NEW_KINDS)
    op.create_table('disclosure_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('threshold_fen', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('correction_note', sa.String(length=1000), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('quarterly', 'annual')", name=op.f('ck_disclosure_report_kind')),
    sa.CheckConstraint('quarter BETWEEN 0 AND 4', name=op.f('ck_disclosure_report_quarter')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_disclosure_report_version')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_disclosure_report_fund_id_fund')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_disclosure_report_published_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_report')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_disclosure_report_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'kind', 'year', 'quarter', 'version', name=op.f('uq_disclosure_report_fund_id_kind_year_quarter_version'))
    )
    with op.batch_alter_table('disclosure_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_report_fund_id'), ['fund_id'], unique=False)

    op.create_table('payout_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approver_roles', sa.String(length=100), nullable=False),
    sa.Column('approvals_needed', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('approvals_needed BETWEEN 1 AND 5', name=op.f('ck_payout_rules_approvals_needed')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_payout_rules_fund_id_fund')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_payout_rules_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_rules')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_payout_rules_fund_id_id')),
    sa.UniqueConstraint('fund_id', name=op.f('uq_payout_rules_fund_id'))
    )
    with op.batch_alter_table('payout_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_rules_fund_id'), ['fund_id'], unique=False)

    op.create_table('progress_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('percent IS NULL OR (percent >= 0 AND percent <= 100)', name=op.f('ck_progress_update_percent')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_progress_update_created_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_progress_update_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_progress_update_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_update')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_progress_update_fund_id_id'))
    )
    with op.batch_alter_table('progress_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_update_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_progress_update_fund_id_proposal_id', ['fund_id', 'proposal_id'], unique=False)

    op.create_table('acceptance_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_acceptance_note_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_acceptance_note_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_acceptance_note_fund_id_fund')),
    sa.ForeignKeyConstraint(['written_by_id'], ['user.id'], name=op.f('fk_acceptance_note_written_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance_note')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_acceptance_note_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'proposal_id', name=op.f('uq_acceptance_note_fund_id_proposal_id'))
    )
    with op.batch_alter_table('acceptance_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_note_fund_id'), ['fund_id'], unique=False)

    op.create_table('payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('payee', sa.String(length=100), nullable=False),
    sa.Column('payee_account', sa.String(length=60), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('bank_reference', sa.String(length=100), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('reversal_reason', sa.String(length=500), nullable=False),
    sa.Column('reversed_at', sa.DateTime(), nullable=True),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'approved', 'paid', 'rejected', 'withdrawn', 'reversed')", name=op.f('ck_payout_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payout_amount_positive')),
    sa.ForeignKeyConstraint(['fund_id', 'budget_line_id'], ['budget_line.fund_id', 'budget_line.id'], name=op.f('fk_payout_fund_id_budget_line_id_budget_line')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_payout_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_payout_fund_id_fund')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['user.id'], name=op.f('fk_payout_paid_by_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_payout_requested_by_id_user')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['user.id'], name=op.f('fk_payout_reversed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout')),
    sa.UniqueConstraint('fund_id', 'bank_reference', name=op.f('uq_payout_fund_id_bank_reference')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_payout_fund_id_id'))
    )
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_payout_fund_id_proposal_id', ['fund_id', 'proposal_id', 'status'], unique=False)
        batch_op.create_index('ix_payout_fund_id_status_paid_at', ['fund_id', 'status', 'paid_at'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('invoice', 'photo', 'document')", name=op.f('ck_evidence_kind')),
    sa.CheckConstraint('(payout_id IS NULL) <> (update_id IS NULL)', name=op.f('ck_evidence_one_owner')),
    sa.ForeignKeyConstraint(['fund_id', 'payout_id'], ['payout.fund_id', 'payout.id'], name=op.f('fk_evidence_fund_id_payout_id_payout')),
    sa.ForeignKeyConstraint(['fund_id', 'update_id'], ['progress_update.fund_id', 'progress_update.id'], name=op.f('fk_evidence_fund_id_update_id_progress_update')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_evidence_fund_id_fund')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_evidence_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_evidence_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'stored_name', name=op.f('uq_evidence_fund_id_stored_name'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_update_id'), ['update_id'], unique=False)

    op.create_table('payout_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f('ck_payout_approval_decision')),
    sa.ForeignKeyConstraint(['fund_id', 'payout_id'], ['payout.fund_id', 'payout.id'], name=op.f('fk_payout_approval_fund_id_payout_id_payout')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_payout_approval_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_payout_approval_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_approval')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_payout_approval_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'payout_id', 'user_id', name=op.f('uq_payout_approval_fund_id_payout_id_user_id'))
    )
    with op.batch_alter_table('payout_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_approval_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_approval_payout_id'), ['payout_id'], unique=False)


    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    for table in ("evidence", "payout_approval", "payout", "acceptance_note", "progress_update",
                  "payout_rules", "disclosure_report"):
        op.drop_table(table)
    _ledger_kinds(OLD_KINDS)
