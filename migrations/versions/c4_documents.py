"""documents an auditor signs: receipt signers, in-kind details, resolution numbers, budget lines

Revision ID: c4_documents
Revises: c3_aid
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c4_documents"
down_revision = "c3_aid"
branch_labels = None
depends_on = None

# What a receipt states (a5_receipts' list) and what it states from now on: who issued and
# checked it, and a gift in kind's description, quantity and valuation basis.
STATED_BEFORE = (
    "kind", "year", "sequence", "number", "token", "code_hash", "donation_id", "donor_id",
    "name", "amount_fen", "received_on", "channel", "purpose", "handler", "issued_on",
    "issued_at", "pdf_sha256", "replaces_id", "fund_id", "period_start", "period_end", "locale")
NEW_STATED = ("issuer", "checker", "item_description", "item_quantity", "valuation_basis")
RECEIPT_TEXT = (("issuer", 100), ("checker", 100), ("item_description", 200),
                ("item_quantity", 50), ("valuation_basis", 200))


def _sqlite_trigger(stated) -> str:
    return (f"CREATE TRIGGER receipt_stated_no_update BEFORE UPDATE OF {', '.join(stated)} "
            "ON receipt BEGIN SELECT RAISE(ABORT, 'an issued receipt cannot change'); END")


def _pg_function(stated) -> str:
    return ("CREATE OR REPLACE FUNCTION receipt_immutable() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN IF TG_OP = 'DELETE' OR TG_TABLE_NAME = 'receipt_file' OR "
            + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in stated)
            + " OR (OLD.status = 'void' AND NEW.status <> 'void')"
            " THEN RAISE EXCEPTION 'an issued receipt cannot change'; END IF; "
            "RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$")


def _receipt_triggers(stated) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function(stated))
    else:
        op.execute("DROP TRIGGER IF EXISTS receipt_stated_no_update")
        op.execute(_sqlite_trigger(stated))


def upgrade():
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valuation_basis", sa.String(length=200), nullable=False,
                                      server_default=""))

    # Plain ADD COLUMN, not a batch rebuild: the receipt table keeps its triggers.
    for column, length in RECEIPT_TEXT:
        op.add_column("receipt", sa.Column(column, sa.String(length=length), nullable=False,
                                           server_default=""))
    _receipt_triggers(STATED_BEFORE + NEW_STATED)

    with op.batch_alter_table("receipt_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checker_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("separate_signers", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.create_foreign_key(batch_op.f("fk_receipt_settings_checker_id_user"), "user",
                                    ["checker_id"], ["id"])

    op.create_table(
        "resolution_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"],
                                name=op.f("fk_resolution_counter_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_counter")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_resolution_counter_fund_id_id")),
        sa.UniqueConstraint("fund_id", "year", name=op.f("uq_resolution_counter_fund_id_year")),
    )
    with op.batch_alter_table("resolution_counter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolution_counter_fund_id"), ["fund_id"],
                              unique=False)

    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_kind", sa.String(length=10), nullable=False,
                                      server_default="online"))
        batch_op.add_column(sa.Column("meeting_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("meeting_place", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("host_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recorder_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_number", sa.String(length=60),
                                      nullable=False, server_default=""))
        batch_op.create_check_constraint("meeting_kind", "meeting_kind IN ('online', 'meeting')")
        batch_op.create_foreign_key(batch_op.f("fk_motion_host_id_user"), "user",
                                    ["host_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_motion_recorder_id_user"), "user",
                                    ["recorder_id"], ["id"])
        batch_op.create_index("uq_motion_resolution_number",
                              ["fund_id", "resolution_year", "resolution_sequence"], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("resolution_counter"):
            op.execute(sql)
    _number_closed_motions()


def _number_closed_motions() -> None:
    """Votes closed before this revision get their numbers in the order they closed, per fund
    and year (Asia/Shanghai), and the counters continue from there."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the owner is bound by FORCEd row security too
        bind.execute(sa.text("SELECT set_config('shanlin.all', 'on', true)"))
    rows = bind.execute(sa.text(
        "SELECT m.id, m.fund_id, m.closed_at, f.village, f.name FROM motion m "
        "JOIN fund f ON f.id = m.fund_id WHERE m.status = 'closed' AND m.closed_at IS NOT NULL "
        "ORDER BY m.fund_id, m.closed_at, m.id")).all()
    last: dict[tuple[int, int], int] = {}
    for motion_id, fund_id, closed_at, village, name in rows:
        if isinstance(closed_at, str):  # SQLite hands back text
            closed_at = datetime.fromisoformat(closed_at)
        year = (closed_at + timedelta(hours=8)).year  # stored UTC, the year of Asia/Shanghai
        sequence = last.get((fund_id, year), 0) + 1
        last[(fund_id, year)] = sequence
        prefix = (village or name.removesuffix("社区慈善基金").removesuffix("慈善基金"))
        bind.execute(sa.text(
            "UPDATE motion SET resolution_year = :y, resolution_sequence = :s, "
            "resolution_number = :n WHERE id = :id"),
            {"y": year, "s": sequence, "n": f"{prefix}慈基决〔{year}〕{sequence}号",
             "id": motion_id})
    for (fund_id, year), sequence in last.items():
        bind.execute(sa.text(
            "INSERT INTO resolution_counter (fund_id, year, last_number) VALUES (:f, :y, :n)"),
            {"f": fund_id, "y": year, "n": sequence})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.disable_sql("resolution_counter"):
            op.execute(sql)
    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.drop_index("uq_motion_resolution_number")
        batch_op.drop_constraint(batch_op.f("fk_motion_recorder_id_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_motion_host_id_user"), type_="foreignkey")
        batch_op.drop_constraint("meeting_kind", type_="check")
        for column in ("resolution_number", "resolution_sequence", "resolution_year",
                       "recorder_id", "host_id", "meeting_place", "meeting_at", "meeting_kind"):
            batch_op.drop_column(column)
    with op.batch_alter_table("resolution_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_counter_fund_id"))
    op.drop_table("resolution_counter")
    with op.batch_alter_table("receipt_settings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_receipt_settings_checker_id_user"),
                                 type_="foreignkey")
        batch_op.drop_column("separate_signers")
        batch_op.drop_column("checker_id")
    _receipt_triggers(STATED_BEFORE)  # names none of the columns dropped next
    for column, _length in reversed(RECEIPT_TEXT):
        op.drop_column("receipt", column)
    # Dropped in place (SQLite 3.35+), not by copying the table: the copy's rename trips over
    # the trigger ledger_entry_month, which names donation.
    op.drop_column("donation", "valuation_basis")
