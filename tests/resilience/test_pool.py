"""The PostgreSQL pool pings a connection only after it sat idle; a dead one is never kept."""

from __future__ import annotations

import psycopg2
import pytest
from peewee import OperationalError

from app.db import make_database
from devkit.databases import is_postgres


@pytest.fixture
def pool(database_url):
    if not is_postgres(database_url):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    database = make_database(database_url, pool_size=2)
    yield database
    database.close_all()


def _backend(pool) -> int:
    pool.connect(reuse_if_open=True)
    (pid,) = pool.execute_sql("SELECT pg_backend_pid()").fetchone()
    pool.close()  # back to the pool, checked in just now
    return pid


def _kill(database_url: str, pid: int) -> None:
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(pool, database_url):
    pid = _backend(pool)
    assert _backend(pool) == pid  # the same connection, reused
    _kill(database_url, pid)
    # Not pinged: the first statement on it fails (a 503 for a request), and it is dropped.
    pool.connect()
    with pytest.raises(OperationalError):
        pool.execute_sql("SELECT 1")
    pool.close()
    assert _backend(pool) != pid


def test_an_idle_connection_is_pinged_and_replaced_when_dead(pool, database_url):
    pid = _backend(pool)
    _kill(database_url, pid)
    pool.PING_AFTER_IDLE = 0  # as if it had sat idle for long
    assert _backend(pool) != pid  # the ping found it dead: a fresh one, no error


def test_work_whose_connection_the_server_dropped_is_tried_again_on_a_new_one(app, database_url):
    """A worker task after PostgreSQL backends were terminated: retried, not an unhandled error."""
    if not is_postgres(database_url):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    from app.db import db, with_database

    def backend() -> int:
        return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]

    db.connect(reuse_if_open=True)
    pid = backend()
    _kill(database_url, pid)
    assert with_database(backend) != pid
