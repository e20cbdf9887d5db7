"""Per-fund, per-year document numbers (receipts, certificates): gapless and never reused.

One upsert creates the year's counter row or bumps it, and the row stays locked until commit:
a rollback gives the number back, and two documents issued at once get two numbers.
"""

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def bump(counter, fund_id: int, year: int) -> int:
    """The next number of the fund's year on ``counter`` (a model with fund_id, year and
    last_number, unique on fund_id and year)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(counter).values(fund_id=fund_id, year=year, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[counter.fund_id, counter.year],
        set_={"last_number": counter.last_number + 1},
    ).returning(counter.last_number)
    return db.session.execute(statement).scalar_one()
