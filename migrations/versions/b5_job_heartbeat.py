"""a running job's heartbeat, so a dead worker's job is taken over

Revision ID: b5_job_heartbeat
Revises: b4_resolution_pdf
"""
import sqlalchemy as sa
from alembic import op

revision = "b5_job_heartbeat"
down_revision = "b4_resolution_pdf"
branch_labels = None
depends_on = None

# The heartbeat itself lives in the queue's storage beside the progress reports (a job's own
# transaction holds SQLite's write lock, so the job row cannot take a beat while it runs);
# the row counts how often a dead worker's job was queued again, to give up on one that
# keeps killing its worker.


def upgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restarts", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("restarts")
