"""Backups and restores of the whole database: pg_dump's custom format for PostgreSQL, SQLite's
online backup API for the embedded default (a consistent copy while the app keeps writing).

A restore goes only into an empty database (a new one, or a new SQLite file): it never mixes a
backup into live data, and it is all or nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse, urlunparse

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


def backup(database_url: str, to: Path) -> Path:
    """Write a backup of the database at `database_url` to the file `to`; returns it."""
    to.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(database_url):
        _sqlite_copy(_sqlite_path(database_url), str(to))
    else:
        _run_pg("pg_dump", database_url, ["--format=custom", f"--file={to}"])
    return to


def restore(backup_file: Path, database_url: str) -> None:
    """Load `backup_file` into the empty database at `database_url`.

    Raises: BackupError (no such file, a backup of the other engine, a database not empty)."""
    if not backup_file.is_file():
        raise BackupError(f"no backup at {backup_file}")
    with backup_file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if _is_sqlite(database_url):
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{backup_file} is not a SQLite backup")
        path = _sqlite_path(database_url)
        if _sqlite_has_tables(path):
            raise BackupError(f"{path} is not empty; restore into a new file")
        _sqlite_copy(str(backup_file), path)
        return
    if not head.startswith(PG_MAGIC):
        raise BackupError(f"{backup_file} is not a pg_dump custom-format backup")
    tables = _run_pg(
        "psql",
        database_url,
        [
            "--tuples-only",
            "--no-align",
            "--command",
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        ],
    )
    if int(tables.strip() or 0):
        raise BackupError("the database is not empty; restore into a new database")
    _run_pg(
        "pg_restore",
        database_url,
        [
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(backup_file),
        ],
    )


def _is_sqlite(url: str) -> bool:
    return urlparse(url).scheme == "sqlite"


def _sqlite_path(url: str) -> str:
    if "sqlite:///" not in url or url.endswith(":memory:"):
        raise BackupError("an in-memory database has nothing to back up")
    return url.split("sqlite:///", 1)[1]


def _sqlite_copy(source_path: str, target_path: str) -> None:
    """SQLite's online backup: a consistent copy, page by page, while others keep writing."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _sqlite_has_tables(path: str) -> bool:
    if not Path(path).exists():
        return False
    with sqlite3.connect(path) as conn:
        return (
            conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            > 0
        )


def _run_pg(program: str, database_url: str, args: list[str]) -> str:
    """Run a PostgreSQL client program against the database; the password goes through the
    environment, never the command line (which `ps` shows to everyone)."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    parts = urlparse(database_url)
    env = dict(os.environ)  # the client programs' own settings (PATH, PGSSLMODE ...) pass through
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        parts = parts._replace(netloc=f"{user}@{netloc[1]}")
    result = subprocess.run(  # noqa: S603 - a PostgreSQL client, the configured database
        [executable, f"--dbname={urlunparse(parts)}", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")
    return result.stdout
