"""Database plumbing: the unbound proxy, the base model, money and time fields, and the URL → database factory."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import operator
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from peewee import (
    SQL,
    BigIntegerField,
    Database,
    DatabaseProxy,
    ForeignKeyField,
    InterfaceError,
    Model,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
    Value,
    __exception_wrapper__,
    fn,
)
from playhouse.db_url import parse as parse_db_url
from playhouse.pool import PooledPostgresqlDatabase

from app.errors import NotFound
from app.money import CENT, COST_PLACE, to_cost_units, to_fen
from app.timeutil import end_of_local_day_utc, start_of_local_day_utc

T = TypeVar("T")

log = logging.getLogger(__name__)

_routed: ContextVar[Database | None] = ContextVar("routed_database", default=None)


class RoutingDatabaseProxy(DatabaseProxy):
    """The database every model uses: the primary bound at start-up, or, inside
    `reading_from(other)`, `other` for the work this thread (context) does meanwhile. Other
    threads keep the primary; this is how reports read from a replica (app/replica.py)."""

    __slots__ = DatabaseProxy.__slots__  # the parent's __setattr__ checks the class's own

    def __getattr__(self, attr):
        target = _routed.get()
        if target is None:
            target = self.obj
        if target is None:
            raise AttributeError("Cannot use uninitialized Proxy.")
        return getattr(target, attr)

    @contextmanager
    def reading_from(self, database: Database) -> Iterator[None]:
        token = _routed.set(database)
        try:
            yield
        finally:
            _routed.reset(token)


db = RoutingDatabaseProxy()


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


class CostField(BigIntegerField):
    """A unit cost or a stock value: `Decimal` with 4 places in Python, an integer of 0.0001 yuan
    in the database, so that a stock row's value stays exactly the sum of its movements' values
    (invariant 9) on both engines."""

    def db_value(self, value):
        return None if value is None else to_cost_units(value)

    def python_value(self, value):
        return None if value is None else (Decimal(int(value)) / 10000).quantize(COST_PLACE)


def fen(amount) -> Value:
    """An amount as a SQL literal in fen, for expressions whose left side is not a MoneyField."""
    return Value(to_fen(amount), converter=False)


def utcnow() -> dt.datetime:
    """Naive UTC: stored as is on both engines and given its offset only when serialised.

    `datetime.replace` with a keyword costs several times a whole `now()` on CPython 3.11, and
    every new row takes this default: the aware time's date and clock are joined again instead
    (Python 3.12 deprecates `datetime.utcnow()`, which would be quicker still)."""
    now = dt.datetime.now(dt.UTC)
    return dt.datetime.combine(now.date(), now.time())


def execute_with_commit(sql: str, params, *, owns_transaction: bool) -> None:
    """Run a write whose answer the caller never reads. On PostgreSQL, when the caller opened
    the outermost transaction itself (`owns_transaction`: it was not in one before; a savepoint
    inside someone else's transaction does not count), the write goes with the COMMIT (one round
    trip less) and its error raises from the caller's commit, rolling everything back; otherwise
    it runs now."""
    if owns_transaction and is_postgres() and db.transaction_depth() == 1:
        db.with_commit(placeholders(sql), params)
    else:
        execute(sql, params)


def transaction():
    """The transaction of one service call (C4).

    A service called from another service joins the caller's transaction rather than opening a
    savepoint: the use case commits or rolls back as one, and hot rows are not held across extra
    SAVEPOINT round trips. A caller that wants to recover from a nested service's error and carry
    on must wrap that call in `db.atomic()` itself.
    """
    return nullcontext() if db.in_transaction() else db.atomic()


BUSINESS_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving


def local_day(field):
    """The Asia/Shanghai date of a stored (naive UTC) timestamp, in SQL, on either engine."""
    if isinstance(db.obj, PostgresqlDatabase):
        return fn.DATE(field + SQL(f"INTERVAL '{BUSINESS_OFFSET_HOURS} hours'"))
    return fn.DATE(field, f"+{BUSINESS_OFFSET_HOURS} hours")


def where_given(query, filters: Mapping, **columns):
    """`query` narrowed to `column == filters[name]` for each `name=column` that `filters` gives a
    value (a missing, empty or zero filter narrows nothing): a list's optional filters."""
    for name, column in columns.items():
        if filters.get(name):
            query = query.where(column == filters[name])
    return query


def matching(query, q: str | None, *columns):
    """`query` narrowed to the rows where any of `columns` contains `q` (none given: narrows
    nothing): a list's search box, e.g. a name or a code."""
    if q:
        query = query.where(functools.reduce(operator.or_, (c.contains(q) for c in columns)))
    return query


def within_local_days(query, column, date_from: dt.date | None, date_to: dt.date | None):
    """`query` narrowed to the rows whose stored (naive UTC) timestamp `column` falls on the
    Asia/Shanghai days from `date_from` through `date_to`, either end left open when not given."""
    if date_from:
        query = query.where(column >= start_of_local_day_utc(date_from))
    if date_to:
        query = query.where(column < end_of_local_day_utc(date_to))
    return query


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def placeholders(sql: str) -> str:
    """SQL written with `%s` placeholders, in the bound engine's style (SQLite's are `?`)."""
    return sql if db.param == "%s" else _placeholders(sql, db.param)


def execute(sql: str, params=()):
    """Run SQL written with `%s` placeholders on either engine."""
    return db.execute_sql(placeholders(sql), params)


@functools.cache
def _placeholders(sql: str, param: str) -> str:
    return sql.replace("%s", param)


@functools.cache
def _insert_sql(model, columns: tuple[str, ...], rows: int, returning: bool) -> str:
    names = ", ".join(f'"{model._meta.fields[c].column_name}"' for c in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = f' RETURNING "{model._meta.primary_key.column_name}"' if returning else ""
    return (
        f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ' + ", ".join([row] * rows) + tail
    )


def insert_rows(
    model, rows: list[dict], *, returning: bool = False, with_commit: bool = False
) -> list[int]:
    """Insert rows as `Model.insert_many` would (field defaults filled, values converted by their
    fields), with the SQL text built once per shape: on the hot paths, building SQL in the ORM
    costs more than the database does. With `returning`, the new ids in row order. With
    `with_commit`, rows nothing reads back before the transaction ends go with its COMMIT on
    PostgreSQL when it is the outermost one (`execute_with_commit`); else they go in now."""
    sql, params = _insert_statement(model, rows, returning)
    if with_commit:
        execute_with_commit(sql, params, owns_transaction=True)
        return []
    cursor = execute(sql, params)
    return [r[0] for r in cursor.fetchall()] if returning else []


def insert_groups(*groups: tuple[type, list[dict]]) -> list[list[int]]:
    """Insert each (model, rows) group as `insert_rows` does, and give back each group's new ids
    in row order ([] for a group with no rows). On PostgreSQL every group goes in one statement
    (data-modifying WITHs: one round trip, not one a group); on SQLite one statement a group."""
    present = [(i, model, rows) for i, (model, rows) in enumerate(groups) if rows]
    ids: list[list[int]] = [[] for _ in groups]
    if not is_postgres() or len(present) == 1:
        for i, model, rows in present:
            ids[i] = insert_rows(model, rows, returning=True)
        return ids
    parts, params = [], []
    for i, model, rows in present:
        sql, values = _insert_statement(model, rows, True)
        parts.append(f"g{i} AS ({sql})")
        params.extend(values)
    # Ids from one multi-row insert rise in row order: sorting each group's ids keeps that order.
    union = " UNION ALL ".join(f"SELECT {i}, * FROM g{i}" for i, _, _ in present)
    sql = f"WITH {', '.join(parts)} {union} ORDER BY 1, 2"
    for group, new_id in execute(sql, params).fetchall():
        ids[group].append(new_id)
    return ids


class _ParentId:
    def __repr__(self) -> str:
        return "PARENT_ID"


# Where a row `insert_family` inserts gives the id of the parent row inserted with it.
PARENT_ID = _ParentId()
# On PostgreSQL that id is read in the statement itself, from the parent's WITH.
_PARENT_ID_SQL = "(SELECT id FROM p)"


def insert_family(parent_sql: str, parent_params, *groups: tuple[type, list[dict]]):
    """A parent row and groups of rows that refer to it: `parent_sql` is an INSERT … RETURNING
    whose first column is the new `id`, and a group's rows give PARENT_ID where that id goes.
    Answers the parent's returned row as a dict, and each group's new ids as `insert_groups`
    does. On PostgreSQL the parent and every group are one statement (the parent a
    data-modifying WITH whose id the rows read); on SQLite the parent goes in first."""
    if not is_postgres():
        cursor = execute(parent_sql, parent_params)
        parent = dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))
        given = [
            (model, [_parent_id_in(row, parent["id"]) for row in rows]) for model, rows in groups
        ]
        return parent, insert_groups(*given)
    parts, params, union = [f"p AS ({parent_sql})"], list(parent_params), ""
    for i, (model, rows) in enumerate(groups):
        if rows:
            sql, values = _insert_statement(model, rows, True, _PARENT_ID_SQL)
            parts.append(f"g{i} AS ({sql})")
            params.extend(values)
            union += f" UNION ALL SELECT {i}, id, NULL FROM g{i}"
    # Ids from one multi-row insert rise in row order: sorting each group's ids keeps that order.
    sql = f"WITH {', '.join(parts)} SELECT -1, id, to_jsonb(p) FROM p{union} ORDER BY 1, 2"
    parent, ids = None, [[] for _ in groups]
    for group, new_id, row in execute(sql, params).fetchall():
        if group < 0:
            parent = row
        else:
            ids[group].append(new_id)
    return parent, ids


def _parent_id_in(row: dict, parent_id: int) -> dict:
    return {k: parent_id if v is PARENT_ID else v for k, v in row.items()}


def _insert_statement(
    model, rows: list[dict], returning: bool, parent_id_sql: str | None = None
) -> tuple[str, list]:
    """The INSERT of `rows` and its parameters. On PostgreSQL the rows go as one parameter, a
    JSON array the statement reads with `json_populate_recordset` (`_insert_json`): psycopg2
    adapts every parameter by itself, at some microseconds each, and a row of a dozen columns
    cost more to hand over than to insert (docs/performance.md). There a column whose rows give
    PARENT_ID (insert_family) reads `parent_id_sql`; SQLite's insert_family puts the id in first."""
    given = tuple(rows[0])
    columns, converters, defaults = _insert_shape(model, given)
    values = [
        [
            v if v is PARENT_ID else convert(v)  # insert_family writes the parent's id itself
            for convert, v in zip(
                converters,
                [row[c] for c in given] + [d() if callable(d) else d for d in defaults],
                strict=True,
            )
        ]
        for row in rows
    ]
    if is_postgres():
        return _insert_json(model, columns, values, returning, parent_id_sql)
    return _insert_sql(model, columns, len(rows), returning), [v for row in values for v in row]


def _insert_json(
    model, columns: tuple[str, ...], values: list[list], returning: bool, parent_id_sql
) -> tuple[str, list]:
    """`_insert_statement` on PostgreSQL: the rows as a JSON array of objects keyed by column,
    in row order (the ids a serial column gives rise in it, as from VALUES)."""
    parent = tuple(value is PARENT_ID for value in values[0])
    if any(parent) and parent_id_sql is None:
        raise ValueError("PARENT_ID is for rows insert_family inserts with their parent")
    names = _column_names(model, columns)
    carried = [i for i, is_parent in enumerate(parent) if not is_parent]
    rows = _ROWS_JSON.encode([{names[i]: row[i] for i in carried} for row in values])
    return _insert_json_sql(model, columns, parent, returning, parent_id_sql), [rows]


def _json_value(value):
    """What `json.dumps` cannot write itself, as text PostgreSQL reads into the column's type."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into an insert's JSON rows")


_ROWS_JSON = json.JSONEncoder(default=_json_value, ensure_ascii=False, separators=(",", ":"))


@functools.cache
def _column_names(model, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(model._meta.fields[c].column_name for c in columns)


@functools.cache
def _insert_json_sql(
    model, columns: tuple[str, ...], parent: tuple[bool, ...], returning: bool, parent_id_sql
) -> str:
    names = _column_names(model, columns)
    table = model._meta.table_name
    read = ", ".join(
        parent_id_sql if is_parent else f'r."{name}"'
        for name, is_parent in zip(names, parent, strict=True)
    )
    tail = f' RETURNING "{model._meta.primary_key.column_name}"' if returning else ""
    quoted = ", ".join(f'"{name}"' for name in names)
    return (
        f'INSERT INTO "{table}" ({quoted}) SELECT {read}'
        f' FROM json_populate_recordset(NULL::"{table}", %s) WITH ORDINALITY AS r'
        f" ORDER BY r.ordinality{tail}"
    )


@functools.cache
def _insert_shape(model, given: tuple[str, ...]) -> tuple[tuple, tuple, tuple]:
    """For rows giving these fields: the columns an insert writes (the given ones, then the
    other fields that have a default), each column's db_value, and those defaults."""
    meta = model._meta
    defaulted = tuple(
        name
        for name, field in meta.fields.items()
        if name not in given and field is not meta.primary_key and field.default is not None
    )
    columns = given + defaulted
    converters = tuple(meta.fields[c].db_value for c in columns)
    return columns, converters, tuple(meta.fields[c].default for c in defaulted)


def columns_of(model, alias: str) -> str:
    """A model's columns in field order, for a SELECT whose rows `from_row` turns back into it."""
    return ", ".join(f'{alias}."{f.column_name}"' for f in model._meta.sorted_fields)


def made(model, /, **values):
    """`model(**values)`: the new instance peewee's constructor makes (its defaults first,
    every field given or defaulted dirty, a row given for a foreign key kept as its
    instance), without a descriptor call for each field, for the rows an order makes. A name
    that is not a field (`order_id`) is set as the constructor sets it."""
    instance = model.__new__(model)
    data = model._meta.get_default_dict()
    instance.__data__, instance.__rel__ = data, {}
    fields, related = model._meta.fields, _related_models(model)
    others = []
    for name, value in values.items():
        if name not in fields:
            others.append(name)
        elif name in related and isinstance(value, related[name][0]):
            data[name] = getattr(value, related[name][1])
            instance.__rel__[name] = value
        else:
            data[name] = value
    instance._dirty = set(data)
    for name in others:
        setattr(instance, name, values[name])
    return instance


@functools.cache
def _related_models(model) -> dict[str, tuple[type, str]]:
    """Each foreign key's name: the model it refers to and the field of it that it holds."""
    return {
        name: (field.rel_model, field.rel_field.name)
        for name, field in model._meta.fields.items()
        if isinstance(field, ForeignKeyField)
    }


def from_row(model, values):
    """A model instance from its columns in field order, each converted as the ORM converts it.

    With `columns_of`, SQL written once stands in for a query the ORM would build and map on
    every request (on the hot paths, both cost more than the database does). The instance is
    made as the ORM makes one it read (every field set, none dirty), without going through
    each field's descriptor."""
    instance = model.__new__(model)
    instance.__data__ = {
        name: None if value is None else convert(value)
        for (name, convert), value in zip(_converters(model), values, strict=True)
    }
    instance._dirty = set()
    instance.__rel__ = {}
    return instance


@functools.cache
def _converters(model) -> tuple[tuple[str, Callable], ...]:
    """(field name, the field's python_value) for each column `columns_of` lists."""
    return tuple((f.name, f.python_value) for f in model._meta.sorted_fields)


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


class PingWhenIdlePostgresqlDatabase(PooledPostgresqlDatabase):
    """The pool, checking a connection with a round trip (`SELECT 1`) only when it has sat idle
    long enough for the server or a firewall to have dropped it; and a transaction's BEGIN sent
    with its first statement.

    peewee's pool pings on every check-out: one more round trip per request, on every request,
    while a busy pool's connections were in use a moment ago. A connection that died anyway
    fails its request with 503 (retried safely with the same Idempotency-Key) and is discarded.

    peewee sends BEGIN on its own as a transaction opens: a round trip that carries nothing. Here
    it goes in front of the transaction's first statement instead ("BEGIN; …": one query
    string, so the statement runs inside the transaction, as it would after a BEGIN of its
    own); a transaction that ran no statement sends neither BEGIN nor COMMIT. Every statement
    goes through `_execute_cursor` (peewee's queries, `execute`, savepoints); the app opens no
    cursor of its own. Likewise a write whose answer nobody reads may go with the COMMIT
    (`execute_with_commit`).
    """

    PING_AFTER_IDLE = 10.0  # seconds

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_in: dict[int, float] = {}
        self._begin_pending = threading.local()
        self._with_commit = threading.local()

    def begin(self, isolation_level=None):
        if isolation_level is None and self._isolation_level is None and not self.query_hooks:
            # Connected now, as peewee's own BEGIN would be: a connection made later, inside the
            # transaction, would reset the transactions peewee keeps for it.
            self.cursor()
            self._begin_pending.value = True
        else:
            super().begin(isolation_level)

    def _execute_cursor(self, sql, params, **cursor_options):
        if not getattr(self._begin_pending, "value", False):
            return super()._execute_cursor(sql, params, **cursor_options)
        self._begin_pending.value = False
        self._log_query(sql, params)  # the statement, as peewee logs it; BEGIN never was
        with __exception_wrapper__:
            cursor = self.cursor(**cursor_options)
            cursor.execute(f"BEGIN; {sql}", params or ())
        return cursor

    def with_commit(self, sql: str, params) -> None:
        """Send `sql` in front of the transaction's COMMIT, in its query string: for a write
        whose answer the transaction never reads. Its error (a unique row taken meanwhile)
        raises from the commit, which then rolls the whole transaction back."""
        statement = self.cursor().mogrify(sql, params).decode()  # bound here, as execute would
        self._with_commit.__dict__.setdefault("statements", []).append(statement)

    def commit(self):
        statements = self._with_commit.__dict__.pop("statements", [])
        begin = getattr(self._begin_pending, "value", False)
        self._begin_pending.value = False
        if not statements:
            if not begin:  # else nothing ran: nothing to commit
                super().commit()
            return
        for statement in statements:
            self._log_query(statement, None)
        with __exception_wrapper__:
            self.cursor().execute("; ".join(["BEGIN"] * begin + statements + ["COMMIT"]))

    def rollback(self):
        self._with_commit.__dict__.pop("statements", None)
        if getattr(self._begin_pending, "value", False):
            self._begin_pending.value = False
            return
        super().rollback()

    def _can_reuse(self, conn):
        self._checked_in[id(conn)] = time.monotonic()
        return super()._can_reuse(conn)

    def _close_raw(self, conn):
        self._checked_in.pop(id(conn), None)
        super()._close_raw(conn)

    def _is_closed(self, conn):
        if conn.closed:
            self._checked_in.pop(id(conn), None)
            return True
        idle = time.monotonic() - self._checked_in.get(id(conn), float("-inf"))
        return idle >= self.PING_AFTER_IDLE and super()._is_closed(conn)


def make_database(url: str, pool_size: int = 20, **connect_options):
    """Build the database for a URL: SQLite file (WAL) by default, pooled PostgreSQL in production
    (`connect_options` go to the driver, e.g. connect_timeout)."""
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
        return PingWhenIdlePostgresqlDatabase(
            kwargs.pop("database"),
            max_connections=pool_size,
            stale_timeout=300,
            timeout=30,
            **kwargs,
            **connect_options,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {scheme!r}")


def or_not_found(found: T | None, message: str, **details) -> T:
    """`found` (the row a `get_or_none` or `.first()` looked up), or NotFound(`message`,
    `details`) raised when there is none."""
    if found is None:
        raise NotFound(message, **details)
    return found


def guarded_add(column, row_id: int, qty: int, ceiling, **also):
    """`column += qty` on one row only while it stays within `ceiling` (an expression over the
    same row), with `also` (further columns set in the same UPDATE): one guarded statement, so
    concurrent writers can never push it past the ceiling.

    Returns None when it was added, else the row as it is now (for the error that says why).
    """
    model = column.model
    changes = {column: column + qty, **{getattr(model, k): v for k, v in also.items()}}
    updated = (
        model.update(changes).where((model.id == row_id) & (column + qty <= ceiling)).execute()
    )
    return None if updated else model.get_by_id(row_id)


def with_database(work: Callable, *args, attempts: int = 3):
    """Run `work` on a database connection of its own; a connection the server dropped
    (PostgreSQL restarted, a backend terminated) is thrown away and the work tried again on a
    new one, instead of the task dying."""
    for attempt in range(1, attempts + 1):
        try:
            with db.connection_context():
                return work(*args)
        except (OperationalError, InterfaceError) as exc:
            _discard_connection()
            if attempt == attempts:
                raise
            log.warning("database connection lost (%s), trying again", exc)
            time.sleep(0.2 * attempt)
    return None


def _discard_connection() -> None:
    try:
        if hasattr(db.obj, "manual_close"):
            db.obj.manual_close()  # a pooled connection that failed must not go back to the pool
        elif not db.is_closed():
            db.close()
    except Exception:  # already gone
        log.debug("closing a lost connection failed", exc_info=True)
