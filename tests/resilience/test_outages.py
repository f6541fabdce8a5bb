"""A dependency being down degrades a feature, never turns a committed write into an error:
Redis stopped in the middle of a burst of orders, and the health check without the database."""

import shutil
import threading
import time
import uuid

import pytest
import requests

from app.auth import tokens
from app.core.models import Order
from app.mall.models import IdempotencyKey, WechatUser
from devkit.servers import Gunicorn, RedisServer
from devkit.testing.clients import ADMIN, MP
from devkit.testing.stack import app_env

DEALERS = 6
ORDERS_EACH = 12


def dealer_tokens(shop) -> list[str]:
    found = []
    for i in range(DEALERS):
        user = WechatUser.create(
            openid=f"sandbox-outage-{i}", role="dealer", customer=shop.customer.id
        )
        found.append(tokens.issue("mp", user.id, role="dealer"))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_redis_stopped_during_an_order_burst_loses_and_duplicates_nothing(
    app, database_url, sandbox, shop, co
):
    redis = RedisServer().start()
    server = Gunicorn(
        app_env(
            app,
            sandbox,
            TEST_DATABASE_URL=database_url,
            TEST_REDIS_URL=redis.url,
            TEST_NOTIFY_ENQUEUE="1",  # every order also queues a delivery in Redis
        ),
        workers=2,
    ).start()
    statuses, lock = [], threading.Lock()
    keys = [
        [f"burst-{d}-{n}-{uuid.uuid4().hex[:6]}" for n in range(ORDERS_EACH)]
        for d in range(DEALERS)
    ]

    def dealer(token, my_keys):
        headers = {"Authorization": f"Bearer {token}"}
        for key in my_keys:
            for _ in range(50):  # a client retries with the same key until it has its order
                try:
                    r = requests.post(
                        f"{server.url}{MP}/orders",
                        json={"lines": [{"product_id": shop.tea.id, "qty": 10}]},
                        headers={**headers, "Idempotency-Key": key},
                        timeout=15,
                    )
                except requests.RequestException:
                    time.sleep(0.1)
                    continue
                with lock:
                    statuses.append(r.status_code)
                if r.status_code in (200, 201):
                    break
                time.sleep(0.1)
            time.sleep(0.05)

    try:
        threads = [
            threading.Thread(target=dealer, args=(t, k))
            for t, k in zip(dealer_tokens(shop), keys, strict=True)
        ]
        for t in threads:
            t.start()
        time.sleep(0.8)
        redis.stop()  # Redis goes away mid-burst
        time.sleep(0.5)
        health = requests.get(f"{server.url}/healthz", timeout=10)
        login = requests.post(f"{server.url}{MP}/auth/login", json={"code": "outage-1"}, timeout=10)
        staff = requests.post(
            f"{server.url}{ADMIN}/auth/login",
            json={"username": "cs1", "password": "correct-horse-1"},
            timeout=10,
        )
        time.sleep(1.5)
        redis.start()  # and comes back on the same port
        for t in threads:
            t.join(timeout=120)
    finally:
        server.stop()
        redis.stop()
    assert (health.status_code, health.json()["status"]) == (200, "degraded")
    assert health.json()["components"] == {"database": "ok", "redis": "down"}
    assert (login.status_code, staff.status_code) == (200, 200)
    assert [s for s in statuses if s >= 500] == []
    every_key = [k for mine in keys for k in mine]
    assert IdempotencyKey.select().where(IdempotencyKey.key << every_key).count() == len(every_key)
    assert Order.select().where(Order.customer == shop.customer.id).count() == len(every_key)


@pytest.mark.slow
def test_without_the_database_health_is_503_and_requests_get_the_envelope(app, sandbox):
    server = Gunicorn(
        app_env(
            app,
            sandbox,
            TEST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
            TEST_REDIS_URL="",
        ),
        workers=1,
    ).start(ready_codes=(503,))
    try:
        health = requests.get(f"{server.url}/healthz", timeout=10)
        order = requests.post(f"{server.url}{MP}/auth/login", json={"code": "x"}, timeout=10)
    finally:
        server.stop()
    assert health.status_code == 503
    assert health.json() == {
        "status": "down",
        "components": {"database": "down", "redis": "not_configured"},
    }
    assert order.status_code == 503
    assert order.json()["error"]["code"] == "service_unavailable"
