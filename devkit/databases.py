"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test session, dropped after."""

from __future__ import annotations

import logging
import re
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg2

from app.db import db, make_database


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql")


def _with_dbname(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _admin_connection(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _as_admin(base_url: str, statement: str) -> None:
    conn = _admin_connection(base_url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_database(base_url: str, tmp_dir) -> str:
    """A new, empty database; for PostgreSQL created next to the one base_url names."""
    if not is_postgres(base_url):
        return f"sqlite:///{tmp_dir}/dm-{uuid.uuid4().hex[:8]}.db"
    name = f"dm_test_{uuid.uuid4().hex[:12]}"
    _as_admin(base_url, f'CREATE DATABASE "{name}"')
    return _with_dbname(base_url, name)


def drop_database(base_url: str, url: str) -> None:
    if not is_postgres(url):
        return
    name = urlparse(url).path.lstrip("/")
    assert name.startswith("dm_test_"), name
    _as_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def close_connections() -> None:
    """Hand the app's database back: before servers start on it, and before it is dropped."""
    if db.obj is None:  # no app was made
        return
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def open_database(url: str):
    return make_database(url, pool_size=4)


def schema_of(database) -> dict:
    """Tables with their columns, indexes, foreign keys and CHECK constraints, comparable across DBs."""
    schema = {}
    for table in sorted(database.get_tables()):
        if table == "schema_migration":
            continue
        columns = sorted(
            (c.name, c.data_type.lower(), c.null, c.primary_key)
            for c in database.get_columns(table)
        )
        indexes = sorted(
            (tuple(i.columns), i.unique)
            for i in database.get_indexes(table)
            if not i.name.endswith("_pkey")
        )
        fks = sorted(
            (f.column, f.dest_table, f.dest_column) for f in database.get_foreign_keys(table)
        )
        schema[table] = {
            "columns": columns,
            "indexes": indexes,
            "foreign_keys": fks,
            "checks": sorted(_checks(database, table)),
        }
    return schema


def _normalise_check(text: str) -> str:
    text = re.sub(r"^CHECK\s*", "", text.strip())
    text = re.sub(r"[()\s]", "", text).lower()
    return text.replace("::bigint", "").replace("::integer", "")


def _checks(database, table: str) -> list[str]:
    if is_postgres_database(database):
        cursor = database.execute_sql(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'c' AND t.relname = %s",
            (table,),
        )
        return [_normalise_check(row[0]) for row in cursor.fetchall()]
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return [_normalise_check(m) for m in re.findall(r"CHECK \(([^()]*)\)", sql)]


def is_postgres_database(database) -> bool:
    return type(database).__name__.endswith("PostgresqlDatabase")


@contextmanager
def statements(with_params: bool = False):
    """The SQL statements peewee runs while inside (it logs each at DEBUG as (sql, params)):
    their SQL, or (`with_params`) each as logged. A statement sent with the COMMIT is logged as
    it is sent, bound already: its params are None."""
    found = []

    class Handler(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):
                found.append(record.msg if with_params else record.msg[0])

    logger = logging.getLogger("peewee")
    handler, level = Handler(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
