"""The migrations build exactly the schema the models describe; the catalogue is complete."""

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.pofile import read_po
from sqlalchemy import create_engine

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_models_and_migrations_agree(app):
    with app.app_context():
        url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
        engine = create_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        engine.dispose()
    assert diff == []


def test_every_fund_owned_table_keys_on_fund_id():
    from tenants.model import FundOwned

    for mapper in db.Model.registry.mappers:
        if not issubclass(mapper.class_, FundOwned):
            continue
        table = mapper.local_table
        assert not table.c.fund_id.nullable, table.name
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert "fund_id" in constraint.columns, f"{table.name}: {constraint.name}"
            if constraint.__class__.__name__ == "ForeignKeyConstraint":
                target = constraint.referred_table
                # A reference to another fund-owned table must carry fund_id (shared tables
                # such as fund and user belong to no fund), or another column naming a fund:
                # a campaign's match allocation points at the sponsor fund's pledge and entry
                # through (sponsor_fund_id, x_id), the one row that names two funds.
                if "fund_id" in target.c and target.name != "fund":
                    assert "fund_id" in constraint.columns or any(
                        fk.column.table.name == "fund" for column in constraint.columns
                        for fk in column.foreign_keys), f"{table.name} -> {target.name}"


def test_every_visible_string_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    po = ROOT / "app/translations/zh_Hans/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
        and "fuzzy" not in m.flags
    }
    assert sorted(wanted - translated) == []
