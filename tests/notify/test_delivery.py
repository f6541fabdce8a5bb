"""Delivering the outbox to the WeChat sandbox over real HTTP: channels, outages, dead letters."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from app import outbox
from app.core import orders
from app.core.models import Order
from app.db import utcnow
from app.mall.models import SubscribeGrant
from app.notify.delivery import NOTIFICATIONS
from app.notify.models import Notification, NotificationDelivery
from devkit.servers import ROOT
from devkit.testing.clients import ADMIN, MP, follow_official_account
from devkit.testing.outbox import make_due, retry_notification


def approved_order_for_a_follower(client, shop, dealer) -> int:
    """dealer-a follows the official account and has an approved order: one notification due."""
    follow_official_account("dealer-a")
    r = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    return orders.approve_order(r.get_json()["id"], "staff:1").id


def test_from_post_orders_to_messages_in_the_sandbox(client, shop, dealer, sandbox, sms, app):
    from devkit.factories import make_staff

    with app.app_context():
        make_staff("customer_service", phone="13800000001", username="cs-phone")
    follow_official_account("dealer-a")
    r = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    order_id = r.get_json()["id"]
    with app.app_context():
        assert outbox.deliver_due(NOTIFICATIONS) == {"sent": 1}
    (to_service,) = sandbox.sms(phone="+8613800000001")
    number = Order.get_by_id(order_id).number
    assert to_service["template_id"] == "1000002"  # the staff to-do SMS template
    assert to_service["params"] == [
        number,
        "测试经销商" + to_service["params"][1][5:],
        "450.00",
        "待审核",
    ]
    orders.approve_order(order_id, "staff:1")
    line = Order.get_by_id(order_id).lines[0]
    orders.ship_order(order_id, [(line.id, 10)], "顺丰速运", "SF777", "staff:2")
    with app.app_context():
        # The warehouse has no one to reach here: undeliverable, not "sent".
        assert outbox.deliver_due(NOTIFICATIONS) == {"sent": 2, "undeliverable": 1}
    to_dealer = sandbox.messages(touser="sandbox-oa-dealer-a")
    assert [m["kind"] for m in to_dealer] == ["template", "template"]
    approved, shipped = (m["data"] for m in to_dealer)
    assert "first" not in approved and "remark" not in approved  # keywords only, as WeChat shows
    assert approved["character_string1"]["value"] == number
    assert approved["phrase2"]["value"] == "已审核"
    assert (shipped["thing2"]["value"], shipped["character_string3"]["value"]) == (
        "顺丰速运",
        "SF777",
    )
    assert to_dealer[1]["url"].endswith(f"/orders/{order_id}")


def test_a_new_orders_notification_is_handed_over_by_its_key(
    client, shop, dealer, sandbox, sms, app
):
    """Customer service's notification of a new order is a row nothing reads back in the order's
    transaction (on PostgreSQL it goes with the COMMIT): it reaches the queue by its key, and is
    delivered by it. A dealer's, with its inbox message, by its id."""
    from devkit.factories import make_staff

    with app.app_context():
        make_staff("customer_service", phone="13800000002", username="cs-key")
    handed = []
    outbox.configure(handed.append)
    try:
        r = client.post(
            f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
        )
        order_id = r.get_json()["id"]
        (submitted,) = Notification.select().where(Notification.order == order_id)
        assert handed == [("notifications", f"event:{submitted.event_id}:customer_service")]
        orders.approve_order(order_id, "staff:1")
    finally:
        outbox.configure(None)
    approved = Notification.get(Notification.dedup_key.endswith(":dealer"))
    assert ("notifications", approved.id) in handed[1:]
    with app.app_context():
        assert outbox.deliver(NOTIFICATIONS, handed[0][1]) == "sent"
    assert Notification.get_by_id(submitted.id).status == "sent"
    (to_service,) = sandbox.sms(phone="+8613800000002")
    assert to_service["params"][3] == "待审核"


def test_subscribe_message_where_granted_else_sms(client, shop, dealer, sandbox, sms, app):
    r = client.post(f"{MP}/subscriptions", json={"template_ids": ["order-status"]}, headers=dealer)
    assert r.get_json()["items"] == [{"template_id": "order-status", "remaining": 1}]
    # A template the mini-program was never offered allows nothing.
    bogus = client.post(
        f"{MP}/subscriptions", json={"template_ids": ["order-status", "bogus"]}, headers=dealer
    )
    assert bogus.status_code == 422
    assert bogus.get_json()["error"]["details"] == {"template_ids": ["bogus"]}
    assert [(g.template_id, g.remaining) for g in SubscribeGrant.select()] == [("order-status", 1)]
    phone = "+8613900000002"
    from app.core import organisation

    organisation.update_customer(shop.customer.id, phone="13900000002")
    first = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    second = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    orders.approve_order(first.get_json()["id"], "staff:1")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    assert [m["kind"] for m in sandbox.messages(touser="sandbox-dealer-a")] == ["subscribe"]
    assert SubscribeGrant.get().remaining == 0  # one grant, one message
    orders.approve_order(second.get_json()["id"], "staff:1")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (sms,) = sandbox.sms(phone=phone)
    assert sms["template_id"] == "1000001" and sms["params"][1] == "已审核"


def test_a_refused_subscription_falls_back_to_sms(client, shop, dealer, sandbox, sms, app):
    import requests

    client.post(f"{MP}/subscriptions", json={"template_ids": ["order-status"]}, headers=dealer)
    requests.post(
        f"{sandbox.url}/_sandbox/refuse-subscribe", json={"openid": "sandbox-dealer-a"}, timeout=5
    )
    from app.core import organisation

    organisation.update_customer(shop.customer.id, phone="13900000003")
    r = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 10}]}, headers=dealer
    )
    orders.reject_order(r.get_json()["id"], "staff:1", "价格有误")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (sent,) = sandbox.sms(phone="+8613900000003")
    assert "价格有误" in sent["params"][2]
    n = Notification.get(Notification.kind == "reject")
    assert (n.status, n.channel) == ("sent", "sms")


def test_wechat_down_for_a_while_loses_nothing_and_duplicates_nothing(
    client, shop, dealer, other_dealer, sandbox, app
):
    follow_official_account("dealer-a")
    follow_official_account("dealer-b")
    ids = []
    for headers in (dealer, other_dealer, dealer):
        r = client.post(
            f"{MP}/orders",
            json={"lines": [{"product_id": shop.tea.id, "qty": 10}]},
            headers=headers,
        )
        ids.append(r.get_json()["id"])
    for order_id in ids:
        orders.approve_order(order_id, "staff:1")
    sandbox.faults(down_seconds=30)
    with app.app_context():
        first = outbox.deliver_due(NOTIFICATIONS)
        # Customer service and the warehouse have no one to reach here.
        assert first["retry"] == 3 and first.get("undeliverable") == 6
        assert outbox.deliver_due(NOTIFICATIONS) == {}  # backing off: not due yet
    pending = Notification.select().where(
        (Notification.kind == "approve") & (Notification.audience == "dealer")
    )
    assert {(n.status, n.attempts) for n in pending} == {("pending", 1)}
    assert all(n.next_attempt_at > utcnow() for n in pending) and all(n.last_error for n in pending)
    make_due(Notification)
    with app.app_context():
        assert outbox.deliver_due(NOTIFICATIONS)["retry"] == 3  # still down
    sandbox.faults()  # back
    make_due(Notification)
    with app.app_context():
        assert outbox.deliver_due(NOTIFICATIONS)["sent"] == 3
        make_due(Notification)
        assert outbox.deliver_due(NOTIFICATIONS) == {}
    approvals = [m for m in sandbox.messages() if m["kind"] == "template"]
    assert sorted(m["touser"] for m in approvals) == sorted(
        ["sandbox-oa-dealer-a", "sandbox-oa-dealer-b", "sandbox-oa-dealer-a"]
    )
    assert len({m["data"]["character_string1"]["value"] for m in approvals}) == 3


def test_after_the_last_try_a_notification_is_dead_lettered_and_visible(
    client, shop, dealer, sandbox, co, app
):
    approved_order_for_a_follower(client, shop, dealer)
    sandbox.faults(down_seconds=60)
    n = Notification.get((Notification.kind == "approve") & (Notification.audience == "dealer"))
    for attempt in range(NOTIFICATIONS.max_attempts):
        with app.app_context():
            make_due(Notification)
            outbox.deliver_due(NOTIFICATIONS)
        if attempt == 0:  # failed once: pending, and when it is tried next is shown
            retrying = client.get(
                f"{ADMIN}/notifications",
                query_string={"status": "pending"},
                headers=co.headers("cs"),
            ).get_json()["items"]
            (shown,) = [d for d in retrying if d["id"] == n.id]
            assert shown["next_attempt_at"].endswith("+08:00") and shown["attempts"] == 1
    n = Notification.get_by_id(n.id)
    assert (n.status, n.attempts) == ("dead", NOTIFICATIONS.max_attempts)
    dead = client.get(
        f"{ADMIN}/notifications", query_string={"status": "dead"}, headers=co.headers("cs")
    )
    assert [d["id"] for d in dead.get_json()["items"]] == [n.id]
    assert "503" in dead.get_json()["items"][0]["last_error"]
    assert dead.get_json()["items"][0]["next_attempt_at"] is None  # no attempt is coming
    sandbox.faults()
    retry_notification(client, app, co.headers("cs"), n.id)
    assert len(sandbox.messages(touser="sandbox-oa-dealer-a")) == 1
    listed = client.get(f"{ADMIN}/notifications", headers=co.headers("cs")).get_json()["items"]
    (sent,) = [d for d in listed if d["id"] == n.id]
    assert (sent["status"], sent["next_attempt_at"]) == ("sent", None)


dealer_approval = (Notification.kind == "approve") & (Notification.audience == "dealer")

WORKER = textwrap.dedent(
    """
    import sys
    from app.db import db
    from app import outbox
    from app.bootstrap import bootstrap
    from app.notify.delivery import NOTIFICATIONS
    from config.settings import TestingConfig

    class Config(TestingConfig):
        DATABASE_URL = sys.argv[1]
        WECHAT_API_BASE_URL = sys.argv[2]

    bootstrap(Config)  # a worker: no Flask app
    with db.connection_context():
        print(outbox.deliver_due(NOTIFICATIONS), flush=True)
    """
)


def test_a_worker_killed_mid_delivery_loses_nothing(
    client, shop, dealer, sandbox, app, database_url
):
    approved_order_for_a_follower(client, shop, dealer)
    sandbox.faults(delay_seconds=3)  # WeChat is slow: the worker is mid-request when killed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, sandbox.url], cwd=ROOT, env=env
    )
    deadline = time.monotonic() + 20
    while Notification.get(dealer_approval).attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    n = Notification.get(dealer_approval)
    assert (n.status, n.attempts) == ("pending", 1)  # claimed, never finished
    assert NotificationDelivery.select().count() == 0
    sandbox.faults()
    with app.app_context():
        assert "sent" not in outbox.deliver_due(
            NOTIFICATIONS
        )  # the dead worker's lease still holds
        Notification.update(next_attempt_at=utcnow()).where(
            Notification.id == n.id
        ).execute()  # lease over
        assert outbox.deliver_due(NOTIFICATIONS) == {"sent": 1}
    assert Notification.get_by_id(n.id).status == "sent"
    assert len(sandbox.messages(touser="sandbox-oa-dealer-a")) >= 1  # at least once


def test_the_sweep_drains_every_due_notification_not_just_one_batch(client, shop, dealer, app):
    follow_official_account("dealer-a")
    for _ in range(5):
        r = client.post(
            f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": 1}]}, headers=dealer
        )
        orders.approve_order(r.get_json()["id"], "staff:1")
    with app.app_context():
        counts = outbox.deliver_due(NOTIFICATIONS, limit=2)
    # 5 for the dealer, 5 for customer service and 5 for the warehouse (no one to reach in
    # either here), in batches of 2.
    assert counts == {"sent": 5, "undeliverable": 10}
    assert Notification.select().where(Notification.status == "pending").count() == 0
