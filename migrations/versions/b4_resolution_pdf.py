"""a resolution's PDF stored once, like a receipt's

Revision ID: b4_resolution_pdf
Revises: b3_receipt_once
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "b4_resolution_pdf"
down_revision = "b3_receipt_once"
branch_labels = None
depends_on = None

# Resolutions closed before this revision get no stored PDF here (rendering PDFs does not
# belong in a migration): their download is rendered on each request, and never stored by it.
IMMUTABLE_SQLITE = [
    "CREATE TRIGGER resolution_file_no_update BEFORE UPDATE ON resolution_file "
    "BEGIN SELECT RAISE(ABORT, 'resolution files are immutable'); END",
    "CREATE TRIGGER resolution_file_no_delete BEFORE DELETE ON resolution_file "
    "BEGIN SELECT RAISE(ABORT, 'resolution files are immutable'); END",
]
IMMUTABLE_PG = [
    "CREATE FUNCTION resolution_file_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'resolution files are immutable'; END $$",
    "CREATE TRIGGER resolution_file_immutable BEFORE UPDATE OR DELETE ON resolution_file "
    "FOR EACH ROW EXECUTE FUNCTION resolution_file_immutable()",
]


def upgrade():
    op.create_table(
        "resolution_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["fund_id", "motion_id"], ["motion.fund_id", "motion.id"],
                                name=op.f("fk_resolution_file_fund_id_motion_id_motion"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"],
                                name=op.f("fk_resolution_file_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_file")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_resolution_file_fund_id_id")),
        sa.UniqueConstraint("fund_id", "motion_id",
                            name=op.f("uq_resolution_file_fund_id_motion_id")),
    )
    with op.batch_alter_table("resolution_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolution_file_fund_id"), ["fund_id"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for sql in [*rls.enable_sql("resolution_file"), *IMMUTABLE_PG]:
            op.execute(sql)
    else:
        for sql in IMMUTABLE_SQLITE:
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER resolution_file_immutable ON resolution_file")
        op.execute("DROP FUNCTION resolution_file_immutable()")
    with op.batch_alter_table("resolution_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_file_fund_id"))
    op.drop_table("resolution_file")
