"""flask backup create [PATH] and flask backup restore PATH [--yes]."""

import sys
from pathlib import Path

import click
from flask import Blueprint, current_app

from . import BackupError, services
from .summary import describe

bp = Blueprint("backup", __name__, cli_group="backup")


@bp.cli.command("create")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def create(path):
    """Back up the database and the uploaded files to PATH: a new folder, or a file ending
    in .tar.gz (default: var/backups/shanlin-<UTC time>.tar.gz)."""
    try:
        made = services.create(current_app._get_current_object(), path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = made.manifest
    files = len(manifest["files"]) - 1
    click.echo(f"Backup written to {made.path}")
    click.echo(f"  {manifest['database']['kind']} database at migration "
               f"{manifest['alembic_revision']}, {files} uploaded or generated files")
    for line in describe(made.summary):
        click.echo(f"  {line}")


@bp.cli.command("restore")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already holds data.")
def restore(path, yes):
    """Restore the backup at PATH into this app's database and folders (stop the app and the
    jobs worker first). Every file is checked against the manifest before anything changes."""
    try:
        done = services.restore(current_app._get_current_object(), path, replace=yes)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = done.manifest
    click.echo(f"Restored the backup of {manifest['created_at']} "
               f"(Shanlin {manifest['app_version']}, migration {manifest['alembic_revision']}).")
    click.echo("Verification, read back through the app:")
    for line in describe(done.found):
        click.echo(f"  {line}")
    files = done.files
    click.echo(f"  Receipt PDFs: {files.receipt_files} stored, "
               f"{len(files.receipt_files_wrong)} differ from their sha256")
    click.echo(f"  Uploaded files: {files.uploads} referenced, "
               f"{len(files.uploads_missing)} missing")
    if manifest["database"]["kind"] == "postgresql":
        click.echo(f"  Row-level security: {'in force' if not done.unprotected else 'MISSING'} "
                   "on every fund-owned table")
    same = done.found.comparable() == done.expected.comparable()
    click.echo(f"  Same figures as when the backup was made: {'yes' if same else 'NO'}")
    for note in done.notes:
        click.echo(f"Note: {note}")
    if done.problems:
        for problem in done.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        sys.exit(1)
