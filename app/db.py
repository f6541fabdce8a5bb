"""Database plumbing: the unbound proxy, the base model, money and time fields, and the URL → database factory."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

from peewee import BigIntegerField, DatabaseProxy, Model, SqliteDatabase, Value
from playhouse.db_url import parse as parse_db_url
from playhouse.pool import PooledPostgresqlDatabase

from app.money import CENT, to_fen

db = DatabaseProxy()


class MoneyField(BigIntegerField):
    """Money: `Decimal` in Python, integer fen in the database.

    Integers keep SQL-side arithmetic exact on both engines: SQLite would store a DECIMAL column
    as a float, and the guarded `UPDATE … WHERE limit - used >= amount` must never be off by a
    rounding error.
    """

    def db_value(self, value):
        return None if value is None else to_fen(value)

    def python_value(self, value):
        return None if value is None else (Decimal(int(value)) / 100).quantize(CENT)


def fen(amount) -> Value:
    """An amount as a SQL literal in fen, for expressions whose left side is not a MoneyField."""
    return Value(to_fen(amount), converter=False)


def utcnow() -> dt.datetime:
    """Naive UTC: stored as is on both engines and given its offset only when serialised."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def transaction():
    """The transaction of one service call (C4).

    A service called from another service joins the caller's transaction rather than opening a
    savepoint: the use case commits or rolls back as one, and hot rows are not held across extra
    SAVEPOINT round trips. A caller that wants to recover from a nested service's error and carry
    on must wrap that call in `db.atomic()` itself.
    """
    return nullcontext() if db.in_transaction() else db.atomic()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "cache_size": -16000,
}


def make_database(url: str, pool_size: int = 20):
    """Build the database for a URL: SQLite file (WAL) by default, pooled PostgreSQL in production."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # BEGIN IMMEDIATE: a writer takes the write lock up front and waits on busy_timeout,
        # instead of failing when it upgrades a read snapshot that another writer has moved past.
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=15)
    if scheme in ("postgres", "postgresql"):
        kwargs = parse_db_url(url)
        return PooledPostgresqlDatabase(
            kwargs.pop("database"),
            max_connections=pool_size,
            stale_timeout=300,
            timeout=30,
            **kwargs,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {scheme!r}")
