"""Watching the app run: a request id on every answer, on its log lines and on the deliveries
its work queued; JSON log lines; /metrics for a token or the configured networks only, with
requests by endpoint and status, each outbox sink's backlog and the task queue."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import time
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app, logs
from app.db import utcnow
from app.integrations.models import WebhookDelivery, WebhookEndpoint
from app.notify.models import Notification
from devkit.testing.clients import MP

TOKEN = "metrics-" + uuid.uuid4().hex


@pytest.fixture
def watched(app, app_config):
    """An app whose metrics are readable with TOKEN or from 10.1.0.0/16."""

    class Config(app_config):
        METRICS_TOKEN = TOKEN
        METRICS_ALLOW_FROM = "10.1.0.0/16, fd00::/8"

    return create_app(Config).test_client()


def scrape(client, **kwargs) -> dict:
    """{(name, labels as a sorted tuple): value} of every sample /metrics reports."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


@pytest.fixture
def log_lines():
    """The JSON lines the app's loggers write while the test runs (as production writes them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


# --- request ids and log lines --------------------------------------------------------------------


def test_an_answer_echoes_the_request_id_it_came_with(client):
    answer = client.get("/healthz", headers={"X-Request-ID": "0f3c9a7e5b2d4c61"})
    assert answer.headers["X-Request-ID"] == "0f3c9a7e5b2d4c61"


def test_a_request_without_a_usable_id_gets_one_of_ours(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    refused = client.get("/healthz", headers={"X-Request-ID": "<script> x"}).headers["X-Request-ID"]
    assert len(made) == len(refused) == 32 and made != refused
    assert all(c in "0123456789abcdef" for c in made + refused)


def test_a_request_writes_one_json_line_with_its_id_status_and_client(client, log_lines):
    client.get(f"{MP}/orders", headers={"X-Request-ID": "req-1234567890"})
    lines = [line for line in log_lines() if line["logger"] == "app.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-1234567890"
    assert (line["method"], line["path"], line["status"]) == ("GET", f"{MP}/orders", 401)
    assert line["endpoint"] == f"{MP}/orders" and line["client"] == "127.0.0.1"
    assert line["level"] == "INFO" and line["duration_ms"] >= 0
    assert dt.datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S%z").utcoffset().seconds == 0


def test_an_unexpected_error_names_the_request_id_its_answer_carries(app_config, log_lines):
    application = create_app(app_config)

    @application.get("/boom")
    def boom():
        raise RuntimeError("boom")

    answer = application.test_client().get("/boom", headers={"X-Request-ID": "req-boom-123456"})
    assert answer.status_code == 500
    assert answer.get_json()["error"]["details"]["request_id"] == "req-boom-123456"
    assert answer.headers["X-Request-ID"] == "req-boom-123456"
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-boom-123456"
    assert "RuntimeError: boom" in errors[0]["exc_info"]


def test_a_delivery_logs_under_the_id_of_the_request_that_wrote_it(app, shop, log_lines):
    """From the request through the hand-off and the queue to the sink's thread in the worker."""
    from app import worker

    notification = _pending_notification(shop)
    worker.huey.immediate = True  # the task runs as soon as it is queued, in memory
    try:
        with logs.request_id_bound("req-order-0001"):
            worker.hand_over(("notifications", notification.id))
        assert worker.handoff.wait_until_sent(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _delivery_lines(log_lines, notification.id):
            time.sleep(0.05)
    finally:
        worker.huey.immediate = False
    delivered = _delivery_lines(log_lines, notification.id)
    assert [line["request_id"] for line in delivered] == ["req-order-0001"]


def _delivery_lines(log_lines, item_id):
    return [
        line
        for line in log_lines()
        if line["logger"] == "app.worker"
        and line["message"].startswith(f"notifications {item_id}:")
    ]


def _pending_notification(shop) -> Notification:
    from devkit.factories import place

    place(shop.customer, (shop.tea, 10))
    return Notification.select().order_by(Notification.id).first()


# --- who may read /metrics ----------------------------------------------------------------------


def test_metrics_need_the_token_or_an_address_in_the_allowed_networks(watched):
    def status(peer, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return watched.get(
            "/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer}
        ).status_code

    assert status("192.0.2.1") == 403
    assert status("192.0.2.1", "not-the-token") == 403
    assert status("192.0.2.1", TOKEN) == 200
    assert status("10.1.200.3") == 200
    assert status("fd00::7") == 200


def test_a_forwarded_for_claim_does_not_open_the_metrics_without_a_proxy(watched):
    refused = watched.get(
        "/metrics",
        headers={"X-Forwarded-For": "10.1.0.5"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"


def test_in_production_no_network_reads_the_metrics_without_the_token():
    """Loopback too: behind a misconfigured proxy every client would look like 127.0.0.1."""
    from config.settings import ProductionConfig

    assert ProductionConfig.METRICS_ALLOW_FROM == ""


# --- what /metrics reports ----------------------------------------------------------------------


def test_requests_are_counted_by_endpoint_method_and_status_with_their_latency(watched):
    def count():
        key = (
            "dm_http_request_duration_seconds_count",
            (("endpoint", f"{MP}/orders/<id:order_id>"), ("method", "GET"), ("status", "401")),
        )
        return scrape(watched).get(key, 0)

    before = count()
    for order_id in (1, 2, 3):
        assert watched.get(f"{MP}/orders/{order_id}").status_code == 401
    assert count() == before + 3
    samples = scrape(watched)
    buckets = [
        labels
        for (name, labels) in samples
        if name == "dm_http_request_duration_seconds_bucket"
        and ("endpoint", f"{MP}/orders/<id:order_id>") in labels
    ]
    assert len(buckets) >= 10  # a latency histogram, not just a count
    unmatched = ("endpoint", "unmatched")
    watched.get("/no/such/page")
    assert any(name.endswith("_count") and unmatched in labels for name, labels in scrape(watched))


def test_a_refused_wechat_pay_notification_is_counted_by_its_status(watched):
    """Payment notify failures: what the notify URL answered other than 204 (docs/deploy.md)."""

    def refused() -> float:
        return sum(
            value
            for (name, labels), value in scrape(watched).items()
            if name == "dm_http_request_duration_seconds_count"
            and ("endpoint", "/api/pay/wechatpay/notify") in labels
            and dict(labels)["status"] != "204"
        )

    before = refused()
    answer = watched.post(
        "/api/pay/wechatpay/notify", data=b"{}", headers={"Wechatpay-Serial": "x"}
    )
    assert answer.status_code in (403, 404)
    assert refused() == before + 1


def test_each_sink_reports_its_pending_failing_and_dead_items_and_the_oldest_wait(watched, shop):
    notification = _pending_notification(shop)
    waited = utcnow() - dt.timedelta(seconds=300)
    Notification.update(created_at=waited, last_error="WeChat 45047").where(
        Notification.id == notification.id
    ).execute()
    endpoint = WebhookEndpoint.create(url="https://erp.example.com/hook", events="[]", secret="s")
    for status in ("dead", "dead", "delivered"):
        WebhookDelivery.create(
            endpoint=endpoint,
            delivery_id=str(uuid.uuid4()),
            event_type="order.approved",
            sequence_key="order:1",
            payload="{}",
            status=status,
        )
    samples = scrape(watched)

    def gauge(name, sink):
        return samples[(name, (("sink", sink),))]

    assert gauge("dm_outbox_pending", "notifications") >= 1
    assert gauge("dm_outbox_failing", "notifications") == 1
    assert gauge("dm_outbox_oldest_pending_seconds", "notifications") >= 300
    assert gauge("dm_outbox_dead", "webhooks") == 2
    assert gauge("dm_outbox_pending", "webhooks") == 0
    assert gauge("dm_outbox_oldest_pending_seconds", "webhooks") == 0


def test_each_active_shop_reports_how_long_ago_its_orders_were_downloaded(watched, shop):
    from app.shops.models import Shop

    def add(name, synced_seconds_ago, active=True):
        return Shop.create(
            name=name,
            platform="taobao",
            app_key=f"key-{name}",
            app_secret="secret",
            access_token="token",
            warehouse=shop.warehouse.id,
            active=active,
            last_synced_at=utcnow() - dt.timedelta(seconds=synced_seconds_ago),
        )

    late, paused = add("淘宝旗舰店", 600), add("已停用", 9000, active=False)
    samples = scrape(watched)
    assert 600 <= samples[("dm_shop_sync_lag_seconds", (("shop", str(late.id)),))] < 700
    assert ("dm_shop_sync_lag_seconds", (("shop", str(paused.id)),)) not in samples


def test_every_sink_is_reported(watched):
    from app.bootstrap import SINKS

    samples = scrape(watched)
    for sink in SINKS:
        for name in ("pending", "failing", "dead", "oldest_pending_seconds"):
            assert (f"dm_outbox_{name}", (("sink", sink),)) in samples


def test_the_task_queue_length_counts_tasks_waiting_for_a_worker(watched, tmp_path, monkeypatch):
    from huey import SqliteHuey

    from app import metrics

    queue = SqliteHuey("metrics-test", filename=str(tmp_path / "tasks.db"))

    @queue.task()
    def later():
        """Queued, never run: no consumer reads this queue."""

    monkeypatch.setattr(metrics, "_task_queue", lambda: queue)
    assert scrape(watched)[("dm_task_queue_length", ())] == 0
    later()
    later()
    queue.add_schedule(later.s())  # what a consumer does with a task due later
    samples = scrape(watched)
    assert samples[("dm_task_queue_length", ())] == 2
    assert samples[("dm_task_queue_scheduled", ())] == 1
