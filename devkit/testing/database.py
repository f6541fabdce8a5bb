"""Plugin: one real database per test session (a SQLite file by default, PostgreSQL when
TEST_DATABASE_URL names one), migrated once by the `app` fixture and emptied after every test."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from pathlib import Path

import pytest

from app.bootstrap import bootstrap
from app.core import product_images
from app.db import db
from app.mall import catalogue_cache
from app.models import MODELS
from config.settings import TestingConfig
from devkit.databases import (
    close_connections,
    create_database,
    drop_database,
    is_postgres,
    open_database,
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = TestingConfig.DATABASE_URL
    url = create_database(base, tmp_path_factory.mktemp("db"))
    yield url
    close_connections()
    drop_database(base, url)


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of a new, empty database of the suite's engine (no tables); dropped after the
    test."""
    url = create_database(TestingConfig.DATABASE_URL, tmp_path)
    yield url
    drop_database(TestingConfig.DATABASE_URL, url)


@pytest.fixture
def scratch_migrations(fresh_database):
    """(database, migration runner) on a database of its own, for a test that migrates rows
    written under an older schema; closed and dropped after the test."""
    from playhouse.migrations import Runner

    from app.cli import MIGRATIONS_DIR

    scratch = open_database(fresh_database)
    try:
        with scratch.connection_context():
            yield scratch, Runner(scratch, directory=str(MIGRATIONS_DIR))
    finally:
        if hasattr(scratch, "close_all"):
            scratch.close_all()


# When the rows a migration test writes under an older schema were written.
OLD_ROWS_AT = dt.datetime(2026, 11, 1, 8, 0)


class ScratchDatabase:
    """A database of its own for a migration test: taken `up` and `down` by migration name, rows
    written as an older schema had them with `insert`, read back with `sql`."""

    def __init__(self, database, runner):
        self.db, self.runner = database, runner

    def up(self, name: str) -> None:
        self.runner.up(name)

    def down(self, name: str) -> None:
        self.runner.down(name)

    def sql(self, query: str, params=()):
        return self.db.execute_sql(query, params)

    @property
    def param(self) -> str:
        """The engine's placeholder for a bound value in `sql` (? or %s)."""
        return self.db.param

    def insert(self, table: str, **values) -> None:
        """One row, every value bound as a parameter."""
        marks = ", ".join([self.db.param] * len(values))
        query = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})"
        self.sql(query, tuple(values.values()))

    def insert_product(self, sku: str, name: str, list_price: int, **columns) -> None:
        """A product with the columns every schema since 0001 has (sold by the 箱, no minimum,
        active, no picture), with `columns` over them (those a later schema added)."""
        row = dict(sku=sku, name=name, unit="箱", pack_size=1, min_qty=1, step=1)
        row.update(list_price=list_price, image="", active=True)
        row.update(created_at=OLD_ROWS_AT, updated_at=OLD_ROWS_AT)
        self.insert("product", **{**row, **columns})

    def columns(self, table: str) -> list[str]:
        return [c.name for c in self.db.get_columns(table)]

    def tables(self) -> list[str]:
        return self.db.get_tables()


@pytest.fixture
def scratch_db(scratch_migrations):
    """A ScratchDatabase on the scratch_migrations database: what a migration test uses."""
    return ScratchDatabase(*scratch_migrations)


def empty_tables(database_url: str) -> None:
    """Every table emptied, the migrated schema kept (and on PostgreSQL the ids restarted)."""
    tables = [m._meta.table_name for m in reversed(MODELS)]
    if is_postgres(database_url):
        _empty_postgres_tables(tuple(tables))
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")  # outside a transaction, as SQLite requires
        with db.atomic():
            for table in tables:
                db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")


# A test leaves rows in a few of the tables: emptying only those, by DELETE, takes a few
# milliseconds where a TRUNCATE of every table took about 360 (docs/testing.md).
_RESTART_USED_SEQUENCES = (
    "SELECT setval(format('%%I.%%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences"
    " WHERE last_value IS NOT NULL AND format('%%I.%%I', schemaname, sequencename) = ANY(%s)"
)


def _empty_postgres_tables(tables: tuple[str, ...]) -> None:
    """The tables that hold rows emptied (foreign keys unchecked: every row goes) and every
    sequence of the tables that has given an id since it was last restarted set back to its
    start, so that ids restart with every test as TRUNCATE … RESTART IDENTITY made them."""
    used = {row[0] for row in db.execute_sql(_tables_with_rows(tables)).fetchall()}
    with db.atomic():
        db.execute_sql("SET LOCAL session_replication_role = replica")
        for table in tables:
            if table in used:
                db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql(_RESTART_USED_SEQUENCES, [list(_sequences_of(tables))])


@functools.cache
def _tables_with_rows(tables: tuple[str, ...]) -> str:
    """One statement that names the tables holding a row."""
    return " UNION ALL ".join(
        f"""SELECT '{table}' WHERE EXISTS (SELECT 1 FROM "{table}")""" for table in tables
    )


@functools.cache
def _sequences_of(tables: tuple[str, ...]) -> tuple[str, ...]:
    """The sequences that give the tables' ids, as schema-qualified names."""
    found = db.execute_sql(
        "SELECT s.seq FROM unnest(%s::text[]) AS t(name),"
        " LATERAL (SELECT pg_get_serial_sequence(quote_ident(t.name), a.attname) AS seq"
        " FROM pg_attribute a WHERE a.attrelid = quote_ident(t.name)::regclass"
        " AND a.attnum > 0 AND NOT a.attisdropped) s WHERE s.seq IS NOT NULL",
        [list(tables)],
    ).fetchall()
    return tuple(name for (name,) in found)


@pytest.fixture(autouse=True)
def clean_db(request):
    """Every test that touches the database starts from empty tables (migrated schema kept)."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    # Rate-limit counters of its own: ids restart with every test, so one test's orders or
    # logins as dealer 1 would otherwise count against the next test's within the minute.
    shared, _ = application.extensions["rate_limits"]
    prefix = f"{application.config['RATELIMIT_KEY_PREFIX']}-{uuid.uuid4().hex[:8]}"
    application.extensions["rate_limits"] = (shared, prefix)
    db.connect(reuse_if_open=True)
    yield
    if not db.is_closed() and db.in_transaction():
        db.rollback()
    empty_tables(request.getfixturevalue("database_url"))
    db.close()
    # Tables emptied behind the services' back: no catalogue page cached before is right now.
    catalogue_cache.bump()
    catalogue_cache.clear()
    _restore_process_services(application)


def _restore_process_services(application) -> None:
    """A test that built an app of its own (other settings) set the process-wide services from
    it; the next test gets the suite's back. Told by the product pictures' store, the one such
    service whose setting (UPLOAD_DIR) those tests change: a picture stored by a test is served
    by gunicorn from the suite's folder."""
    store = product_images.storage()
    if getattr(store, "root", None) != Path(application.config["UPLOAD_DIR"]):
        bootstrap(application.config)
