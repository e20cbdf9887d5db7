"""township campaigns: participating funds, match pledges and their allocations

Revision ID: c8_campaigns
Revises: c7_todo_covering
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c8_campaigns"
down_revision = "c7_todo_covering"
branch_labels = None
depends_on = None

FUND_OWNED = ("campaign_fund", "match_pledge", "match_allocation")

# The ledger learns two kinds: a campaign's match and the match given back on a refund.
OLD_KINDS = ('donation', 'refund', 'reversal', 'payout')
NEW_KINDS = ('donation', 'refund', 'reversal', 'payout', 'match', 'match_return')


def _ledger_kinds(known: tuple[str, ...]) -> None:
    """The kinds a ledger entry may have."""
    check = _check(known, "ledger_entry")
    if op.get_bind().dialect.name == "postgresql":
        # In place: the table, its rows, its triggers and its policy stay as they are.
        op.execute("ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_entry_kind")
        op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT ck_ledger_entry_kind CHECK ({check})")
        return
    # SQLite changes a CHECK by rebuilding the table, which loses its triggers (append-only,
    # the monthly summary of b1): they are read here and made again, as they were, after it.
    bind = op.get_bind()
    triggers = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'ledger_entry'").all()
    op.execute("PRAGMA foreign_keys=OFF")
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("ledger_entry", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entry_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_ledger_entry_kind"), sa.text(check))
    for _name, sql in triggers:
        op.execute(sql)
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check(ledger_entry)").all()
    if problems:
        raise RuntimeError(f"ledger_entry rebuilt with broken references: {problems[:5]}")
    op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _ledger_kinds(NEW_KINDS)
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('host_charity', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_campaign_status')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaign_dates_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_campaign_created_by_id_user')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_campaign_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    op.create_index(op.f('ix_campaign_township_id'), 'campaign', ['township_id'], unique=False)
    op.create_table('match_pledge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('sponsor_name', sa.String(length=120), nullable=False),
    sa.Column('ratio_num', sa.Integer(), nullable=False),
    sa.Column('ratio_den', sa.Integer(), nullable=False),
    sa.Column('cap_fen', sa.Integer(), nullable=False),
    sa.Column('per_gift_fen', sa.Integer(), nullable=True),
    sa.Column('per_donor_day_fen', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('offline_counts', sa.Boolean(), nullable=False),
    sa.Column('used_fen', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('cap_fen > 0', name=op.f('ck_match_pledge_cap_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_match_pledge_window_in_order')),
    sa.CheckConstraint('per_donor_day_fen IS NULL OR per_donor_day_fen > 0', name=op.f('ck_match_pledge_per_donor_day_positive')),
    sa.CheckConstraint('per_gift_fen IS NULL OR per_gift_fen > 0', name=op.f('ck_match_pledge_per_gift_positive')),
    sa.CheckConstraint('ratio_num > 0 AND ratio_den > 0', name=op.f('ck_match_pledge_ratio_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_match_pledge_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_match_pledge_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_pledge')),
    sa.UniqueConstraint('fund_id', 'campaign_id', name=op.f('uq_match_pledge_fund_id_campaign_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_match_pledge_fund_id_id'))
    )
    op.create_index(op.f('ix_match_pledge_fund_id'), 'match_pledge', ['fund_id'], unique=False)
    op.create_table('campaign_fund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('designation_id', sa.Integer(), nullable=False),
    sa.Column('goal_fen', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('goal_fen > 0', name=op.f('ck_campaign_fund_goal_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_fund_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['fund_id', 'designation_id'], ['designation.fund_id', 'designation.id'], name=op.f('fk_campaign_fund_fund_id_designation_id_designation')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_campaign_fund_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_fund')),
    sa.UniqueConstraint('fund_id', 'campaign_id', name=op.f('uq_campaign_fund_fund_id_campaign_id')),
    sa.UniqueConstraint('fund_id', 'designation_id', name=op.f('uq_campaign_fund_fund_id_designation_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_campaign_fund_fund_id_id'))
    )
    op.create_index(op.f('ix_campaign_fund_campaign_id'), 'campaign_fund', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_campaign_fund_fund_id'), 'campaign_fund', ['fund_id'], unique=False)
    op.create_table('match_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('sponsor_fund_id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('donor_ref', sa.String(length=40), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('wanted_fen', sa.Integer(), nullable=False),
    sa.Column('matched_fen', sa.Integer(), nullable=False),
    sa.Column('limited_by', sa.String(length=20), nullable=False),
    sa.Column('returned_fen', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("limited_by IN ('none', 'per_gift', 'per_donor_day', 'cap', 'window', 'offline')", name=op.f('ck_match_allocation_limited_by')),
    sa.CheckConstraint('(matched_fen = 0) = (entry_id IS NULL)', name=op.f('ck_match_allocation_entries_iff_matched')),
    sa.CheckConstraint('matched_fen >= 0 AND matched_fen <= wanted_fen', name=op.f('ck_match_allocation_matched_range')),
    sa.CheckConstraint('returned_fen >= 0 AND returned_fen <= matched_fen', name=op.f('ck_match_allocation_returned_range')),
    sa.ForeignKeyConstraint(['fund_id', 'donation_id'], ['donation.fund_id', 'donation.id'], name=op.f('fk_match_allocation_fund_id_donation_id_donation')),
    sa.ForeignKeyConstraint(['fund_id', 'entry_id'], ['ledger_entry.fund_id', 'ledger_entry.id'], name=op.f('fk_match_allocation_fund_id_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_match_allocation_fund_id_fund')),
    sa.ForeignKeyConstraint(['sponsor_fund_id', 'pledge_id'], ['match_pledge.fund_id', 'match_pledge.id'], name=op.f('fk_match_allocation_sponsor_fund_id_pledge_id_match_pledge')),
    sa.ForeignKeyConstraint(['sponsor_fund_id', 'sponsor_entry_id'], ['ledger_entry.fund_id', 'ledger_entry.id'], name=op.f('fk_match_allocation_sponsor_fund_id_sponsor_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['sponsor_fund_id'], ['fund.id'], name=op.f('fk_match_allocation_sponsor_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_allocation')),
    sa.UniqueConstraint('fund_id', 'donation_id', name=op.f('uq_match_allocation_fund_id_donation_id')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_match_allocation_fund_id_id'))
    )
    op.create_index(op.f('ix_match_allocation_fund_id'), 'match_allocation', ['fund_id'], unique=False)
    op.create_index('ix_match_allocation_pledge_id_donor_ref_day', 'match_allocation', ['pledge_id', 'donor_ref', 'day'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.enable_sql(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    op.drop_index('ix_match_allocation_pledge_id_donor_ref_day', table_name='match_allocation')
    op.drop_index(op.f('ix_match_allocation_fund_id'), table_name='match_allocation')
    op.drop_table('match_allocation')
    op.drop_index(op.f('ix_campaign_fund_fund_id'), table_name='campaign_fund')
    op.drop_index(op.f('ix_campaign_fund_campaign_id'), table_name='campaign_fund')
    op.drop_table('campaign_fund')
    op.drop_index(op.f('ix_match_pledge_fund_id'), table_name='match_pledge')
    op.drop_table('match_pledge')
    op.drop_index(op.f('ix_campaign_township_id'), table_name='campaign')
    op.drop_table('campaign')
    # The ledger is append-only: matches already booked stay, and so does their kind.
    _ledger_kinds(OLD_KINDS)


def _check(known: tuple[str, ...], table: str) -> str:
    """The CHECK naming the known kinds and those already on the record: rows kept through a
    downgrade (votes, ledger entries are never deleted to fit a schema) stay admitted."""
    present = op.get_bind().exec_driver_sql(f"SELECT DISTINCT kind FROM {table}").scalars()
    kinds = [*known, *sorted(set(present) - set(known))]
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
