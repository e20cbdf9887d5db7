"""background job records

Revision ID: a4_jobs
Revises: 89c911a69ac3
"""
import sqlalchemy as sa
from alembic import op

from tenants import rls

revision = "a4_jobs"
down_revision = "89c911a69ac3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('file_key', sa.String(length=64), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('file_type', sa.String(length=100), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status')),
    sa.CheckConstraint('done >= 0 AND total >= 0', name=op.f('ck_job_progress_nonnegative')),
    sa.ForeignKeyConstraint(['fund_id'], ['fund.id'], name=op.f('fk_job_fund_id_fund')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_job_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('fund_id', 'id', name=op.f('uq_job_fund_id_id'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_fund_id'), ['fund_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.enable_sql("job"):
            op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for sql in rls.disable_sql("job"):
            op.execute(sql)
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_fund_id'))
    op.drop_table('job')
