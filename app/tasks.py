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


@huey.task()
def deliver_notification_batch(notification_ids: list[int]) -> dict:
    """Deliver notifications handed over together (app/handoff.py), each on its own."""
    outcomes = {}
    for notification_id in notification_ids:
        try:
            outcomes[notification_id] = deliver_notification.call_local(notification_id)
        except Exception:  # one bad delivery must not hold back the rest; the sweep retries it
            log.exception("could not deliver notification %s", notification_id)
            outcomes[notification_id] = "error"
    return outcomes


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
    """Webhook deliveries handed over together (app/handoff.py), in the order they were made."""
    outcomes = {}
    for pk in delivery_pks:
        try:
            outcomes[pk] = deliver_webhook.call_local(pk)
        except Exception:  # the sweep retries it
            log.exception("could not deliver webhook %s", pk)
            outcomes[pk] = "error"
    return outcomes


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("deliver-webhooks")
def deliver_webhooks() -> dict:
    """Webhook deliveries due (retries after their backoff, anything not queued at commit)."""
    with db.connection_context():
        return webhooks.deliver_due()
