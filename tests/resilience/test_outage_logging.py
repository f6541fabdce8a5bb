"""A Redis outage under load is logged once when it starts (with what failed) and once when it
ends (with how long it lasted): not a traceback, nor a line, per request that met it."""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid

import pytest
import requests

from app.auth import tokens
from app.mall.models import WechatUser
from devkit.servers import Gunicorn, RedisServer
from devkit.testing.clients import MP


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_a_redis_outage_under_load_is_logged_once_when_it_starts_and_once_when_it_ends(
    app, database_url, sandbox, shop, tmp_path
):
    user = WechatUser.create(openid="outage-logger", role="dealer", customer=shop.customer.id)
    headers = {"Authorization": f"Bearer {tokens.issue('mp', user.id, role='dealer')}"}
    redis = RedisServer().start()
    log_file = tmp_path / "gunicorn.log"
    server = Gunicorn(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "TEST_DATABASE_URL": database_url,
            "TEST_REDIS_URL": redis.url,
            "WECHAT_API_BASE_URL": sandbox.url,
            "RATELIMIT_LOGIN": "100000 per minute",
            "RATELIMIT_ORDERS": "100000 per minute",
            "REDIS_KEY_PREFIX": f"dm-outage-log-{uuid.uuid4().hex[:8]}",
        },
        workers=1,  # the outage state is per process: one process, one pair of lines
        threads=4,
        log_file=log_file,
    ).start()
    served, stop = [], threading.Event()

    def load():
        """Requests that each talk to Redis: the catalogue's versions, a rate limit, a session."""
        while not stop.is_set():
            for method, path, kwargs in (
                ("get", f"{MP}/catalog/products", {"headers": headers}),
                ("post", f"{MP}/auth/login", {"json": {"code": "outage-logger"}}),
                ("get", "/admin/login", {}),
            ):
                try:
                    r = requests.request(method, f"{server.url}{path}", timeout=10, **kwargs)
                    served.append(r.status_code)
                except requests.RequestException:
                    served.append(None)

    workers = [threading.Thread(target=load) for _ in range(4)]
    try:
        for w in workers:
            w.start()
        time.sleep(1.5)
        redis.stop()
        time.sleep(3)
        during = len(served)
        redis.start()
        time.sleep(2.5)
    finally:
        stop.set()
        for w in workers:
            w.join()
        server.stop()
        redis.stop()
    log = log_file.read_text()
    assert len(served) - during > 20 and during > 40  # under load the whole time
    assert not [s for s in served if s is None or s >= 500], "a request failed outright"
    assert "Traceback" not in log
    started = re.findall(r"redis unavailable \(outage begins\): (.+)", log)
    ended = re.findall(r"redis available again \(outage over\) after ([\d.]+) s", log)
    assert len(started) == 1, log[-3000:]
    assert len(ended) == 1, log[-3000:]
    assert 2.0 <= float(ended[0]) <= 10
    assert len(log.splitlines()) < 10, log[-3000:]
