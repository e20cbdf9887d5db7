"""PostgreSQL row-level security for fund-owned tables, and the app's non-owner role.

The policies read the per-transaction settings written by tenants.scoping. FORCE makes them
bind the tables' owner too; the app should still connect as a role that owns nothing.
"""

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .model import fund_owned_tables

POLICY = "fund_isolation"

# The settings are read in sub-selects: PostgreSQL evaluates them once per statement and
# hashes the ids, instead of parsing the list again for every row (a township of 1,000
# funds: 3 s instead of 40 ms over 48,000 rows).
_USING = (
    "(SELECT current_setting('shanlin.all', true) = 'on') OR fund_id IN (SELECT unnest("
    "string_to_array(nullif(current_setting('shanlin.fund_ids', true), ''), ','))::int)"
)


def enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY {POLICY} ON "{table}" USING ({_USING}) WITH CHECK ({_USING})',
    ]


def disable_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


def missing_policies(connection: Connection) -> list[str]:
    """Fund-owned tables that have no isolation policy (a migration forgot enable_sql)."""
    rows = connection.execute(
        text("SELECT tablename FROM pg_policies WHERE policyname = :p"), {"p": POLICY}
    )
    have = {r[0] for r in rows}
    return sorted(t.name for t in fund_owned_tables() if t.name not in have)


def grant_app_role(connection: Connection, role: str, password: str | None = None) -> None:
    """Create (if needed) a login role that owns nothing and may read and write the tables."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).scalar()
    if not exists:
        connection.execute(text(f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS"))
    if password:
        connection.execute(
            text(f"ALTER ROLE {quoted} PASSWORD :pw".replace(":pw", _literal(password)))
        )
    for sql in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ):
        connection.execute(text(sql))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
