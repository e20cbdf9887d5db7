"""Backups: `flask backup create` and `flask backup restore` (see docs/deploy.md).

A backup is a folder, or the same folder as a .tar.gz, holding:

- ``manifest.json``: when it was made, the app version, the database's Alembic revision and
  kind, the sha256 and size of every other file, and a summary of what the database held
  (ledger totals per fund, receipt count and digest, audit chains) to compare after a restore;
- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app runs) or
  ``database.pgdump`` (``pg_dump --format=custom`` as the tables' owner, one snapshot);
- ``files/<set>/...``: the uploaded files the database refers to (governance attachments,
  payout evidence) and the files made by background jobs.

Not in a backup: the background-job queue (huey's SQLite file or Redis; a queued job is lost,
its Job row stays), import uploads waiting for their preview to be committed (kept a day at
most), unsent mail in the outbox, and the secret key (keep SECRET_KEY with the server's
configuration; a restore under another key only signs everybody out).
"""


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""
