"""The web application's composition root: create_app(config) builds the services (app.bootstrap),
the extensions, the blueprints of every surface, error handlers and commands."""

from __future__ import annotations

import logging

from flask import Flask, request

from app.bootstrap import bootstrap
from app.db import db
from app.extensions import init_extensions
from app.runtime import redis
from app.web_sessions import init_sessions
from config import get_config


def create_app(config=None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
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
    register_db_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def _worker_handoff():
    """Committed outbox items go to the worker's queue (built from the same settings)."""
    from app.worker import handoff

    return handoff.put


def register_db_hooks(app: Flask) -> None:
    in_memory = app.config["DATABASE_URL"].endswith(":memory:")

    @app.before_request
    def _connect():
        # The health check opens its own connection, so it can report a database that is down.
        if not in_memory and request.endpoint != "health.healthz":
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not in_memory and not db.is_closed():
            db.close()


def register_blueprints(app: Flask) -> None:
    import callbacks
    import h5
    import miniprogram_api
    from admin import api as admin_api
    from admin import console
    from app.api import init_api
    from app.health import bp as health_bp

    app.register_blueprint(health_bp)
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
