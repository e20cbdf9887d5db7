"""a running job's heartbeat, so a dead worker's job is taken over

Revision ID: b5_job_heartbeat
Revises: b4_resolution_pdf
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "b5_job_heartbeat"
down_revision = "b4_resolution_pdf"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
