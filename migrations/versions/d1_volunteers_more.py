"""volunteers: check-in place and distance

An activity's place on the map (optional) and the radius a volunteer's own check-in must come
from; how each check-in was placed (position checked, 位置未核实, or by the leader) and its
distance; a volunteer (not a fund member) may lead an activity and mark its list.

Revision ID: d1_volunteers_more
Revises: d0_wishes_more
"""

import sqlalchemy as sa
from alembic import op

revision = "d1_volunteers_more"
down_revision = "d0_wishes_more"
branch_labels = None
depends_on = None

CHECKED_WHERE = "checked_where IN ('near', 'unverified', 'leader')"


def upgrade():
    # A batch rebuild on SQLite (foreign keys are off for the run, migrations/env.py); plain
    # ALTER TABLE on PostgreSQL, where the row security policies stay as they were.
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leader_volunteer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("radius_m", sa.Integer(), nullable=False, server_default="500")
        )
        batch_op.add_column(sa.Column("marked_by_volunteer_id", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "place_on_earth",
            "(latitude IS NULL AND longitude IS NULL) OR (latitude BETWEEN -90 AND 90 AND "
            "longitude BETWEEN -180 AND 180)",
        )
        batch_op.create_check_constraint("radius_in_range", "radius_m BETWEEN 50 AND 5000")
        batch_op.create_check_constraint(
            "one_leader", "leader_id IS NULL OR leader_volunteer_id IS NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_fund_id_leader_volunteer_id_volunteer"),
            "volunteer",
            ["fund_id", "leader_volunteer_id"],
            ["fund_id", "id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_fund_id_marked_by_volunteer_id_volunteer"),
            "volunteer",
            ["fund_id", "marked_by_volunteer_id"],
            ["fund_id", "id"],
        )

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_where", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("distance_m", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("checked_where", CHECKED_WHERE)

    # Check-ins made before this revision had no position: 位置未核实.
    op.execute("UPDATE attendance SET checked_where = 'unverified' WHERE check_in_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_attendance_checked_where"), type_="check")
        batch_op.drop_column("distance_m")
        batch_op.drop_column("checked_where")

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_activity_fund_id_marked_by_volunteer_id_volunteer"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_activity_fund_id_leader_volunteer_id_volunteer"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("ck_activity_one_leader"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_activity_radius_in_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_activity_place_on_earth"), type_="check")
        batch_op.drop_column("marked_by_volunteer_id")
        batch_op.drop_column("radius_m")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("leader_volunteer_id")
