"""Plugin: one real database per test session (a SQLite file by default, PostgreSQL when
TEST_DATABASE_URL names one), migrated once by the `app` fixture and emptied after every test."""

from __future__ import annotations

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


def empty_tables(database_url: str) -> None:
    """Every table emptied, the migrated schema kept (and on PostgreSQL the ids restarted)."""
    tables = [m._meta.table_name for m in reversed(MODELS)]
    if is_postgres(database_url):
        db.execute_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")  # outside a transaction, as SQLite requires
        with db.atomic():
            for table in tables:
                db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")


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
