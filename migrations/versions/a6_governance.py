"""committees, proposals, motions, ballots and resolutions

Revision ID: a6_governance
Revises: a5_receipts
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "a6_governance"
down_revision = "a5_receipts"
branch_labels = None
depends_on = None

FUND_OWNED = (
    "committee_rules",
    "project_round",
    "proposal",
    "budget_line",
    "comment",
    "motion",
    "objection",
    "proposal_event",
    "round_approval",
    "round_entry",
    "attachment",
    "ballot_change",
    "elector",
    "ballot",
)


def upgrade():
    op.create_table('committee_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quorum_num', sa.Integer(), nullable=False),
    sa.Column('quorum_den', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=20), nullable=False),
    sa.Column('two_thirds_above_fen', sa.Integer(), nullable=True),
    sa.Column('casting_vote', sa.Boolean(), nullable=False),
    sa.Column('live_results', sa.Boolean(), nullable=False),
    sa.Column('period_hours', sa.Integer(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("threshold IN ('cast', 'all', 'two_thirds')", name=op.f('ck_committee_rules_threshold')),
    sa.CheckConstraint('period_hours > 0', name=op.f('ck_committee_rules_period')),
    sa.CheckConstraint('quorum_num >= 0 AND quorum_den > 0 AND quorum_num <= quorum_den', name=op.f('ck_committee_rules_quorum')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_committee_rules_fund_id_fund')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_committee_rules_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_rules')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_committee_rules_fund_id_id')),
    sa.UniqueConstraint('fund_id', name=op.f('uq_committee_rules_fund_id'))
    )
    with op.batch_alter_table('committee_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_rules_fund_id'), ['fund_id'], unique=False)

    op.create_table('project_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_project_round_status')),
    sa.CheckConstraint('budget_fen > 0', name=op.f('ck_project_round_budget_positive')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_project_round_fund_id_fund')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_project_round_opened_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_round')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_project_round_fund_id_id'))
    )
    with op.batch_alter_table('project_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_round_fund_id'), ['fund_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.String(length=500), nullable=False),
    sa.Column('requested_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('proposer_name', sa.String(length=100), nullable=False),
    sa.Column('proposer_phone', sa.String(length=20), nullable=True),
    sa.Column('notice_until', sa.DateTime(), nullable=True),
    sa.Column('designation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("category IN ('elderly', 'education', 'hardship', 'disability', 'environment', 'small_wish', 'other')", name=op.f('ck_proposal_category')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'discussion', 'voting', 'approved', 'rejected', 'withdrawn', 'notice', 'final', 'in_progress', 'completed', 'accepted', 'closed')", name=op.f('ck_proposal_status')),
    sa.CheckConstraint('requested_fen > 0', name=op.f('ck_proposal_requested_positive')),
    sa.ForeignKeyConstraint(['fund_id', 'designation_id'], ['designation.fund_id', 'designation.id'], name=op.f('fk_proposal_fund_id_designation_id_designation')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_proposal_fund_id_fund')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_proposal_submitted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_proposal_fund_id_id'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_fund_id'), ['fund_id'], unique=False)

    op.create_table('budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_budget_line_amount_positive')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_budget_line_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_budget_line_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_line')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_budget_line_fund_id_id'))
    )
    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_line_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_line_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_comment_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_comment_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_comment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_comment_fund_id_id'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('motion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('quorum_num', sa.Integer(), nullable=False),
    sa.Column('quorum_den', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.String(length=20), nullable=False),
    sa.Column('two_thirds_above_fen', sa.Integer(), nullable=True),
    sa.Column('casting_vote', sa.Boolean(), nullable=False),
    sa.Column('live_results', sa.Boolean(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('proposal', 'budget_change', 'acceptance')", name=op.f('ck_motion_kind')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_motion_status')),
    sa.CheckConstraint("threshold IN ('cast', 'all', 'two_thirds')", name=op.f('ck_motion_threshold')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_motion_closed_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_motion_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_motion_fund_id_fund')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_motion_opened_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motion')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_motion_fund_id_id'))
    )
    with op.batch_alter_table('motion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_motion_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_motion_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index('uq_motion_open_proposal', ['fund_id', 'proposal_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"),
                              postgresql_where=sa.text("status = 'open'"))

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name=op.f('ck_objection_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_objection_decided_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_objection_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_objection_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_objection_fund_id_id'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_proposal_event_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_proposal_event_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_proposal_event_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_event')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_proposal_event_fund_id_id'))
    )
    with op.batch_alter_table('proposal_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_event_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_event_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('round_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_round_approval_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id', 'round_id'], ['project_round.fund_id', 'project_round.id'], name=op.f('fk_round_approval_fund_id_round_id_project_round')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_round_approval_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_round_approval_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_approval')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_round_approval_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'round_id', 'proposal_id', 'user_id', name=op.f('uq_round_approval_fund_id_round_id_proposal_id_user_id'))
    )
    with op.batch_alter_table('round_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_approval_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_approval_round_id'), ['round_id'], unique=False)

    op.create_table('round_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=True),
    sa.Column('excluded_as', sa.String(length=20), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_round_entry_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id', 'round_id'], ['project_round.fund_id', 'project_round.id'], name=op.f('fk_round_entry_fund_id_round_id_project_round')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_round_entry_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_entry')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_round_entry_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'round_id', 'proposal_id', name=op.f('uq_round_entry_fund_id_round_id_proposal_id'))
    )
    with op.batch_alter_table('round_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_entry_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_entry_round_id'), ['round_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('photo', 'quote', 'minutes')", name=op.f('ck_attachment_kind')),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_attachment_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id', 'proposal_id'], ['proposal.fund_id', 'proposal.id'], name=op.f('fk_attachment_fund_id_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_attachment_fund_id_fund')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_attachment_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_attachment_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'stored_name', name=op.f('uq_attachment_fund_id_stored_name'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_motion_id'), ['motion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('ballot_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=True),
    sa.Column('previous', sa.String(length=10), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_ballot_change_by_id_user')),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_ballot_change_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_ballot_change_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_ballot_change_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_change')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_ballot_change_fund_id_id'))
    )
    with op.batch_alter_table('ballot_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_change_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_change_motion_id'), ['motion_id'], unique=False)

    op.create_table('elector',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('recused', sa.Boolean(), nullable=False),
    sa.Column('recusal_reason', sa.String(length=500), nullable=False),
    sa.Column('recused_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_elector_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_elector_fund_id_fund')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_elector_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elector')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_elector_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'motion_id', 'user_id', name=op.f('uq_elector_fund_id_motion_id_user_id'))
    )
    with op.batch_alter_table('elector', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elector_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elector_motion_id'), ['motion_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('cast_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("choice IN ('yes', 'no', 'abstain')", name=op.f('ck_ballot_choice')),
    sa.ForeignKeyConstraint(['fund_id', 'evidence_id'], ['attachment.fund_id', 'attachment.id'], name=op.f('fk_ballot_fund_id_evidence_id_attachment')),
    sa.ForeignKeyConstraint(['fund_id', 'motion_id'], ['motion.fund_id', 'motion.id'], name=op.f('fk_ballot_fund_id_motion_id_motion')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_ballot_fund_id_fund')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_ballot_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_ballot_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_ballot_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'motion_id', 'user_id', name=op.f('uq_ballot_fund_id_motion_id_user_id'))
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_motion_id'), ['motion_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_motion_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_fund_id'))

    op.drop_table('ballot')
    with op.batch_alter_table('elector', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elector_motion_id'))
        batch_op.drop_index(batch_op.f('ix_elector_fund_id'))

    op.drop_table('elector')
    with op.batch_alter_table('ballot_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_change_motion_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_change_fund_id'))

    op.drop_table('ballot_change')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_motion_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_fund_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('round_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_entry_round_id'))
        batch_op.drop_index(batch_op.f('ix_round_entry_fund_id'))

    op.drop_table('round_entry')
    with op.batch_alter_table('round_approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_approval_round_id'))
        batch_op.drop_index(batch_op.f('ix_round_approval_fund_id'))

    op.drop_table('round_approval')
    with op.batch_alter_table('proposal_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_event_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_event_fund_id'))

    op.drop_table('proposal_event')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_objection_fund_id'))

    op.drop_table('objection')
    with op.batch_alter_table('motion', schema=None) as batch_op:
        batch_op.drop_index('uq_motion_open_proposal')
        batch_op.drop_index(batch_op.f('ix_motion_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_motion_fund_id'))

    op.drop_table('motion')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_comment_fund_id'))

    op.drop_table('comment')
    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_line_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_budget_line_fund_id'))

    op.drop_table('budget_line')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_fund_id'))

    op.drop_table('proposal')
    with op.batch_alter_table('project_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_round_fund_id'))

    op.drop_table('project_round')
    with op.batch_alter_table('committee_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_rules_fund_id'))

    op.drop_table('committee_rules')
