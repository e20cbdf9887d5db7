"""a proposal's history notes as a code and an id instead of English text

Revision ID: b6_history_notes
Revises: b5_job_heartbeat
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "b6_history_notes"
down_revision = "b5_job_heartbeat"
branch_labels = None
depends_on = None

# The notes the system wrote before, read once here (app.governance.models.EventNote now).
# Frozen copies: the migration must keep reading the old text whatever the app says later.
_PARSE = [
    (re.compile(r"motion #(\d+)"), "motion"),
    (re.compile(r"round #(\d+)"), "round"),
    (re.compile(r"payout #(\d+)"), "payout"),
    (re.compile(r"objection #(\d+) upheld"), "objection_upheld"),
    (re.compile(r"notice period over"), "notice_over"),
    (re.compile(r"progress reported"), "progress"),
]
_WRITE = {"motion": "motion #{}", "round": "round #{}", "payout": "payout #{}",
          "objection_upheld": "objection #{} upheld", "notice_over": "notice period over",
          "progress": "progress reported"}
CODES = ("motion", "round", "payout", "objection_upheld", "notice_over", "progress")

_event = sa.table("proposal_event", sa.column("id", sa.Integer), sa.column("note", sa.String),
                  sa.column("note_code", sa.String), sa.column("note_ref", sa.Integer))


def _parse(note: str) -> tuple[str | None, int | None]:
    for pattern, code in _PARSE:
        if match := pattern.fullmatch(note):
            return code, int(match.group(1)) if match.groups() else None
    return None, None  # the system wrote no other note


def _all_funds() -> None:
    """Row-level security binds the owner too (FORCE): the backfill reads every fund's rows."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('shanlin.all', 'on', true)")


def upgrade():
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("note_ref", sa.Integer(), nullable=True))
    _all_funds()
    bind = op.get_bind()
    rows = bind.execute(sa.select(_event.c.id, _event.c.note).where(_event.c.note != "")).all()
    for row_id, note in rows:
        code, ref = _parse(note)
        bind.execute(_event.update().where(_event.c.id == row_id)
                     .values(note_code=code, note_ref=ref))
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_proposal_event_note_code"),
                                         sa.text(f"note_code IN {CODES}"))
        batch_op.drop_column("note")


def downgrade():
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=False,
                                      server_default=""))
    _all_funds()
    bind = op.get_bind()
    rows = bind.execute(sa.select(_event.c.id, _event.c.note_code, _event.c.note_ref)
                        .where(_event.c.note_code.is_not(None))).all()
    for row_id, code, ref in rows:
        bind.execute(_event.update().where(_event.c.id == row_id)
                     .values(note=_WRITE[code].format(ref)))
    with op.batch_alter_table("proposal_event", schema=None) as batch_op:
        batch_op.alter_column("note", server_default=None)
        batch_op.drop_constraint(op.f("ck_proposal_event_note_code"), type_="check")
        batch_op.drop_column("note_ref")
        batch_op.drop_column("note_code")
