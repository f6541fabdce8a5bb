"""Plugin: the app under test and the real parts beside it — the WeChat sandbox over HTTP, the
app under gunicorn, SMS through the sandbox, an ERP's webhook receiver."""

from __future__ import annotations

import dataclasses
import threading
import uuid

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from app import create_app
from app.notify import settings as notify_settings
from config.settings import TestingConfig
from devkit.sandbox import wechatpay
from devkit.servers import Gunicorn, SandboxServer, free_port


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """The WeChat sandbox (and WeChat Pay's, with keys made for this session) over real HTTP;
    reset before each test that uses it."""
    server = SandboxServer(pay_keys=tmp_path_factory.mktemp("wechatpay")).start()
    yield server
    server.stop()


def wechatpay_settings(sandbox, notify_url: str) -> dict[str, str]:
    """The merchant account the sandbox knows, with its keys, notifications sent to `notify_url`."""
    keys = sandbox.state.pay.keys
    return {
        "WECHATPAY_MCHID": wechatpay.MCHID,
        "WECHATPAY_BASE_URL": sandbox.url,
        "WECHATPAY_PRIVATE_KEY_PATH": str(keys / wechatpay.KEY_FILES["merchant_key"]),
        "WECHATPAY_CERT_SERIAL_NO": wechatpay.MERCHANT_SERIAL,
        "WECHATPAY_APIV3_KEY_PATH": str(keys / wechatpay.KEY_FILES["apiv3_key"]),
        "WECHATPAY_VERIFY_MODE": "public_key",
        "WECHATPAY_PUBLIC_KEY_PATH": str(keys / wechatpay.KEY_FILES["platform_public"]),
        "WECHATPAY_PUBLIC_KEY_ID": wechatpay.PUBLIC_KEY_ID,
        "WECHATPAY_NOTIFY_URL": notify_url,
    }


@pytest.fixture(scope="session")
def app_config(database_url, tmp_path_factory, sandbox):
    instance = tmp_path_factory.mktemp("instance")
    # Where the app under test is served over HTTP for WeChat Pay's notifications (app_server).
    notify_port = free_port()

    class Config(TestingConfig):
        NOTIFY_PORT = notify_port
        DATABASE_URL = database_url
        INSTANCE_DIR = str(instance)
        UPLOAD_DIR = str(instance / "uploads")  # the suite's own, shared with gunicorn
        DATABASE_POOL_SIZE = 80
        WECHAT_API_BASE_URL = sandbox.url
        WECHAT_OPEN_BASE_URL = sandbox.url
        SHOP_API_BASE_URL = sandbox.url
        WAYBILL_API_BASE_URL = sandbox.url
        # Generous by default; the rate-limit tests tighten them for themselves.
        RATELIMIT_LOGIN = "1000 per minute"
        RATELIMIT_ORDERS = "1000 per minute"
        RATELIMIT_KEY_PREFIX = f"dm-test-{uuid.uuid4().hex[:8]}"

    notify_url = f"http://127.0.0.1:{notify_port}/api/pay/wechatpay/notify"
    for key, value in wechatpay_settings(sandbox, notify_url).items():
        setattr(Config, key, value)
    return Config


@pytest.fixture(scope="session")
def app(app_config):
    application = create_app(app_config)
    from app.cli import upgrade_database

    upgrade_database()
    return application


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app, sandbox):
    sandbox.state.reset()
    return app.test_client()


def app_env(app, sandbox, **settings: str) -> dict[str, str]:
    """Settings for a process that runs the app beside the tests (gunicorn, a worker): the
    tests' secret and sandbox, rate limits out of the way, Redis keys of its own unless
    `settings` (the database, Redis, anything else) say otherwise."""
    return {
        "APP_ENV": "testing",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "WECHAT_API_BASE_URL": sandbox.url,
        "WECHAT_OPEN_BASE_URL": sandbox.url,
        "SHOP_API_BASE_URL": sandbox.url,
        "WAYBILL_API_BASE_URL": sandbox.url,
        "RATELIMIT_LOGIN": "100000 per minute",
        "RATELIMIT_ORDERS": "100000 per minute",
        "DATABASE_POOL_SIZE": "8",
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "REDIS_KEY_PREFIX": f"dm-test-{uuid.uuid4().hex[:8]}",
        **settings,
    }


def database_and_redis(app, database_url) -> dict[str, str]:
    """The tests' own database, and their Redis when they run with one."""
    found = {"TEST_DATABASE_URL": database_url}
    if app.config.get("REDIS_URL"):
        found["TEST_REDIS_URL"] = app.config["REDIS_URL"]
    return found


@pytest.fixture(scope="session")
def gunicorn(app, database_url, sandbox):
    """The app under gunicorn, several worker processes, on the same database and sandbox."""
    env = app_env(
        app,
        sandbox,
        **database_and_redis(app, database_url),
        # One key prefix with the tests' app: they share sessions and the WeChat token.
        REDIS_KEY_PREFIX=app.config["REDIS_KEY_PREFIX"],
    )
    server = Gunicorn(env)
    server.env.update(wechatpay_settings(sandbox, f"{server.url}/api/pay/wechatpay/notify"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sms(app, sandbox):
    """SMS goes to the sandbox's SMS stand-in, over HTTP (Tencent Cloud's SDK, to the stand-in)."""
    old = notify_settings.current()
    endpoint = sandbox.url.removeprefix("http://")
    notify_settings.configure(
        dataclasses.replace(old, sms_provider="tencent", sms_endpoint=endpoint)
    )
    yield
    notify_settings.configure(old)


class Receiver:
    """An ERP's webhook endpoint: records every request; refuses the first `fail_first`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_first = 0
        app = Flask("receiver")

        @app.post("/hook")
        def hook():
            self.requests.append(
                {
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                    "json": request.get_json(),
                }
            )
            if self.fail_first > 0:
                self.fail_first -= 1
                return "busy", 503
            return {"ok": True}

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()
