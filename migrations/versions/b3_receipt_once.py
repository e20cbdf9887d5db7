"""one valid receipt per gift, single or annual

Revision ID: b3_receipt_once
Revises: b2_sessions
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "b3_receipt_once"
down_revision = "b2_sessions"
branch_labels = None
depends_on = None

FUND_OWNED = ("receipt_gift",)

# The receipts issued so far acknowledge these gifts. A single receipt names its gift. An
# annual receipt's list was printed, not stored: it is read back as the donor's counted gifts
# of its period recorded before it was issued. Where a valid annual receipt also listed a gift
# that has a valid single receipt (the fault this revision closes), the single receipt keeps
# the gift; such annual receipts are to be voided and reissued, and the reissue leaves the
# gift out.
BACKFILL = [
    "INSERT INTO receipt_gift (fund_id, receipt_id, donation_id, received_on, amount_fen, valid) "
    "SELECT r.fund_id, r.id, r.donation_id, r.received_on, r.amount_fen, r.status = 'valid' "
    "FROM receipt r WHERE r.kind = 'single' AND r.donation_id IS NOT NULL",
    "INSERT INTO receipt_gift (fund_id, receipt_id, donation_id, received_on, amount_fen, valid) "
    "SELECT r.fund_id, r.id, d.id, d.received_on, d.amount_fen - d.refunded_fen, "
    "r.status = 'valid' FROM receipt r JOIN donation d ON d.fund_id = r.fund_id "
    "AND d.donor_id = r.donor_id AND d.received_on BETWEEN r.period_start AND r.period_end "
    "AND d.status IN ('confirmed', 'partially_refunded') AND d.created_at <= r.issued_at "
    "WHERE r.kind = 'annual' AND NOT (r.status = 'valid' AND EXISTS (SELECT 1 FROM receipt s "
    "WHERE s.fund_id = d.fund_id AND s.donation_id = d.id AND s.kind = 'single' "
    "AND s.status = 'valid'))",
]

# A link mirrors its receipt: inserted valid for a valid receipt, cleared when (and only when)
# the receipt is voided, never otherwise changed or deleted. So the unique index over valid
# links is exactly "one valid receipt per gift", and a voided receipt frees its gifts.
_FROZEN = ("fund_id", "receipt_id", "donation_id", "received_on", "amount_fen")
_RECEIPT_VALID = ("(SELECT r.status = 'valid' FROM receipt r "
                  "WHERE r.fund_id = NEW.fund_id AND r.id = NEW.receipt_id)")
TRIGGERS_SQLITE = [
    "CREATE TRIGGER receipt_void_frees_gifts AFTER UPDATE OF status ON receipt "
    "WHEN NEW.status = 'void' AND OLD.status <> 'void' BEGIN "
    "UPDATE receipt_gift SET valid = 0 WHERE fund_id = NEW.fund_id AND receipt_id = NEW.id; "
    "END",
    "CREATE TRIGGER receipt_gift_follows_receipt BEFORE INSERT ON receipt_gift "
    f"WHEN NEW.valid IS NOT {_RECEIPT_VALID} "
    "BEGIN SELECT RAISE(ABORT, 'a receipt link follows its receipt'); END",
    "CREATE TRIGGER receipt_gift_no_update BEFORE UPDATE ON receipt_gift WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
    + f" OR NEW.valid IS NOT {_RECEIPT_VALID} "
    "BEGIN SELECT RAISE(ABORT, 'a receipt link follows its receipt'); END",
    "CREATE TRIGGER receipt_gift_no_delete BEFORE DELETE ON receipt_gift "
    "BEGIN SELECT RAISE(ABORT, 'a receipt link follows its receipt'); END",
]
TRIGGERS_PG = [
    "CREATE FUNCTION receipt_void_frees_gifts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE receipt_gift SET valid = false WHERE fund_id = NEW.fund_id AND receipt_id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER receipt_void_frees_gifts AFTER UPDATE OF status ON receipt FOR EACH ROW "
    "WHEN (NEW.status = 'void' AND OLD.status <> 'void') "
    "EXECUTE FUNCTION receipt_void_frees_gifts()",
    "CREATE FUNCTION receipt_gift_follows_receipt() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ("
    + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
    + f")) OR NEW.valid IS DISTINCT FROM {_RECEIPT_VALID} "
    "THEN RAISE EXCEPTION 'a receipt link follows its receipt'; END IF; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER receipt_gift_follows_receipt BEFORE INSERT OR UPDATE OR DELETE "
    "ON receipt_gift FOR EACH ROW EXECUTE FUNCTION receipt_gift_follows_receipt()",
]


def upgrade():
    op.create_table('receipt_gift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id', 'donation_id'], ['donation.fund_id', 'donation.id'],
                            name=op.f('fk_receipt_gift_fund_id_donation_id_donation')),
    sa.ForeignKeyConstraint(['fund_id', 'receipt_id'], ['receipt.fund_id', 'receipt.id'],
                            name=op.f('fk_receipt_gift_fund_id_receipt_id_receipt'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_receipt_gift_fund_id_fund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_gift')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_receipt_gift_fund_id_id')),
    sa.UniqueConstraint('fund_id', 'receipt_id', 'donation_id',
                        name=op.f('uq_receipt_gift_fund_id_receipt_id_donation_id'))
    )
    with op.batch_alter_table('receipt_gift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_gift_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('uq_receipt_gift_valid', ['fund_id', 'donation_id'], unique=True,
                              sqlite_where=sa.text('valid'), postgresql_where=sa.text('valid'))
    # An annual receipt now covers the gifts left unreceipted, from the first to the last: a
    # donor may get one mid-year and another for what came after. receipt_gift holds the rule.
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('uq_receipt_valid_annual')

    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("receipt_gift"):
            op.execute(sql)
        op.execute("SELECT set_config('shanlin.all', 'on', true)")  # FORCE binds the owner
        for sql in BACKFILL + TRIGGERS_PG:
            op.execute(sql)
    else:
        for sql in BACKFILL + TRIGGERS_SQLITE:
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER receipt_void_frees_gifts ON receipt")
        op.execute("DROP FUNCTION receipt_void_frees_gifts()")
        op.execute("DROP TRIGGER receipt_gift_follows_receipt ON receipt_gift")
        op.execute("DROP FUNCTION receipt_gift_follows_receipt()")
        for sql in rls.disable_sql("receipt_gift"):
            op.execute(sql)
    else:
        op.execute("DROP TRIGGER receipt_void_frees_gifts")
    # Fails if two valid annual receipts of a donor begin on the same day, which this revision
    # allows: void one of them first.
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index('uq_receipt_valid_annual', ['fund_id', 'donor_id', 'period_start'],
                              unique=True,
                              sqlite_where=sa.text("status = 'valid' AND kind = 'annual'"),
                              postgresql_where=sa.text("status = 'valid' AND kind = 'annual'"))
    with op.batch_alter_table('receipt_gift', schema=None) as batch_op:
        batch_op.drop_index('uq_receipt_gift_valid')
        batch_op.drop_index(batch_op.f('ix_receipt_gift_fund_id'))
    op.drop_table('receipt_gift')
