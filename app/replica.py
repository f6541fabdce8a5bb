"""Reports on the streaming replica: the queries inside `with reports_database():` read from the
replica (REPORTS_DATABASE_URL), so that a month's figures do not compete with dealers' orders on
the primary; they stay on the primary while no replica is configured, while it is down, and
while it is further behind than REPORTS_MAX_LAG_SECONDS.

A report service reads from it with one line; every query it makes, whichever module builds
it, goes to the replica (the staff member it checks was loaded from the primary by the request):

    @reports_database()
    def profit_report(staff, date_from, date_to, group_by): ...

or it wraps only part of its work in `with reports_database():`. Writes have no place inside: the
replica refuses them.

How far behind: nothing, when the replica has replayed everything the primary had written a
moment before (the usual case: streaming keeps up within milliseconds); else the time since the
last transaction it replayed was committed, which may overstate the lag and so errs towards the
primary. A server that is not a standby (a promoted replica, a wrong URL) is never read from. The
replica is PostgreSQL like the primary: the queries are built once for the primary's engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import Database
from prometheus_client import Counter, Gauge

from app.db import db, is_postgres, make_database

log = logging.getLogger(__name__)

READS = Counter(
    "dm_report_reads_total",
    "Reports by the database they read from, and why not the replica",
    ("database", "reason"),
)
LAG = Gauge(
    "dm_reports_replica_lag_seconds",
    "How far behind the primary the replica was when a report last asked",
    multiprocess_mode="mostrecent",
)


@dataclass
class _Replica:
    database: Database
    url: str
    max_lag_seconds: float


_replica: _Replica | None = None


def configure(url: str | None, max_lag_seconds: float, pool_size: int) -> None:
    """Reports read from the replica at `url` (None: from the primary). Once per process; a
    second call with the same URL keeps the pool."""
    global _replica
    if not url:
        _replica = None
        return
    if not is_postgres():
        raise RuntimeError("REPORTS_DATABASE_URL needs a PostgreSQL primary (DATABASE_URL)")
    if _replica is None or _replica.url != url:
        # A replica that does not answer within seconds is left for the primary.
        database = make_database(url, pool_size, connect_timeout=3)
        _replica = _Replica(database, url, float(max_lag_seconds))
    _replica.max_lag_seconds = float(max_lag_seconds)


@contextmanager
def reports_database() -> Iterator[None]:
    """Read from the replica inside, when it is up and close enough; else from the primary.
    Inside a transaction (a report a write depends on) the primary is kept: it has that
    transaction's own writes."""
    replica = _replica
    if replica is None:
        yield
        return
    if db.in_transaction():
        READS.labels("primary", "in_transaction").inc()
        yield
        return
    reason = _why_not(replica)
    if reason:
        READS.labels("primary", reason).inc()
        yield
        return
    READS.labels("replica", "").inc()
    try:
        with db.reading_from(replica.database):
            yield
    finally:
        if not replica.database.is_closed():
            replica.database.close()


def _why_not(replica: _Replica) -> str | None:
    """None when the replica may answer; else why not: `down`, `not_standby` or `lagging`."""
    try:
        (primary_lsn,) = db.execute_sql("SELECT pg_current_wal_lsn()::text").fetchone()
        replica.database.connect(reuse_if_open=True)
        standby, caught_up, since_last = replica.database.execute_sql(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            (primary_lsn,),
        ).fetchone()
    except Exception as exc:  # down, refusing, or dropped: the primary answers
        log.warning("reports: replica unavailable, reading from the primary: %s", exc)
        _discard(replica.database)
        return "down"
    if not standby:
        log.error("reports: REPORTS_DATABASE_URL is not a standby; reading from the primary")
        return "not_standby"
    lag = 0.0 if caught_up else float(since_last if since_last is not None else "inf")
    LAG.set(lag)
    if lag > replica.max_lag_seconds:
        log.warning("reports: replica %.1f s behind, reading from the primary", lag)
        return "lagging"
    return None


def _discard(database: Database) -> None:
    """A connection that failed must not go back to the pool."""
    try:
        if not database.is_closed():
            database.manual_close()
    except Exception:  # already gone
        log.debug("closing the replica's connection failed", exc_info=True)
