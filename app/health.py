"""Liveness and readiness for load balancers: each component named, never a 500.

200 `ok`; 200 `degraded` while Redis is away (the app keeps serving: limits counted in process,
sessions and the WeChat token kept in process, deliveries left to the sweep); 503 `down` without
the database.
"""

import logging

from flask import Blueprint

from app import outages
from app.db import db
from app.runtime import redis

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database() -> str:
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
    except Exception:
        log.exception("health: database unavailable")
        return "down"
    return "ok"


def _redis() -> str:
    if redis.client is None:
        return "not_configured"
    try:
        redis.client.ping()
    except Exception as exc:
        outages.redis.failed("health check", exc)
        return "down"
    outages.redis.ok()
    return "ok"


@bp.get("/healthz")
def healthz():
    components = {"database": _database(), "redis": _redis()}
    if components["database"] != "ok":
        return {"status": "down", "components": components}, 503
    status = "degraded" if components["redis"] == "down" else "ok"
    return {"status": status, "components": components}
