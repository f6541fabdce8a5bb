"""Watching the app run: every request gets an id (nginx's X-Request-ID, or one made here), which
the answer echoes and every log line of its work carries, one log line when it is answered, and
its latency in the metrics; /metrics serves them to Prometheus, for a token or the configured
networks only."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, g, request

from app import logs, metrics
from app.errors import Forbidden

log = logging.getLogger("app.requests")

bp = Blueprint("observability", __name__)

# Asked every few seconds by load balancers and Prometheus: logged only at DEBUG.
QUIET_ENDPOINTS = frozenset({"health.healthz", "observability.metrics_page"})


def init_observability(app: Flask, task_queue: Callable[[], object]) -> None:
    """Install the request hooks and /metrics. `task_queue()` gives the queue whose length
    /metrics reports (read only when scraped)."""
    metrics.configure(task_queue)
    app.extensions["metrics_networks"] = _networks(app.config["METRICS_ALLOW_FROM"])
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
    app.register_blueprint(bp)


def _networks(text: str) -> list:
    """METRICS_ALLOW_FROM as networks; a malformed entry stops the app at start-up."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part]


def _start() -> None:
    g.started = time.perf_counter()
    g.request_id = logs.accepted_request_id(request.headers.get("X-Request-ID"))
    g.request_id_token = logs.set_request_id(g.request_id)


def _finish(response: Response) -> Response:
    started = g.get("started")
    if started is None:  # a hook before ours answered
        return response
    elapsed = time.perf_counter() - started
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    metrics.REQUESTS.labels(endpoint, request.method, str(response.status_code)).observe(elapsed)
    response.headers["X-Request-ID"] = g.request_id
    log.log(
        logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO,
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1),
            "client": request.remote_addr,
        },
    )
    return response


def _forget(exc) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.reset_request_id(token)


def _may_read_metrics() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in network for network in current_app.extensions["metrics_networks"])


@bp.get("/metrics")
def metrics_page():
    """Prometheus' text format; 403 without the token and outside METRICS_ALLOW_FROM."""
    if not _may_read_metrics():
        raise Forbidden("没有权限查看运行指标")
    body, content_type = metrics.render(current_app.config["PROMETHEUS_MULTIPROC_DIR"])
    return Response(body, content_type=content_type)
