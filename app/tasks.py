"""Background tasks (huey): notification delivery. Thin: they open a database connection and call
services; no Flask app is built.

Run the worker with `make worker` (huey_consumer app.tasks.huey). The queue is RedisHuey when
REDIS_URL is set, else SqliteHuey in instance/ (the embedded default). Each worker sets up the
process-wide services (database, Redis, WeChat, notify settings) once at its start-up.
"""

from __future__ import annotations

import logging
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from app import housekeeping
from app.db import db
from app.integrations import webhooks
from app.notify import delivery
from app.runtime import init_services
from config import get_config

log = logging.getLogger(__name__)

_config = get_config()
if _config.REDIS_URL:
    huey = RedisHuey(f"{_config.REDIS_KEY_PREFIX}-tasks", url=_config.REDIS_URL)
else:
    Path(_config.INSTANCE_DIR).mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey("dealer-mall", filename=str(Path(_config.INSTANCE_DIR) / "tasks.db"))


@huey.on_startup()
def start_services() -> None:
    """Each worker thread or process runs this before its first task; it is safe to run at once."""
    init_services(_config)


def _each(task, ids: list[int]) -> dict:
    """Run `task` for each id handed over together (app/handoff.py), in order; one that fails
    does not hold back the rest (the sweep retries it)."""
    outcomes = {}
    for item_id in ids:
        try:
            outcomes[item_id] = task.call_local(item_id)
        except Exception:
            log.exception("%s failed for %s", task.func.__name__, item_id)
            outcomes[item_id] = "error"
    return outcomes


@huey.task()
def deliver_notification_batch(notification_ids: list[int]) -> dict:
    return _each(deliver_notification, notification_ids)


@huey.task()
def deliver_notification(notification_id: int) -> str:
    """Deliver one notification. One still pending afterwards (a retry after a failure, or held
    by another worker's lease) is queued again for the moment it is due, so a short WeChat outage
    drains within seconds of its backoff rather than at the next sweep."""
    with db.connection_context():
        outcome = delivery.deliver(notification_id)
        wait = delivery.seconds_until_due(notification_id) if outcome != "sent" else None
    if wait is not None:
        try:
            # A delay, not an eta: huey rounds an eta down to the second, which could run the
            # retry just before it is due (and then it would only be skipped).
            deliver_notification.schedule(args=(notification_id,), delay=wait + 0.5)
        except Exception:  # the sweep picks it up when due
            log.exception("could not schedule the retry of notification %s", notification_id)
    return outcome


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("deliver-due-notifications")
def deliver_due() -> dict:
    """The safety net: anything due (a retry, a worker that died, a lost enqueue) goes out here."""
    with db.connection_context():
        return delivery.deliver_due()


@huey.periodic_task(crontab(minute="17"))
def delete_expired() -> dict:
    """Hourly: browser sessions and callback nonces past their time (the embedded default keeps
    them in the database; Redis expires its own)."""
    with db.connection_context():
        return housekeeping.delete_expired()


@huey.task()
def deliver_webhook(delivery_pk: int) -> str:
    with db.connection_context():
        return webhooks.deliver(delivery_pk)


@huey.task()
def deliver_webhook_batch(delivery_pks: list[int]) -> dict:
    return _each(deliver_webhook, delivery_pks)


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("deliver-webhooks")
def deliver_webhooks() -> dict:
    """Webhook deliveries due (retries after their backoff, anything not queued at commit)."""
    with db.connection_context():
        return webhooks.deliver_due()
