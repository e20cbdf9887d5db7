"""flask backup create / restore, run as an operator would: a backup restored into a fresh
database holds the same money, the same receipts and an audit chain that verifies; a damaged
backup and a database that already holds data are refused with nothing changed."""

import hashlib
import tarfile
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from app.backup import BackupError
from app.backup.postgres import check_dump_version, check_restore_version
from app.backup.services import tables_with_data
from app.config import VAR_DIR
from app.extensions import db
from app.funds.models import Fund, Township
from app.governance.models import Attachment
from app.ledger import services as ledger
from app.receipts.models import Receipt, ReceiptFile
from tenants import SYSTEM, fund_scope, using
from tenants.model import fund_owned_tables
from tenants.rls import missing_policies

from .conftest import BASE_CONFIG, DB_KIND, LOGINS, _pg_admin, _pg_url


@pytest.fixture
def fresh(database, tmp_path):
    """A second app on an empty database: the new server of a restore drill."""
    name = None
    if DB_KIND == "sqlite":
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"}
    else:
        name = f"shanlin_fresh_{uuid.uuid4().hex[:12]}"
        _pg_admin(f"CREATE DATABASE {name}")
        config = {"SQLALCHEMY_DATABASE_URI": _pg_url(name, database.role),
                  "MIGRATION_DATABASE_URL": _pg_url(name)}
    app = create_app({**BASE_CONFIG, **config})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if name:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def figures(app) -> dict:
    """What a treasurer would compare: each fund's balance as the ledger page computes it,
    and each receipt's number with the sha256 of its stored PDF bytes."""
    with app.app_context():
        with using(SYSTEM):
            funds = db.session.execute(select(Fund.id, Fund.slug)).all()
            pdfs = db.session.execute(
                select(Receipt.number, ReceiptFile.data)
                .join(ReceiptFile, (ReceiptFile.receipt_id == Receipt.id)
                      & (ReceiptFile.variant == "original"))).all()
        totals = {}
        for fund_id, slug in funds:
            with using(fund_scope(fund_id)):
                totals[slug] = ledger.balances().total_fen
        db.session.remove()
    receipts = {number: hashlib.sha256(data).hexdigest() for number, data in pdfs}
    return {"totals": totals, "receipts": receipts}


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *args])


def _holds_data(app) -> list[str]:
    engine = create_engine(app.config.get("MIGRATION_DATABASE_URL")
                           or app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as connection:
            return tables_with_data(connection)
    finally:
        engine.dispose()


def _unprotected(app) -> list[str]:
    """Fund-owned tables of the restored PostgreSQL database without their forced policy."""
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            missing = set(missing_policies(connection))
            loose = {name for name, in connection.execute(text(
                "SELECT relname FROM pg_class WHERE relkind = 'r' "
                "AND NOT (relrowsecurity AND relforcerowsecurity)"))}
    finally:
        engine.dispose()
    return sorted(missing | (loose & {t.name for t in fund_owned_tables()}))


def test_restore_into_a_fresh_database_keeps_money_receipts_and_audit(app, fresh, tmp_path):
    before = figures(app)
    assert sum(before["totals"].values()) > 0 and len(before["receipts"]) >= 4
    archive = tmp_path / "shanlin-drill.tar.gz"
    result = _run(app, "create", str(archive))
    assert result.exit_code == 0, result.output
    assert archive.is_file() and "Backup written to" in result.output
    assert "the chain verifies" in result.output

    # The new server has no uploaded files yet: one governance attachment is missing there.
    with app.app_context(), using(SYSTEM):
        attachment = db.session.scalars(select(Attachment)).first()
        upload = VAR_DIR / "governance" / str(attachment.fund_id) / attachment.stored_name
        db.session.remove()
    content = upload.read_bytes()
    upload.unlink()
    try:
        result = _run(fresh, "restore", str(archive))
        assert result.exit_code == 0, result.output
        assert upload.read_bytes() == content
    finally:
        if not upload.exists():
            upload.write_bytes(content)

    assert "Same figures as when the backup was made: yes" in result.output
    assert "0 missing" in result.output and "0 differ from their sha256" in result.output
    if DB_KIND == "postgresql":
        assert "Row-level security: in force on every fund-owned table" in result.output
        assert _unprotected(fresh) == []
    after = figures(fresh)
    assert after["totals"] == before["totals"]
    assert after["receipts"] == before["receipts"]
    verified = fresh.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK:"), verified.output

    # People sign in on the restored server and read their ledger (on PostgreSQL this is the
    # app's own role, under row-level security, with the grants the restore gave back).
    client = fresh.test_client()
    login = client.post("/auth/login", data={"login": LOGINS["treasurer"],
                                             "password": BASE_CONFIG["DEMO_PASSWORD"]})
    assert login.status_code == 302
    page = client.get("/f/donggangcun/ledger")
    assert page.status_code == 200


def test_a_damaged_backup_is_refused_and_nothing_changes(app, fresh, tmp_path):
    folder = tmp_path / "backup"
    assert _run(app, "create", str(folder)).exit_code == 0
    [database] = [p for p in folder.iterdir() if p.name.startswith("database.")]
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))

    result = _run(fresh, "restore", str(folder))
    assert result.exit_code != 0
    assert "the backup is damaged, nothing was changed" in result.output
    assert f"{database.name}: its sha256 differs from the manifest" in result.output
    assert _holds_data(fresh) == []

    archive = tmp_path / "cut.tar.gz"
    assert _run(app, "create", str(archive)).exit_code == 0
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = _run(fresh, "restore", str(archive))
    assert result.exit_code != 0 and "is damaged or not a backup archive" in result.output
    assert _holds_data(fresh) == []


def test_an_archive_reaching_outside_its_folder_is_refused(fresh, tmp_path):
    archive = tmp_path / "evil.tar.gz"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(payload, arcname="../../escaped")
    result = _run(fresh, "restore", str(archive))
    assert result.exit_code != 0 and "which no backup holds" in result.output
    assert not (VAR_DIR.parent / "escaped").exists()
    assert _holds_data(fresh) == []


def test_restore_into_a_database_with_data_needs_yes(app, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert _run(app, "create", str(archive)).exit_code == 0
    made_later = app.test_cli_runner().invoke(
        args=["tenants", "create-township", "青石镇", "--region", "苏州市吴中区"])
    assert made_later.exit_code == 0

    result = _run(app, "restore", str(archive))
    assert result.exit_code != 0
    assert "already holds data" in result.output and "--yes" in result.output
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Township).where(Township.name == "青石镇"))
        db.session.remove()

    result = _run(app, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Township).where(Township.name == "青石镇")) is None
        db.session.remove()


def test_a_backup_into_an_existing_path_is_refused(app, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep me")
    result = _run(app, "create", str(tmp_path / "taken"))
    assert result.exit_code != 0 and "exists already" in result.output
    assert (tmp_path / "taken" / "x").read_text() == "keep me"


def test_version_mismatch_is_explained():
    with pytest.raises(BackupError, match=r"pg_dump 15\.20 cannot dump PostgreSQL 16\.4.*"
                                          r"postgresql-client-16"):
        check_dump_version((15, "15.20"), (16, "16.4"))
    check_dump_version((16, "16.4"), (15, "15.20"))  # a newer pg_dump reads an older server
    with pytest.raises(BackupError, match=r"written by pg_dump 17\.2; pg_restore 15\.20"):
        check_restore_version((15, "15.20"), "17.2")
