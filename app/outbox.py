"""The outbox engine: what a transaction writes to an outbox table goes out after it commits, at
least once, retried with backoff and dead-lettered visibly after the last try (invariant 4).

An outbox table has `status` (`pending` until delivered), `attempts`, `next_attempt_at`,
`last_error` and `created_at`. A **sink** names its table and knows how to send one item and read the answer
(a WeChat message, a webhook POST, a platform write-back, a stock push); everything else is here:

* claiming: a worker takes an item by pushing `next_attempt_at` forward by the sink's lease in one
  guarded UPDATE, so two workers never send it at once, and one that dies just lets the lease run
  out — the next sweep delivers it;
* order per key: with `in_order_by`, an item is not sent while an earlier item with the same key
  is still pending (a webhook's deliveries of one order go out in order);
* backoff and dead letters: a failed send is due again after the sink's backoff schedule; after
  the last try it is `dead` until someone redelivers it;
* the hand-off: once the writing transaction commits, each new item is handed to the task queue
  (through the process's hand-off thread, app/handoff.py); whatever is not handed over is found
  by the periodic sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from peewee import Case, CharField, DateTimeField, IntegerField, fn

from app.db import BaseModel, db, utcnow

log = logging.getLogger(__name__)


class OutboxRow(BaseModel):
    """The columns this engine keeps on every outbox table (each table adds its `status` and
    what its sink sends); a model of no table of its own."""

    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)
    last_error = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)


PENDING = "pending"
DEAD = "dead"


@dataclass(frozen=True)
class Sent:
    """A send that worked. `status` is the item's final status (the sink's `delivered` status by
    default; a sink may finish otherwise, e.g. a notification no channel could reach); `changes`
    are further columns to write (a receipt reference, a response code)."""

    status: str | None = None
    changes: dict = field(default_factory=dict)


class Failed(Exception):
    """A send that did not work and may work later: retried after the backoff, dead after the
    last try. `changes` are columns to write all the same (the receiver's status code)."""

    def __init__(self, error: str, **changes):
        super().__init__(error)
        self.error = error
        self.changes = changes


@dataclass(frozen=True)
class Sink:
    """Where one kind of outbox item goes: the table, how to send one item, and its schedule."""

    name: str
    model: type
    send: Callable[[object], Sent]
    delivered: str = "delivered"
    lease: dt.timedelta = dt.timedelta(seconds=60)
    backoff: tuple[int, ...] = (10, 30, 120, 600, 1800)
    in_order_by: tuple[str, ...] = ()
    # How many of this sink's items one worker process sends at once: a slow receiver of one
    # sink can never hold up another sink's items.
    concurrency: int = 4
    # A unique column that names an item before its id is known: a writer whose insert went
    # with the COMMIT, its id never read, hands the item over by it (`written`).
    key: str = ""

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1


# --- writing: the hand-off after commit -------------------------------------------------------

# An item as it is handed over: its id, or the value of its sink's `key` column.
ItemRef = int | str

_handoff: Callable[[tuple[str, ItemRef]], None] | None = None


def configure(handoff: Callable[[tuple[str, ItemRef]], None] | None) -> None:
    """How committed items reach the task queue (app.bootstrap sets it; None: only the sweep)."""
    global _handoff
    _handoff = handoff


def written(sink: Sink, item: ItemRef) -> None:
    """An item was written in the current transaction, named by its id or by its sink's `key`:
    hand it to the queue once that commits (a rolled-back transaction sends nothing)."""
    handoff = _handoff
    if handoff is not None:
        db.after_commit(lambda: handoff((sink.name, item)))


def _named(sink: Sink, item: ItemRef):
    model = sink.model
    return model.id == item if isinstance(item, int) else getattr(model, sink.key) == item


# --- delivering -----------------------------------------------------------------------------------


def _blocked_by_earlier(sink: Sink, item) -> bool:
    model = sink.model
    same_key = [getattr(model, name) == item.__data__[name] for name in sink.in_order_by]
    return (
        model.select().where((model.status == PENDING) & (model.id < item.id), *same_key).exists()
    )


def deliver(sink: Sink, item_id: ItemRef) -> str:
    """Send one item (by id, or by its sink's `key`) if it is pending, due, not held by another
    worker and not behind an earlier one; returns what became of it: the final status, `retry`,
    `dead` or `skipped`."""
    model = sink.model
    now = utcnow()
    item = model.get_or_none(_named(sink, item_id))
    if item is None or item.status != PENDING or item.next_attempt_at > now:
        return "skipped"
    if sink.in_order_by and _blocked_by_earlier(sink, item):
        return "skipped"
    claimed = (
        model.update(attempts=model.attempts + 1, next_attempt_at=now + sink.lease)
        .where((model.id == item.id) & (model.status == PENDING) & (model.next_attempt_at <= now))
        .execute()
    )
    if not claimed:
        return "skipped"
    item.attempts += 1
    try:
        outcome = sink.send(item)
    except Failed as failure:
        return _retry_or_bury(sink, item, failure.error, failure.changes)
    except Exception as exc:  # anything unexpected: retried like a failure, never lost
        log.exception("%s %s: sending failed", sink.name, item_id)
        return _retry_or_bury(sink, item, f"{type(exc).__name__}: {exc}", {})
    status = outcome.status or sink.delivered
    model.update(status=status, **outcome.changes).where(model.id == item.id).execute()
    return status


def retry_later(sink: Sink, item, error: str) -> str:
    """For a sink whose one send carries other items it claimed itself (stock pushes batched
    per shop): `item`, claimed with its attempt counted, did not go through — due again after
    the backoff, dead after the last try, as if it had been sent alone."""
    return _retry_or_bury(sink, item, error, {})


def _retry_or_bury(sink: Sink, item, error: str, changes: dict) -> str:
    model = sink.model
    error = error[:500]
    if item.attempts >= sink.max_attempts:
        log.error("%s %s dead after %s attempts: %s", sink.name, item.id, item.attempts, error)
        model.update(status=DEAD, last_error=error, **changes).where(model.id == item.id).execute()
        return DEAD
    delay = sink.backoff[item.attempts - 1]
    model.update(
        next_attempt_at=utcnow() + dt.timedelta(seconds=delay), last_error=error, **changes
    ).where(model.id == item.id).execute()
    log.warning(
        "%s %s attempt %s failed, retry in %ss: %s", sink.name, item.id, item.attempts, delay, error
    )
    return "retry"


def due_ids(sink: Sink, limit: int = 200) -> list[int]:
    """Pending items due now, oldest first (so items of one key go out in order)."""
    model = sink.model
    query = (
        model.select(model.id)
        .where((model.status == PENDING) & (model.next_attempt_at <= utcnow()))
        .order_by(model.id)
        .limit(limit)
    )
    return [row.id for row in query]


def deliver_due(sink: Sink, limit: int = 200) -> dict[str, int]:
    """The sweep: every item due now, in batches of `limit`, until a batch sends nothing new
    (each is claimed before it is sent, so a batch never repeats one)."""
    counts: dict[str, int] = {}
    while True:
        batch = due_ids(sink, limit)
        progressed = False
        for item_id in batch:
            outcome = deliver(sink, item_id)
            counts[outcome] = counts.get(outcome, 0) + 1
            progressed = progressed or outcome != "skipped"
        if len(batch) < limit or not progressed:
            return counts


def seconds_until_due(sink: Sink, item_id: ItemRef) -> float | None:
    """How long until a pending item is next due (0 if it is); None once it is settled."""
    model = sink.model
    item = model.get_or_none(_named(sink, item_id) & (model.status == PENDING))
    if item is None:
        return None
    return max((item.next_attempt_at - utcnow()).total_seconds(), 0.0)


@dataclass(frozen=True)
class Backlog:
    """What a sink has not delivered (for monitoring): items pending, those among them whose
    last try failed, dead letters, and how long the oldest pending item has waited."""

    pending: int
    failing: int
    dead: int
    oldest_pending_seconds: float


def backlog(sink: Sink) -> Backlog:
    model = sink.model
    failed_before = Case(None, [(model.last_error != "", 1)], 0)
    pending, failing, oldest = (
        model.select(fn.COUNT(model.id), fn.SUM(failed_before), fn.MIN(model.created_at))
        .where(model.status == PENDING)
        .tuples()
        .get()
    )
    dead = model.select(fn.COUNT(model.id)).where(model.status == DEAD).scalar()
    waited = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(int(pending), int(failing or 0), int(dead), max(waited, 0.0))


def redeliver(sink: Sink, item_id: int, from_statuses: Iterable[str]) -> bool:
    """Send an item again from scratch (a dead letter once the receiver is back); False when it
    is not in one of `from_statuses` any more."""
    model = sink.model
    updated = (
        model.update(status=PENDING, attempts=0, next_attempt_at=utcnow())
        .where((model.id == item_id) & (model.status << list(from_statuses)))
        .execute()
    )
    if updated:
        written(sink, item_id)
    return bool(updated)
