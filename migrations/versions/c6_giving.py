"""giving by WeChat Pay and Alipay, collection codes and their bills

Revision ID: c6_giving
Revises: c5_phone_first
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "c6_giving"
down_revision = "c5_phone_first"
branch_labels = None
depends_on = None

# Frozen copies of the code sets as they are now (app.donations.models.EventOutcome,
# app.giving.models.CodeKind, app.oversight.models.AnomalyKind).
OUTCOMES = ("confirmed", "already_confirmed", "amount_mismatch", "failed", "refund_booked",
            "refund_already_booked", "unknown_payment")
KINDS = ("wechat", "alipay")
ANOMALY_KINDS = ("large_cash", "payout_no_evidence", "same_person", "no_quorum",
                 "stale_project", "voided_receipts", "disclosure_overdue")
NEW_ANOMALY_KINDS = (*ANOMALY_KINDS, "payment_mismatch")
NEW_TABLES = ("collection_code", "gift_report", "bill_line")


def _anomaly_kinds(values) -> None:
    with op.batch_alter_table("anomaly_review", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_anomaly_review_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_anomaly_review_kind"),
                                         sa.text(f"kind IN {values}"))


def upgrade():
    # What each gateway event did, and for which gift: a payment whose amount is not the
    # gift's stays on record (and among the township's anomalies).
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("donation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amount_fen", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_payment_event_outcome"),
                                         sa.text(f"outcome IN {OUTCOMES}"))
        batch_op.create_foreign_key(op.f("fk_payment_event_fund_id_donation_id_donation"),
                                    "donation", ["fund_id", "donation_id"], ["fund_id", "id"])
        batch_op.create_index(batch_op.f("ix_payment_event_donation_id"), ["donation_id"],
                              unique=False)

    op.create_table(
        "collection_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payee", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_collection_code_kind")),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"],
                                name=op.f("fk_collection_code_fund_id_fund")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"],
                                name=op.f("fk_collection_code_uploaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_code")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_collection_code_fund_id_id")),
        sa.UniqueConstraint("fund_id", "kind", name=op.f("uq_collection_code_fund_id_kind")),
    )
    op.create_table(
        "gift_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_gift_report_kind")),
        sa.ForeignKeyConstraint(["fund_id", "donation_id"], ["donation.fund_id", "donation.id"],
                                name=op.f("fk_gift_report_fund_id_donation_id_donation")),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"],
                                name=op.f("fk_gift_report_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_report")),
        sa.UniqueConstraint("fund_id", "donation_id",
                            name=op.f("uq_gift_report_fund_id_donation_id")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_gift_report_fund_id_id")),
    )
    op.create_table(
        "bill_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_bill_line_amount_positive")),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_bill_line_kind")),
        sa.ForeignKeyConstraint(["fund_id", "donation_id"], ["donation.fund_id", "donation.id"],
                                name=op.f("fk_bill_line_fund_id_donation_id_donation")),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"], name=op.f("fk_bill_line_fund_id_fund")),
        sa.ForeignKeyConstraint(["imported_by_id"], ["user.id"],
                                name=op.f("fk_bill_line_imported_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_line")),
        sa.UniqueConstraint("fund_id", "donation_id",
                            name=op.f("uq_bill_line_fund_id_donation_id")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_bill_line_fund_id_id")),
        sa.UniqueConstraint("fund_id", "kind", "serial",
                            name=op.f("uq_bill_line_fund_id_kind_serial")),
    )
    for table in NEW_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_fund_id"), ["fund_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TABLES:
            for sql in rls.enable_sql(table):
                op.execute(sql)

    _anomaly_kinds(NEW_ANOMALY_KINDS)


def downgrade():
    _anomaly_kinds(ANOMALY_KINDS)
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TABLES:
            for sql in rls.disable_sql(table):
                op.execute(sql)
    for table in reversed(NEW_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_fund_id"))
        op.drop_table(table)
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_event_donation_id"))
        batch_op.drop_constraint(op.f("fk_payment_event_fund_id_donation_id_donation"),
                                 type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_payment_event_outcome"), type_="check")
        batch_op.drop_column("amount_fen")
        batch_op.drop_column("donation_id")
        batch_op.drop_column("outcome")
