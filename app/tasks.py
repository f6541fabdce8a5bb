"""Background tasks (huey): notification delivery. Thin: they open an app context and call services.

Run the worker with `make worker` (huey_consumer app.tasks.huey). The queue is RedisHuey when
REDIS_URL is set, else SqliteHuey in instance/ (the embedded default).
"""

from __future__ import annotations

from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from config import get_config

_config = get_config()
if _config.REDIS_URL:
    huey = RedisHuey(f"{_config.REDIS_KEY_PREFIX}-tasks", url=_config.REDIS_URL)
else:
    Path(_config.INSTANCE_DIR).mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey("dealer-mall", filename=str(Path(_config.INSTANCE_DIR) / "tasks.db"))

_app = None


def _app_context():
    """The app is built on first use in the worker, not at import (no import-time side effects)."""
    global _app
    if _app is None:
        from app import create_app

        _app = create_app(_config)
    return _app.app_context()


@huey.task()
def deliver_notification(notification_id: int) -> str:
    from app.db import db
    from app.notify import delivery

    with _app_context(), db.connection_context():
        return delivery.deliver(notification_id)


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("deliver-due-notifications")
def deliver_due() -> dict:
    """The safety net: anything due (a retry, a worker that died, a lost enqueue) goes out here."""
    from app.db import db
    from app.notify import delivery

    with _app_context(), db.connection_context():
        return delivery.deliver_due()
