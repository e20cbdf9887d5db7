"""pg_dump and pg_restore (Debian's postgresql-client): found, version-checked, run.

Both run as the tables' owner (MIGRATION_DATABASE_URL). The fund-owned tables FORCE row-level
security, which binds their owner too, so the dump asks for every row the way the app's system
scope does: ``shanlin.all=on`` in the session's options, with row security left on. (The app's
own role could read every row that way as well, but it owns no table: a dump it made could not
be restored with the schema, the policies and the triggers.)
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from . import BackupError

# Every row, as the system scope sees them (tenants/rls.py reads this setting).
_SEE_ALL = "-c shanlin.all=on"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client "
                          "(its major version must be at least the server's)")
    return path


def tool_version(name: str) -> tuple[int, str]:
    """(15, "15.20") for pg_dump 15.20."""
    output = subprocess.run([tool(name), "--version"], capture_output=True, text=True,
                            check=True).stdout
    match = re.search(r"\)\s+(\d+)(?:\.(\d+))?", output)
    if match is None:
        raise BackupError(f"cannot read the version of {name}: {output.strip()}")
    return int(match[1]), match[0].lstrip(") ").strip()


def server_version(connection: Connection) -> tuple[int, str]:
    number = int(connection.execute(text("SHOW server_version_num")).scalar())
    full = str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    return number // 10000, full


def check_dump_version(client: tuple[int, str], server: tuple[int, str]) -> None:
    """pg_dump refuses a server of a newer major version; say so before trying."""
    if client[0] < server[0]:
        raise BackupError(
            f"pg_dump {client[1]} cannot dump PostgreSQL {server[1]}: pg_dump must be of the "
            f"server's major version or newer. Install postgresql-client-{server[0]} (from "
            "apt.postgresql.org) or run the backup on the database server.")


def check_restore_version(client: tuple[int, str], dumped_by: str) -> None:
    """pg_restore cannot read an archive written by a newer pg_dump."""
    major = int(dumped_by.split(".")[0])
    if client[0] < major:
        raise BackupError(
            f"this backup was written by pg_dump {dumped_by}; pg_restore {client[1]} cannot "
            f"read it. Install postgresql-client-{major} or newer.")


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URI without the password (it goes in PGPASSWORD, not on the command line)."""
    parsed = make_url(url)
    env = {**os.environ, "PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {_SEE_ALL}".strip()}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return uri, env


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        message = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BackupError(f"{what} failed:\n{message}")


def dump(owner_url: str, snapshot: str, destination: Path) -> None:
    """The whole database, as of the exported snapshot, in pg_dump's custom format."""
    uri, env = _libpq(owner_url)
    _run([tool("pg_dump"), "--format=custom", "--enable-row-security",
          f"--snapshot={snapshot}", f"--file={destination}", f"--dbname={uri}"], env, "pg_dump")


def restore(owner_url: str, source: Path) -> None:
    """Into the owner's database, in one transaction: on any error nothing is changed.

    --no-owner: the objects belong to whoever restores (the owner of this server's database).
    --no-privileges: the grants named the old server's app role; the caller grants again."""
    uri, env = _libpq(owner_url)
    _run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--dbname={uri}", str(source)], env, "pg_restore")
