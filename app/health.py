"""Liveness and readiness for load balancers."""

from flask import Blueprint

from app.db import db
from app.runtime import redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    db.execute_sql("SELECT 1")
    if redis.client is not None:
        redis.client.ping()
    return {"status": "ok"}
