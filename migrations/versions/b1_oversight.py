"""township oversight: ledger summaries per fund and month, anomaly reviews

Revision ID: b1_oversight
Revises: a9_payouts
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "b1_oversight"
down_revision = "a9_payouts"
branch_labels = None
depends_on = None

FUND_OWNED = ("ledger_month", "anomaly_review")

# Every ledger entry adds itself to its fund's month (Beijing time, UTC+8 all year), to that
# year's total (month YYYY00, per channel: the annual summary's income by channel) and to the
# all-time total (month 0), per flow.
# "out" is a payout or the reversal of one; everything else is "in" (gifts, refunds and their
# reversals). The rows written are the entry's own fund's, so they pass the row-level
# security check of the scope that inserted the entry.
_MONTH_SQLITE = "CAST(strftime('%Y%m', {t}.created_at, '+8 hours') AS INTEGER)"
_MONTH_PG = "to_char({t}.created_at + interval '8 hours', 'YYYYMM')::int"
_FLOW_SQLITE = (
    "CASE WHEN NEW.kind = 'payout' OR (NEW.kind = 'reversal' AND (SELECT o.kind FROM "
    "ledger_entry o WHERE o.fund_id = NEW.fund_id AND o.id = NEW.reverses_id) = 'payout') "
    "THEN 'out' ELSE 'in' END"
)
_CHANNEL_SQLITE = ("COALESCE((SELECT d.channel FROM donation d WHERE d.fund_id = NEW.fund_id "
                   "AND d.id = NEW.donation_id), '')")
_PERIODS = (("{m}", "''"), ("({m} / 100) * 100", _CHANNEL_SQLITE), ("0", "''"))
SUMMARY_SQLITE = [
    "CREATE TRIGGER ledger_entry_month AFTER INSERT ON ledger_entry BEGIN " + " ".join(
        "INSERT INTO ledger_month (fund_id, month, flow, channel, amount_fen, entry_count, "
        f"last_entry_at) VALUES (NEW.fund_id, {period.format(m=_MONTH_SQLITE.format(t='NEW'))}, "
        f"{_FLOW_SQLITE}, {channel}, NEW.amount_fen, 1, NEW.created_at) "
        "ON CONFLICT (fund_id, month, flow, channel) DO UPDATE SET "
        "amount_fen = amount_fen + excluded.amount_fen, entry_count = entry_count + 1, "
        "last_entry_at = max(last_entry_at, excluded.last_entry_at);"
        for period, channel in _PERIODS)
    + " END",
]


def _grouped(source: str, month: str) -> str:
    """The summary rows of the entries in ``source`` (a table or a transition table): each
    entry counted in its month, its year (k = 1, per channel) and all time (k = 2)."""
    return (
        "SELECT e.fund_id, CASE k.k WHEN 0 THEN e.month WHEN 1 THEN (e.month / 100) * 100 "
        "ELSE 0 END AS period, e.flow, CASE k.k WHEN 1 THEN e.channel ELSE '' END AS chan, "
        "sum(e.amount_fen), count(*), "
        "max(e.created_at) FROM (SELECT n.fund_id, n.amount_fen, n.created_at, "
        f"{month.format(t='n')} AS month, "
        "CASE WHEN n.kind = 'payout' OR (n.kind = 'reversal' AND o.kind = 'payout') "
        "THEN 'out' ELSE 'in' END AS flow, COALESCE(d.channel, '') AS channel "
        f"FROM {source} n "
        "LEFT JOIN ledger_entry o ON o.fund_id = n.fund_id AND o.id = n.reverses_id "
        "LEFT JOIN donation d ON d.fund_id = n.fund_id AND d.id = n.donation_id) e "
        "CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) k "
        "GROUP BY e.fund_id, period, e.flow, chan"
    )


# PostgreSQL: once per statement over its transition table, so a bulk insert or COPY of
# thousands of entries updates each summary row once.
SUMMARY_PG = [
    "CREATE FUNCTION ledger_month_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO ledger_month AS m (fund_id, month, flow, channel, amount_fen, entry_count, "
    f"last_entry_at) {_grouped('new_entries', _MONTH_PG)} "
    "ON CONFLICT (fund_id, month, flow, channel) DO UPDATE SET "
    "amount_fen = m.amount_fen + EXCLUDED.amount_fen, "
    "entry_count = m.entry_count + EXCLUDED.entry_count, "
    "last_entry_at = GREATEST(m.last_entry_at, EXCLUDED.last_entry_at); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER ledger_entry_month AFTER INSERT ON ledger_entry "
    "REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT "
    "EXECUTE FUNCTION ledger_month_add()",
]
# Entries booked before this migration: summed once, the same way.
_COLUMNS = "fund_id, month, flow, channel, amount_fen, entry_count, last_entry_at"
BACKFILL_SQLITE = f"INSERT INTO ledger_month ({_COLUMNS}) " + _grouped("ledger_entry",
                                                                        _MONTH_SQLITE)
BACKFILL_PG = f"INSERT INTO ledger_month ({_COLUMNS}) " + _grouped("ledger_entry", _MONTH_PG)


def upgrade():
    op.create_table('ledger_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('flow', sa.String(length=3), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('last_entry_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("flow IN ('in', 'out')", name=op.f('ck_ledger_month_flow')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_ledger_month_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_month')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_ledger_month_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'month', 'flow', 'channel',
                        name=op.f('uq_ledger_month_fund_id_month_flow_channel'))
    )
    with op.batch_alter_table('ledger_month', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_month_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_ledger_month_month', ['month', 'fund_id'], unique=False)

    op.create_table('anomaly_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_anomaly_review_fund_id_fund')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'],
                            name=op.f('fk_anomaly_review_reviewed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anomaly_review')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_anomaly_review_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'kind', 'subject',
                        name=op.f('uq_anomaly_review_fund_id_kind_subject'))
    )
    with op.batch_alter_table('anomaly_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anomaly_review_fund_id'), ['fund_id'], unique=False)

    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.create_index('ix_donation_channel_amount_fen',
                              ['channel', 'amount_fen', 'fund_id'], unique=False)
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.create_index('ix_donor_fund_id_unmerged', ['fund_id'], unique=False,
                              postgresql_where=sa.text('merged_into_id IS NULL'),
                              sqlite_where=sa.text('merged_into_id IS NULL'))

    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.enable_sql(table):
                op.execute(sql)
        # Policies written by earlier migrations get the expression tenants.rls has now
        # (its list of funds is read once per statement, not once per row).
        tables = op.get_bind().exec_driver_sql(
            "SELECT tablename FROM pg_policies WHERE policyname = %s "
            "AND schemaname = 'public'", (rls.POLICY,)).scalars().all()
        for table in tables:
            if table in FUND_OWNED:
                continue
            op.execute(f'DROP POLICY {rls.POLICY} ON "{table}"')
            op.execute(rls.enable_sql(table)[-1])
        op.execute("SELECT set_config('shanlin.all', 'on', true)")  # FORCE binds the owner
        op.execute(BACKFILL_PG)
        for sql in SUMMARY_PG:
            op.execute(sql)
    else:
        op.execute(BACKFILL_SQLITE)
        for sql in SUMMARY_SQLITE:
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entry_month ON ledger_entry")
        op.execute("DROP FUNCTION ledger_month_add()")
        for table in FUND_OWNED:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    else:
        op.execute("DROP TRIGGER ledger_entry_month")
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index('ix_donation_channel_amount_fen')
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.drop_index('ix_donor_fund_id_unmerged')
    op.drop_table('anomaly_review')
    op.drop_table('ledger_month')
