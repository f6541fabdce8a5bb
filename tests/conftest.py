"""Fixtures: one real database per test session (SQLite file by default, PostgreSQL when
TEST_DATABASE_URL names one), migrated with the project's migrations, wiped after every test."""

from __future__ import annotations

import uuid

import pytest

from app import create_app
from app.db import db
from app.mall import catalogue_cache
from app.models import MODELS
from config.settings import TestingConfig
from devkit.databases import create_database, drop_database, is_postgres
from devkit.servers import Gunicorn, SandboxServer

# Chromium for the pages: the browser, a WeChat phone and the console at a desk.
pytest_plugins = ["tests.browsers"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = TestingConfig.DATABASE_URL
    url = create_database(base, tmp_path_factory.mktemp("db"))
    yield url
    if db.obj is not None:  # None when no test of the session made an app
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
    drop_database(base, url)


@pytest.fixture(scope="session")
def sandbox():
    """The WeChat sandbox over real HTTP; reset before each test that uses it."""
    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_config(database_url, tmp_path_factory, sandbox):
    instance = tmp_path_factory.mktemp("instance")

    class Config(TestingConfig):
        DATABASE_URL = database_url
        INSTANCE_DIR = str(instance)
        DATABASE_POOL_SIZE = 80
        WECHAT_API_BASE_URL = sandbox.url
        WECHAT_OPEN_BASE_URL = sandbox.url
        # Generous by default; the rate-limit tests tighten them for themselves.
        RATELIMIT_LOGIN = "1000 per minute"
        RATELIMIT_ORDERS = "1000 per minute"
        RATELIMIT_KEY_PREFIX = f"dm-test-{uuid.uuid4().hex[:8]}"

    return Config


@pytest.fixture(scope="session")
def app(app_config):
    application = create_app(app_config)
    from app.cli import upgrade_database

    upgrade_database()
    return application


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


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
    tables = [m._meta.table_name for m in reversed(MODELS)]
    if is_postgres(request.getfixturevalue("database_url")):
        db.execute_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")  # outside a transaction, as SQLite requires
        with db.atomic():
            for table in tables:
                db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")
    db.close()
    # Tables emptied behind the services' back: no catalogue page cached before is right now.
    catalogue_cache.bump()
    catalogue_cache.clear()


@pytest.fixture
def client(app, sandbox):
    sandbox.state.reset()
    return app.test_client()


@pytest.fixture(scope="session")
def gunicorn(app, database_url, sandbox):
    """The app under gunicorn, several worker processes, on the same database and sandbox."""
    env = {
        "APP_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "WECHAT_API_BASE_URL": sandbox.url,
        "WECHAT_OPEN_BASE_URL": sandbox.url,
        "RATELIMIT_LOGIN": "100000 per minute",
        "RATELIMIT_ORDERS": "100000 per minute",
        "DATABASE_POOL_SIZE": "8",
        # One key prefix for every worker process: they share sessions and the WeChat token.
        "REDIS_KEY_PREFIX": app.config["REDIS_KEY_PREFIX"],
    }
    if app.config.get("REDIS_URL"):
        env["TEST_REDIS_URL"] = app.config["REDIS_URL"]
    server = Gunicorn(env).start()
    yield server
    server.stop()
