"""Making a backup, checking one and restoring one. The CLI (cli.py) only prints.

A backup is made from the running app: SQLite's backup API and pg_dump's snapshot both give a
consistent copy while people keep working. The database is copied first and the files after,
so every file a copied row refers to exists already (a file is written before its row
commits); a file that arrives later is copied too, unreferenced and harmless.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.config import BASE_DIR, VAR_DIR
from app.extensions import db
from tenants import SYSTEM, using

from . import BackupError, postgres
from .summary import FileCheck, Summary, check_files, summarize

FORMAT, FORMAT_VERSION = "shanlin-backup", 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def file_sets(app: Flask) -> dict[str, Path]:
    """The folders a backup carries. Import uploads (var/imports) wait a day at most for their
    preview to be committed and the outbox holds mail already logged: both are left out."""
    return {"governance": VAR_DIR / "governance", "payouts": VAR_DIR / "payouts",
            "jobs": Path(app.config["JOBS_DIR"])}


def _kind(app: Flask) -> str:
    kind = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if kind not in DATABASE_FILE:
        raise BackupError(f"backups know SQLite and PostgreSQL, not {kind}")
    return kind


def _owner_url(app: Flask) -> str:
    return app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]


@contextmanager
def _reachable(url: str) -> Iterator[None]:
    """A database that cannot be reached is named in words, without its password."""
    try:
        yield
    except OperationalError as error:
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise BackupError(f"cannot connect to {where}: {reason}") from error


def _sqlite_path(app: Flask) -> Path:
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up or restore")
    return Path(path)


def _app_version() -> str:
    try:
        return version("shanlin")
    except PackageNotFoundError:
        return "unknown"


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o600)


# --- create ---------------------------------------------------------------------------------

@dataclass
class Created:
    path: Path
    manifest: dict

    @property
    def summary(self) -> Summary:
        return Summary.from_dict(self.manifest["summary"])


def default_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return VAR_DIR / "backups" / f"shanlin-{stamp}.tar.gz"


def _is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


def create(app: Flask, destination: Path | None = None) -> Created:
    """Write a backup to destination: a new folder, or a .tar.gz when the name ends so."""
    destination = Path(destination or default_path())
    if destination.exists() and not (destination.is_dir() and not any(destination.iterdir())):
        raise BackupError(f"{destination} exists already: choose a new name")
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    kind, started = _kind(app), datetime.now(UTC)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".backup-") as work:
        staging = Path(work) / "backup"
        staging.mkdir(mode=0o700)
        database = staging / DATABASE_FILE[kind]
        if kind == "sqlite":
            details = _copy_sqlite(_sqlite_path(app), database)
        else:
            details = _dump_postgres(_owner_url(app), database)
        summary = details.pop("summary")
        files = {database.name: dict(zip(("sha256", "size"), _sha256(database), strict=True))}
        for name, folder in file_sets(app).items():
            files.update(_copy_folder(folder, staging, PurePosixPath("files", name)))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": started.isoformat(timespec="seconds"),
            "app_version": _app_version(),
            "alembic_revision": details.pop("revision"),
            "database": {"kind": kind, "file": database.name, **details},
            "file_sets": sorted(file_sets(app)),
            "files": files,
            "summary": summary.comparable(),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        if _is_archive(destination):
            partial = destination.with_name(destination.name + ".partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                    tar.add(staging, arcname=_stem(destination))
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            os.replace(partial, destination)  # a half-written archive never has the name
        else:
            if destination.exists():
                destination.rmdir()
            staging.rename(destination)
    return Created(destination, manifest)


def _stem(path: Path) -> str:
    for suffix in (".tar.gz", ".tgz"):
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


def _copy_sqlite(source: Path, target: Path) -> dict:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page by page under a read lock: consistent while the app writes
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup of {source} failed: {error}") from error
    finally:
        dst.close()
        src.close()
    target.chmod(0o600)
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as connection, Session(bind=connection) as session:
            return {"revision": _revision(connection), "summary": summarize(session),
                    "sqlite_version": sqlite3.sqlite_version}
    finally:
        engine.dispose()


def _dump_postgres(owner_url: str, target: Path) -> dict:
    client = postgres.tool_version("pg_dump")
    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        with _reachable(owner_url), engine.connect() as probe:
            server = postgres.server_version(probe)
        postgres.check_dump_version(client, server)
        # One snapshot for the summary and for pg_dump: the figures describe the dump exactly.
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with connection, connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            connection.execute(text("SELECT set_config('shanlin.all', 'on', true)"))
            with Session(bind=connection) as session:
                summary = summarize(session)
            revision = _revision(connection)
            postgres.dump(owner_url, snapshot, target)
    finally:
        engine.dispose()
    target.chmod(0o600)
    return {"revision": revision, "summary": summary, "server_version": server[1],
            "pg_dump_version": client[1]}


def _copy_folder(folder: Path, staging: Path, prefix: PurePosixPath) -> dict:
    files = {}
    if not folder.is_dir():
        return files
    for source in sorted(folder.rglob("*")):
        if source.is_symlink() or not source.is_file():
            continue
        name = prefix.joinpath(*source.relative_to(folder).parts)
        try:
            _copy(source, staging / name)
        except FileNotFoundError:  # removed while we walked (a job's file, cleaned up)
            continue
        sha, size = _sha256(staging / name)
        files[str(name)] = {"sha256": sha, "size": size}
    return files


# --- check ----------------------------------------------------------------------------------

@contextmanager
def opened(path: Path) -> Iterator[tuple[Path, dict]]:
    """The backup's folder and its manifest, every file checked against its sha256 first."""
    path = Path(path)
    if path.is_dir():
        yield path, _checked(path)
        return
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the data disk; the backup's may be read-only
    with tempfile.TemporaryDirectory(dir=VAR_DIR, prefix=".restore-") as work:
        try:
            with tarfile.open(path, mode="r:*") as tar:
                members = tar.getmembers()
                for member in members:  # plain files and folders inside work, nothing else
                    name = PurePosixPath(member.name)
                    if not (member.isfile() or member.isdir()) or name.is_absolute() \
                            or ".." in name.parts:
                        raise BackupError(f"{path} holds {member.name!r}, which no backup "
                                          "holds; nothing was changed")
                if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: checked once more
                    tar.extractall(work, members, filter="data")
                else:
                    tar.extractall(work, members)
        except (tarfile.TarError, EOFError, OSError, ValueError) as error:
            raise BackupError(f"{path} is damaged or not a backup archive ({error}); "
                              "nothing was changed") from error
        root = Path(work)
        if not (root / MANIFEST).is_file():
            inner = [p for p in root.iterdir() if (p / MANIFEST).is_file()]
            root = inner[0] if len(inner) == 1 else root
        yield root, _checked(root)


def _checked(root: Path) -> dict:
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BackupError(f"{root} is not a Shanlin backup: it has no {MANIFEST}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"the backup's {MANIFEST} is damaged ({error}); "
                          "nothing was changed") from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{root} is not a Shanlin backup of format {FORMAT_VERSION}")
    damaged = []
    for name, expected in sorted(manifest.get("files", {}).items()):
        path = root.joinpath(*PurePosixPath(name).parts)
        if ".." in PurePosixPath(name).parts or not path.is_file():
            damaged.append(f"{name}: missing")
        elif _sha256(path) != (expected["sha256"], expected["size"]):
            damaged.append(f"{name}: its sha256 differs from the manifest")
    database = manifest.get("database", {}).get("file")
    if database not in manifest.get("files", {}):
        damaged.append(f"{database}: not listed in the manifest")
    if damaged:
        raise BackupError("the backup is damaged, nothing was changed:\n  "
                          + "\n  ".join(damaged[:20]))
    return manifest


# --- restore --------------------------------------------------------------------------------

@dataclass
class Restored:
    manifest: dict
    expected: Summary
    found: Summary
    files: FileCheck
    notes: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)  # fund-owned tables without RLS

    @property
    def problems(self) -> list[str]:
        found = []
        if self.unprotected:
            found.append("row-level security is missing on: " + ", ".join(self.unprotected))
        if self.found.comparable() != self.expected.comparable():
            found.append("the restored figures differ from the backup's")
        if self.found.audit_breaks:
            found.append("the audit chain does not verify")
        if self.files.receipt_files_wrong:
            found.append(f"{len(self.files.receipt_files_wrong)} receipt PDFs do not match "
                         "their sha256")
        if self.files.uploads_missing:
            found.append(f"{len(self.files.uploads_missing)} uploaded files are missing")
        return found


def tables_with_data(connection: Connection) -> list[str]:
    """Tables holding at least one row (Alembic's own table aside)."""
    if connection.dialect.name == "postgresql":  # the owner, bound by FORCEd RLS too
        connection.execute(text("SELECT set_config('shanlin.all', 'on', true)"))
    quote = connection.dialect.identifier_preparer.quote
    return [name for name in sorted(inspect(connection).get_table_names())
            if name != "alembic_version"
            and connection.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first()]


def _revisions() -> tuple[set[str], set[str]]:
    """Every migration this code knows, and its heads."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    script = ScriptDirectory.from_config(config)
    return {revision.revision for revision in script.walk_revisions()}, set(script.get_heads())


def restore(app: Flask, path: Path, replace: bool = False) -> Restored:
    """Check the backup, then put its database and files in place of this app's, then read
    the figures back through the app itself. Refuses a database that holds data unless
    replace is given."""
    kind, unprotected = _kind(app), []
    with opened(path) as (root, manifest):
        database = manifest["database"]
        if database["kind"] != kind:
            raise BackupError(f"this is a backup of a {database['kind']} database; the app "
                              f"uses {kind}. Nothing was changed.")
        known, heads = _revisions()
        revision = manifest.get("alembic_revision")
        if revision not in known:
            raise BackupError(f"the backup's database is at migration {revision}, which this "
                              "version of Shanlin does not know: restore it with the version "
                              f"that made it ({manifest.get('app_version')}) or newer.")
        if kind == "postgresql":
            client = postgres.tool_version("pg_restore")
            postgres.check_restore_version(client, database["pg_dump_version"])
        occupied = _tables_with_data(app, kind)
        if occupied and not replace:
            shown = ", ".join(occupied[:6]) + (" …" if len(occupied) > 6 else "")
            raise BackupError(f"the database already holds data ({len(occupied)} tables: "
                              f"{shown}). Nothing was changed. Give --yes to replace it.")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no pooled connection may outlive the old database
        notes = _restore_files(app, root, manifest)
        source = root / database["file"]
        if kind == "sqlite":
            _restore_sqlite(source, _sqlite_path(app))
        else:
            postgres.restore(_owner_url(app), source)
            notes.extend(_grant(app))
            unprotected = _tables_without_rls(app)
    if revision not in heads:
        notes.append(f"the backup is at migration {revision}; this code is at "
                     f"{', '.join(sorted(heads))}: run `flask db upgrade` (as the owner) next")
    with app.app_context():
        db.engine.dispose()
        with using(SYSTEM):
            found = summarize(db.session)
            files = check_files(db.session, VAR_DIR)
        db.session.remove()
    return Restored(manifest, Summary.from_dict(manifest["summary"]), found, files, notes,
                    unprotected)


def _tables_with_data(app: Flask, kind: str) -> list[str]:
    if kind == "sqlite" and not _sqlite_path(app).exists():
        return []
    engine = create_engine(_owner_url(app), poolclass=NullPool)
    try:
        with _reachable(_owner_url(app)), engine.connect() as connection:
            return tables_with_data(connection)
    finally:
        engine.dispose()


def _restore_files(app: Flask, root: Path, manifest: dict) -> list[str]:
    """Every file of the backup's sets back in its folder (files not in the backup stay)."""
    sets, skipped, notes = file_sets(app), set(), []
    for name in sorted(manifest["files"]):
        parts = PurePosixPath(name).parts
        if parts[0] != "files":
            continue
        if parts[1] not in sets:
            skipped.add(parts[1])
            continue
        _copy(root.joinpath(*parts), sets[parts[1]].joinpath(*parts[2:]))
    if skipped:
        notes.append(f"files of unknown sets not restored: {', '.join(sorted(skipped))}")
    return notes


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # replaces every page of the target in one write transaction
    except sqlite3.Error as error:
        raise BackupError(f"restoring into {target} failed ({error}): stop the app and the "
                          "jobs worker, then try again") from error
    finally:
        dst.close()
        src.close()


def _grant(app: Flask) -> list[str]:
    """pg_restore left the grants out; give them to the app's role again."""
    from tenants.rls import grant_app_role

    role = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).username
    owner = make_url(_owner_url(app)).username
    if not role or role == owner:
        return []
    engine = create_engine(_owner_url(app), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            existed = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                         {"r": role}).scalar()
            grant_app_role(connection, role)
    finally:
        engine.dispose()
    notes = [f"granted the app role {role} its table rights again"]
    if not existed:
        notes.append(f"the role {role} was created without a password: "
                     f"`flask tenants grant-app-role {role} --password ...`")
    return notes


def _tables_without_rls(app: Flask) -> list[str]:
    """Fund-owned tables that came back without their policy, or without FORCE."""
    from tenants.model import fund_owned_tables
    from tenants.rls import missing_policies

    engine = create_engine(_owner_url(app), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            missing = set(missing_policies(connection))
            forced = {name for name, in connection.execute(text(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relrowsecurity "
                "AND relforcerowsecurity AND relnamespace = 'public'::regnamespace"))}
    finally:
        engine.dispose()
    return sorted(missing | ({t.name for t in fund_owned_tables()} - forced))
