"""Reports on the replica (app/replica.py): queries inside `reports_database()` go to the
replica in that thread only; the primary answers while no replica is configured, while it is
down and when the URL is not a standby. Reading from a real streaming replica, and the lag
limit, are checked in the production stack (`make prod-check`)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from app import replica
from app.backoffice import reports
from app.core.models import Branch
from app.db import db, make_database
from devkit.databases import is_postgres
from devkit.servers import free_port


def reads(database: str, reason: str) -> float:
    return replica.READS.labels(database, reason)._value.get()


@pytest.fixture
def configured_replica(app):
    """configured_replica(url): reports read from `url` for the rest of the test."""
    yield lambda url: replica.configure(url, 30, 2)
    replica.configure(None, 30, 2)


def test_work_routed_to_another_database_stays_in_its_own_thread(app, fresh_database):
    other = make_database(fresh_database, pool_size=2)
    seen_elsewhere = []
    with db.reading_from(other):
        Branch.create_table()
        Branch.create(name="只在另一个库", code="ELSEWHERE")
        thread = threading.Thread(target=lambda: seen_elsewhere.append(Branch.select().count()))
        thread.start()
        thread.join()
        assert [b.name for b in Branch.select()] == ["只在另一个库"]
    assert Branch.select().count() == 0  # the primary never saw it
    assert seen_elsewhere == [0]  # nor did another thread meanwhile
    other.close()
    if hasattr(other, "close_all"):
        other.close_all()  # before the database is dropped


def test_without_a_replica_reports_read_from_the_primary(app, co):
    co.order()
    report = reports.sales_report(co.staff["admin"], _today(), _today(), "day")
    assert report["totals"]["orders"] == 1


def test_a_replica_that_is_down_leaves_reports_to_the_primary(
    app, co, database_url, configured_replica
):
    if not is_postgres(database_url):
        pytest.skip("a replica is PostgreSQL's (TEST_DATABASE_URL)")
    configured_replica(f"postgresql://postgres@127.0.0.1:{free_port()}/dealer_mall")
    co.order()
    before = reads("primary", "down")
    report = reports.sales_report(co.staff["admin"], _today(), _today(), "day")
    assert report["totals"]["orders"] == 1
    assert reads("primary", "down") == before + 1


def test_a_server_that_is_not_a_standby_is_never_read_as_the_replica(
    app, co, database_url, configured_replica
):
    """A promoted replica or a wrong URL would give figures that drift from the primary's."""
    if not is_postgres(database_url):
        pytest.skip("a replica is PostgreSQL's (TEST_DATABASE_URL)")
    configured_replica(database_url)
    co.order()
    before = reads("primary", "not_standby")
    assert reports.targets_report(co.staff["admin"], _today().strftime("%Y-%m"))["period"]
    assert reads("primary", "not_standby") == before + 1


def test_a_replica_needs_a_postgresql_primary(app, database_url):
    if is_postgres(database_url):
        pytest.skip("on SQLite only")
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        replica.configure("postgresql://postgres@127.0.0.1:5432/x", 30, 2)


def _today() -> dt.date:
    from app.timeutil import local_today

    return local_today()
