"""The worker's composition root (huey): the task queue, the tasks, and each outbox sink's own pool
of sending threads. No Flask app is built.

    huey_consumer app.worker.huey --workers 2 --worker-type thread

The queue is RedisHuey when REDIS_URL is set, else SqliteHuey in instance/ (the embedded default).
Every worker process runs app.bootstrap once at start-up. Tasks only hand items to the sink's
pool: a slow receiver of one sink (a webhook answering in 12 s) occupies that sink's threads,
never the queue's or another sink's, so a dealer's WeChat message never waits behind it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from app import housekeeping, outbox
from app.bootstrap import SINKS, bootstrap
from app.db import with_database
from app.handoff import Handoff, task_queue
from app.logs import current_request_id, request_id_bound
from app.payments import tasks as payment_tasks
from app.shops import download as shop_download
from config import get_config

log = logging.getLogger(__name__)

_config = get_config()
if _config.REDIS_URL:
    huey = RedisHuey(f"{_config.REDIS_KEY_PREFIX}-tasks", url=_config.REDIS_URL)
else:
    Path(_config.INSTANCE_DIR).mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey("dealer-mall", filename=str(Path(_config.INSTANCE_DIR) / "tasks.db"))


def _enqueue(items: list[tuple[str, outbox.ItemRef, str | None]]) -> None:
    """Many committed outbox items in one round trip per sink: one task each, carrying the id of
    the request that wrote each item."""
    by_sink: dict[str, tuple[list[outbox.ItemRef], list[str | None]]] = defaultdict(
        lambda: ([], [])
    )
    for sink_name, item_id, request_id in items:
        ids, request_ids = by_sink[sink_name]
        ids.append(item_id)
        request_ids.append(request_id)
    for sink_name, (ids, request_ids) in by_sink.items():
        deliver_batch(sink_name, ids, request_ids)


# Committed items reach the queue from a background thread, off the request's path.
handoff = Handoff("outbox", _enqueue)


def hand_over(item: tuple[str, outbox.ItemRef]) -> None:
    """Queue a committed outbox item (sink name, id or key) with the id of the request, or the task,
    that wrote it: its delivery logs under the same id."""
    handoff.put((*item, current_request_id()))


@huey.on_startup()
def start_services() -> None:
    """Each worker thread or process runs this before its first task; it is safe to run at once."""
    bootstrap(_config, handoff=hand_over)


# --- each sink's own threads ----------------------------------------------------------------------

_pools: dict[str, ThreadPoolExecutor] = {}
_pools_pid: int | None = None
_pools_lock = threading.Lock()


def _pool(sink: outbox.Sink) -> ThreadPoolExecutor:
    """The sink's sending threads in this process (threads do not survive a fork)."""
    global _pools_pid
    with _pools_lock:
        if _pools_pid != os.getpid():
            _pools.clear()
            _pools_pid = os.getpid()
        if sink.name not in _pools:
            _pools[sink.name] = ThreadPoolExecutor(sink.concurrency, f"outbox-{sink.name}")
        return _pools[sink.name]


def _deliver(sink: outbox.Sink, item_id: outbox.ItemRef, request_id: str | None = None) -> None:
    """Deliver one item, logging under the id of the request that wrote it; one that failed is
    queued again for the moment its retry is due, so an outage drains within seconds of its
    backoff rather than at the next sweep."""
    with request_id_bound(request_id):
        try:
            outcome = with_database(outbox.deliver, sink, item_id)
            # Skipped (not due, held by another worker, already sent) says little: DEBUG only.
            log.log(logging.DEBUG if outcome == "skipped" else logging.INFO, "%s %s: %s",
                    sink.name, item_id, outcome)  # fmt: skip
            wait = None
            if outcome == "retry":
                wait = with_database(outbox.seconds_until_due, sink, item_id)
        except Exception:
            log.exception("%s %s: delivery failed; the sweep will retry it", sink.name, item_id)
            return
        if wait is not None:
            try:
                # A delay, not an eta: huey rounds an eta down to the second, which could run the
                # retry just before it is due (and then it would only be skipped).
                deliver_batch.schedule(args=(sink.name, [item_id], [request_id]), delay=wait + 0.5)
            except Exception as exc:  # the sweep picks it up when due
                task_queue.failed(f"scheduling the retry of {sink.name} {item_id}", exc)
            else:
                task_queue.ok()


_sweeping: set[str] = set()  # sinks whose sweep is queued or running in this process


def _sweep(sink: outbox.Sink) -> None:
    try:
        counts = with_database(outbox.deliver_due, sink)
        if counts:
            log.info("swept %s: %s", sink.name, counts)
    except Exception:
        log.exception("sweeping %s failed", sink.name)
    finally:
        _sweeping.discard(sink.name)


# --- tasks --------------------------------------------------------------------------------------


@huey.task()
def deliver_batch(
    sink_name: str, item_ids: list[outbox.ItemRef], request_ids: list[str | None] | None = None
) -> None:
    """Hand committed items (by id, or by their sink's key) to their sink's threads, in order,
    each with its request's id."""
    sink = SINKS[sink_name]
    for item_id, request_id in zip(item_ids, request_ids or [None] * len(item_ids), strict=True):
        _pool(sink).submit(_deliver, sink, item_id, request_id)


@huey.periodic_task(crontab(minute="*"))
def deliver_due() -> None:
    """The safety net: anything due (a retry, a worker that died, a lost hand-over) goes out,
    each sink in its own threads."""
    for sink in SINKS.values():
        if sink.name not in _sweeping:  # a slow sweep is not queued again behind itself
            _sweeping.add(sink.name)
            _pool(sink).submit(_sweep, sink)


@huey.periodic_task(crontab(minute="17"))
def delete_expired() -> dict:
    """Hourly: browser sessions and callback nonces past their time (the embedded default keeps
    them in the database; Redis expires its own)."""
    return with_database(housekeeping.delete_expired)


@huey.periodic_task(crontab(minute="*"))
def sync_shops() -> None:
    """Every minute: each active shop whose last download is SHOP_SYNC_SECONDS old downloads
    new and changed orders, each shop in a task of its own."""
    every = dt.timedelta(seconds=_config.SHOP_SYNC_SECONDS)
    for shop_id in with_database(shop_download.due_shops, every):
        sync_shop(shop_id)


@huey.task()
def sync_shop(shop_id: int) -> None:
    """A bounded part of one shop's download; the rest is queued behind other work. Shops
    downloading more often than once a minute schedule their next turn themselves."""
    if not with_database(shop_download.run_in_worker, shop_id):
        sync_shop(shop_id)
    elif _config.SHOP_SYNC_SECONDS < 60:
        sync_shop.schedule(args=(shop_id,), delay=_config.SHOP_SYNC_SECONDS)


@huey.periodic_task(crontab(minute="*"))
def settle_payments() -> dict:
    """WeChat Pay asked about payments it has not told us of (as it advises) and refunds not
    finished: paid ones credited once, expired ones closed."""
    return with_database(payment_tasks.settle_due)


# 10:30 to 14:30 Beijing time (huey's crontab is UTC): WeChat Pay makes yesterday's bill from
# 9:00 and advises fetching it after 10:00; a fetch that failed is tried again the next hour.
@huey.periodic_task(crontab(minute="30", hour="2-6"))
def fetch_trade_bill() -> str:
    """Yesterday's trade bill, its hash checked and reconciled; finance hears of a mismatch."""
    return with_database(payment_tasks.fetch_yesterday)
