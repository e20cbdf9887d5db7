"""hash-chained audit trail and two-factor login

Revision ID: a8_audit
Revises: a7_portal
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "a8_audit"
down_revision = "a7_portal"
branch_labels = None
depends_on = None

FUND_OWNED = ("audit_entry", "audit_head")
APPEND_ONLY = ("audit_entry", "platform_audit_entry")


def _append_only_sqlite(table):
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    ]


APPEND_ONLY_PG_FUNCTION = (
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$"
)


def _append_only_pg(table):
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def _entry_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_table", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    ]


def upgrade():
    op.create_table(
        "audit_entry",
        *_entry_columns(),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_audit_entry_actor_id_user")),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"], name=op.f("fk_audit_entry_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_audit_entry_fund_id_id")),
        sa.UniqueConstraint("fund_id", "seq", name=op.f("uq_audit_entry_fund_id_seq")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index("ix_audit_entry_fund_id_at", ["fund_id", "at"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"], name=op.f("fk_audit_head_fund_id_fund")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
        sa.UniqueConstraint("fund_id", "id", name=op.f("uq_audit_head_fund_id_id")),
        sa.UniqueConstraint("fund_id", name=op.f("uq_audit_head_fund_id")),
    )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_head_fund_id"), ["fund_id"], unique=False)

    op.create_table(
        "platform_audit_entry",
        *_entry_columns(),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("fund_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_platform_audit_entry_actor_id_user")),
        sa.ForeignKeyConstraint(["fund_id"], ["fund.id"], name=op.f("fk_platform_audit_entry_fund_id_fund")),
        sa.ForeignKeyConstraint(["township_id"], ["township.id"], name=op.f("fk_platform_audit_entry_township_id_township")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit_entry")),
        sa.UniqueConstraint("seq", name=op.f("uq_platform_audit_entry_seq")),
    )
    with op.batch_alter_table("platform_audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_platform_audit_entry_township_id_at", ["township_id", "at"], unique=False)
        batch_op.create_index("ix_platform_audit_entry_fund_id_at", ["fund_id", "at"], unique=False)

    op.create_table(
        "platform_audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit_head")),
    )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_recovery_code_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("township", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_admin_2fa", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    if op.get_bind().dialect.name == "postgresql":
        for table in FUND_OWNED:
            for sql in rls.enable_sql(table):
                op.execute(sql)
        op.execute(APPEND_ONLY_PG_FUNCTION)
        for table in APPEND_ONLY:
            for sql in _append_only_pg(table):
                op.execute(sql)
    else:
        for table in APPEND_ONLY:
            for sql in _append_only_sqlite(table):
                op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION audit_append_only()")
    with op.batch_alter_table("township", schema=None) as batch_op:
        batch_op.drop_column("require_admin_2fa")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    op.drop_table("platform_audit_head")
    with op.batch_alter_table("platform_audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_platform_audit_entry_fund_id_at")
        batch_op.drop_index("ix_platform_audit_entry_township_id_at")
    op.drop_table("platform_audit_entry")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_head_fund_id"))
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_fund_id_at")
        batch_op.drop_index(batch_op.f("ix_audit_entry_fund_id"))
    op.drop_table("audit_entry")
