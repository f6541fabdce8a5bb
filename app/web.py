"""The web application's composition root: create_app(config) builds the services (app.bootstrap),
the extensions, the blueprints of every surface, error handlers and commands."""

from __future__ import annotations

import logging
import os
import types

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.bootstrap import bootstrap
from app.db import db, is_postgres
from app.extensions import init_extensions
from app.runtime import redis
from app.web_sessions import init_sessions
from config import get_config


class DealerMallFlask(Flask):
    """Flask, asking once per function whether a view or hook is a coroutine: Flask asks it of
    every hook on every request (`ensure_sync`), which cost an order about 1 % of its CPU
    (docs/performance.md, entry 22). A function found plain is remembered; anything else
    (a coroutine, a bound method) goes through Flask's own check each time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions: set = set()

    def ensure_sync(self, func):
        if type(func) is not types.FunctionType:
            return super().ensure_sync(func)
        if func not in self._plain_functions:
            made = super().ensure_sync(func)
            if made is not func:
                return made
            self._plain_functions.add(func)
        return func


def create_app(config=None) -> Flask:
    app = DealerMallFlask(__name__, instance_relative_config=False)
    if config is None:
        config = get_config()
    elif isinstance(config, str):
        config = get_config(config)
    else:
        config.validate()
    app.config.from_object(config)
    app.json.ensure_ascii = False
    bootstrap(app.config, handoff=_worker_handoff() if app.config["NOTIFY_ENQUEUE"] else None)
    init_extensions(app)
    init_sessions(app, redis.client)
    register_proxy(app)
    register_observability(app)
    register_db_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def _worker_handoff():
    """Committed outbox items go to the worker's queue (built from the same settings)."""
    from app.worker import hand_over

    return hand_over


def register_proxy(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT proxies the client's address and scheme come from the last that
    many X-Forwarded-For/-Proto entries (those the proxies wrote); what a client writes there
    itself is never believed. Rate limits, the sign-in audit and the logs all read
    request.remote_addr, so all of them see the real client. A body a view did not read is read
    after it (app/http.py: drain_unread_body), so the proxy gets the app's answer."""
    from app.http import drain_unread_body

    hops = app.config["TRUSTED_PROXY_COUNT"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.teardown_request(drain_unread_body)


def register_observability(app: Flask) -> None:
    """Request ids, request log lines and /metrics; registered before the database hook so that
    a request the database refuses is logged and counted too."""
    from app.observability import init_observability

    init_observability(app, task_queue=_task_queue)


def _task_queue():
    from app.worker import huey

    return huey


def register_db_hooks(app: Flask) -> None:
    """A request's database connection. PostgreSQL: one from the pool, handed back when the
    request ends. SQLite: each thread keeps its own connection from one request to the next
    (opening one runs the pragmas, and costs more than most requests' queries); WAL lets the
    threads' connections read beside one writer, busy_timeout queues writers, and a connection
    holds no snapshot between transactions, so keeping it open blocks no checkpoint. A request
    that ends with a transaction still open (it never should) rolls it back and closes."""
    in_memory = app.config["DATABASE_URL"].endswith(":memory:")
    keep = not in_memory and not is_postgres()
    process = os.getpid()

    @app.before_request
    def _connect():
        # The health check opens its own connection, so it can report a database that is down.
        if in_memory or request.endpoint == "health.healthz":
            return
        if keep and os.getpid() != process:
            _forget_inherited_connection()
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if in_memory or db.is_closed():
            return
        if keep and not db.in_transaction():
            return
        if db.in_transaction():
            db.rollback()
        db.close()


def _forget_inherited_connection() -> None:
    """In a forked worker, a connection this thread's state names was opened by the parent:
    never used or closed here (SQLite forbids sharing one across a fork), only forgotten."""
    state = db.obj._state
    if state.conn is not None and getattr(state, "pid", None) != os.getpid():
        state.reset()
    state.pid = os.getpid()


def register_blueprints(app: Flask) -> None:
    import callbacks
    import h5
    import miniprogram_api
    from admin import api as admin_api
    from admin import console
    from app.api import init_api
    from app.health import bp as health_bp
    from app.media import bp as media_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(media_bp)
    callbacks.register(app)
    api = init_api(app)
    miniprogram_api.register(api)
    admin_api.register(api)
    console.register(app)
    h5.register(app)


def register_error_handlers(app: Flask) -> None:
    from app.http import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_commands as register

    register(app)


logging.getLogger("peewee").setLevel(logging.INFO)
