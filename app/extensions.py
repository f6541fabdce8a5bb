"""Extension singletons, created unbound here and initialised only in create_app."""

from __future__ import annotations

import redis as redis_lib

from app.db import db, make_database


class RedisHolder:
    """The shared Redis client, or None in the embedded default (no REDIS_URL)."""

    client: redis_lib.Redis | None = None

    def init_app(self, app) -> None:
        url = app.config.get("REDIS_URL")
        self.client = redis_lib.Redis.from_url(url, decode_responses=True) if url else None


redis = RedisHolder()


def init_db(app) -> None:
    """Bind the proxy once per process; a second app on the same URL reuses the same pool."""
    url = app.config["DATABASE_URL"]
    current = db.obj
    if current is None or getattr(current, "_dealer_mall_url", None) != url:
        database = make_database(url, app.config.get("DATABASE_POOL_SIZE", 20))
        database._dealer_mall_url = url
        db.initialize(database)


def init_extensions(app) -> None:
    init_db(app)
    redis.init_app(app)
