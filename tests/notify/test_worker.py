"""The huey worker starts without a Flask app: cold worker threads in two processes, started at
once, set up their services and deliver every queued notification exactly as the app would."""

import os
import subprocess
import sys
import threading
import time

import pytest

from app.core import orders
from app.db import db, utcnow
from app.mall.models import WechatUser
from app.notify.models import Notification
from devkit.servers import ROOT
from devkit.testing.clients import MP
from devkit.testing.stack import app_env, database_and_redis

# As the app queues them after commit: through the handoff thread, batched into tasks.
ENQUEUE = """
import sys
from app.worker import hand_over, handoff
for notification_id in sys.argv[1:]:
    hand_over(("notifications", int(notification_id)))
assert handoff.wait_until_sent(10), "not handed over"
"""


@pytest.fixture
def worker_env(app, database_url, sandbox, tmp_path):
    """Environment for the worker processes: the tests' database and sandbox, one queue."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **app_env(
            app, sandbox, **database_and_redis(app, database_url), INSTANCE_DIR=str(tmp_path)
        ),
    }


def approved_orders_for_followers(client, shop, count: int) -> list[int]:
    """`count` dealers who follow the official account, each with an approved order."""
    for i in range(count):
        code = f"worker-{i}"
        token = client.post(f"{MP}/auth/login", json={"code": code}).get_json()["token"]
        user = WechatUser.get(WechatUser.openid == f"sandbox-{code}")
        user.customer, user.role = shop.customer.id, "dealer"
        user.oa_openid, user.follows_oa = f"sandbox-oa-{code}", True
        user.save()
        r = client.post(
            f"{MP}/orders",
            json={"lines": [{"product_id": shop.tea.id, "qty": 1}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        orders.approve_order(r.get_json()["id"], "staff:1")
    dealer_approvals = (Notification.kind == "approve") & (Notification.audience == "dealer")
    return [n.id for n in Notification.select().where(dealer_approvals)]


def enqueue(env, ids) -> None:
    subprocess.run([sys.executable, "-c", ENQUEUE, *map(str, ids)], env=env, cwd=ROOT, check=True)


def run_workers(
    env, processes: int, until_sent: list[int], seconds: float, extra: tuple = ()
) -> list[str]:
    """Run huey consumers (4 threads each) until every notification in `until_sent` is sent or
    `seconds` pass; returns their logs."""
    consumer = [sys.executable, "-m", "huey.bin.huey_consumer", "app.worker.huey"]
    options = ["--workers", "4", "--worker-type", "thread", "-d", "0.05", "-m", "0.5", *extra]
    workers = [
        subprocess.Popen(
            [*consumer, *options],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pending = Notification.select().where(
                (Notification.id << until_sent) & (Notification.status != "sent")
            )
            if not pending.exists():
                break
            time.sleep(0.2)
    finally:
        for w in workers:
            w.terminate()
        logs = [w.communicate(timeout=30)[0] for w in workers]
    return logs


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_cold_worker_threads_start_at_once_and_deliver(
    client, shop, sandbox, worker_env, app, processes
):
    if processes > 1 and not app.config.get("REDIS_URL"):
        # Worker processes share the WeChat token through Redis (one process's threads share it
        # in memory): without Redis each process would invalidate the other's token.
        pytest.skip("needs Redis (TEST_REDIS_URL), as in CI")
    ids = approved_orders_for_followers(client, shop, 8)
    # Queued before any worker runs, so every thread's first task comes right after start-up.
    enqueue(worker_env, ids)
    logs = run_workers(worker_env, processes, until_sent=ids, seconds=60)
    assert [n.status for n in Notification.select().where(Notification.id << ids)] == ["sent"] * 8
    assert len({m["touser"] for m in sandbox.messages() if m["kind"] == "template"}) == 8
    for log in logs:
        assert "Traceback" not in log, log
        assert "can no longer be called" not in log, log


@pytest.mark.slow
def test_after_a_wechat_outage_due_retries_go_out_within_seconds(client, shop, sandbox, worker_env):
    """Each failed delivery queues its retry for when it is due; the once-a-minute sweep is off
    here (--no-periodic), so only that can deliver them, each on its first retry. WeChat stays down until every
    notification has failed once (however long a loaded machine takes to start the worker and
    try them all), and the time is counted from the outage's end."""
    ids = approved_orders_for_followers(client, shop, 40)
    sandbox.faults(down_seconds=600)
    outage_ended: list = []

    def end_the_outage_once_each_failed() -> None:
        failed = (Notification.id << ids) & (Notification.last_error != "")
        deadline = time.monotonic() + 120
        try:
            while Notification.select().where(failed).count() < len(ids):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.1)
        finally:
            db.close()  # this thread's connection
        sandbox.faults()  # WeChat is back
        outage_ended.append(utcnow())

    watcher = threading.Thread(target=end_the_outage_once_each_failed, daemon=True)
    watcher.start()
    enqueue(worker_env, ids)
    logs = run_workers(worker_env, 1, until_sent=ids, seconds=150, extra=("--no-periodic",))
    watcher.join(timeout=5)
    assert outage_ended, "not every notification was tried during the outage"
    sent = Notification.select().where((Notification.id << ids) & (Notification.status == "sent"))
    assert sent.count() == len(ids), [line for line in logs[0].splitlines()][-5:]
    # Each failed once, during the outage, and went out on its first retry, which the failure
    # itself queued for when it was due (the backoff's first step, 10 s): with the sweep off,
    # nothing else could have sent it. The last went out before the backoff's next step (30 s
    # more) could have come into it.
    assert sorted({n.attempts for n in sent}) == [2]
    took = (max(n.sent_at for n in sent) - outage_ended[0]).total_seconds()
    assert took < 10 + 30, f"the last retry went out {took:.1f} s after the outage ended"


@pytest.fixture
def slow_receiver():
    """A webhook receiver on 127.0.0.1 that takes 4 s to answer each delivery; `arrivals` holds
    when each delivery reached it (naive UTC, as the database stores times)."""
    from types import SimpleNamespace

    from flask import Flask
    from werkzeug.serving import make_server

    from devkit.servers import free_port

    app = Flask("slow-receiver")
    arrivals: list = []

    @app.post("/hook")
    def hook():
        arrivals.append(utcnow())
        time.sleep(4)
        return {"ok": True}

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/hook", arrivals=arrivals)
    server.shutdown()


@pytest.mark.slow
def test_a_slow_webhook_receiver_never_holds_up_a_dealers_message(
    client, shop, sandbox, worker_env, slow_receiver
):
    """Eight deliveries to a receiver that answers in 4 s each are queued first; the dealer's
    order message behind them still goes out at once, because each sink sends on threads of its
    own (two queue threads would otherwise be busy with webhooks for 16 s)."""
    from app.integrations.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.create(url=slow_receiver.url, events='["order.approved"]', secret="whsec_test")
    ids = approved_orders_for_followers(client, shop, 8)
    webhook_ids = [d.id for d in WebhookDelivery.select().order_by(WebhookDelivery.id)]
    assert len(webhook_ids) == 8
    # Each delivery committed on its own, as they happen: one task each, the dealer's last.
    items = [("webhooks", i) for i in webhook_ids] + [("notifications", ids[0])]
    script = (
        "import sys\n"
        "from app.worker import hand_over, handoff\n"
        "for name, item_id in (arg.split(':') for arg in sys.argv[1:]):\n"
        "    hand_over((name, int(item_id)))\n"
        "    assert handoff.wait_until_sent(10)\n"
    )
    args = [f"{name}:{item_id}" for name, item_id in items]
    subprocess.run([sys.executable, "-c", script, *args], env=worker_env, cwd=ROOT, check=True)
    logs = run_workers(
        worker_env, 1, until_sent=ids[:1], seconds=60, extra=("--workers", "2", "--no-periodic")
    )
    message = Notification.get_by_id(ids[0])
    assert message.status == "sent", logs[0][-2000:]
    # Timed from the first webhook's arrival (the worker at work, however long it took to
    # start): behind the webhooks, the message would wait for all eight, 16 s on two threads.
    # None arrived yet only if the message went out first.
    first_webhook = min(slow_receiver.arrivals, default=message.sent_at)
    took = (message.sent_at - first_webhook).total_seconds()
    assert took < 6, f"the dealer's message waited {took:.1f} s behind the webhooks"
