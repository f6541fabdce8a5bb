"""Webhooks, API keys and the ERP's bulk sync, over real HTTP."""

import hashlib
import hmac
from decimal import Decimal

from app import outbox
from app.core import orders
from app.core.models import Customer, Order, ProductPrice, Stock, StockMovement
from app.core.orders import LineRequest
from app.core.receivables import record_receipt, void_receipt
from app.integrations import webhooks
from app.integrations.models import WebhookDelivery
from app.mall import ordering
from devkit.databases import statements
from devkit.testing.clients import ADMIN, Console, flashes
from devkit.testing.outbox import make_due


def post(client, path, headers, body=None, method="post"):
    return getattr(client, method)(f"{ADMIN}{path}", json=body, headers=headers)


def add_webhook(client, co, url: str, events=("order.submitted",), who="admin"):
    """POST /webhooks as `who`: `url` told of `events`."""
    return post(client, "/webhooks", co.headers(who), {"url": url, "events": list(events)})


def create_api_key(client, co, name: str, scopes: list[str], who="admin", **fields):
    """POST /api-keys as `who`: a key named `name` with `scopes` (and data_scope, branch_id…)."""
    return post(client, "/api-keys", co.headers(who), {"name": name, "scopes": scopes, **fields})


def verify(secret: str, header: str, body: bytes) -> bool:
    """How a receiver checks X-Dealer-Mall-Signature (docs/integrations.md's example does the same)."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_deliveries_are_signed_retried_with_the_same_id_and_in_order_per_order(
    client, co, receiver
):
    events = ["order.submitted", "order.approved", "order.shipped", "receipt.created"]
    made = add_webhook(client, co, receiver.url, events)
    assert made.status_code == 201
    secret = made.get_json()["secret"]
    assert (
        "secret"
        not in client.get(f"{ADMIN}/webhooks", headers=co.headers("admin")).get_json()["items"][0]
    )
    receiver.fail_first = 1  # the ERP is busy the first time
    order = co.order(co.east_customer, (co.tea, 10))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 10)], "顺丰", "SF9", "staff:2")
    record_receipt(co.east_customer.id, Decimal("100.00"), "bank", "R1", recorded_by="test")
    assert outbox.deliver_due(webhooks.WEBHOOKS) == {
        "retry": 1,
        "skipped": 2,
        "delivered": 1,
    }  # submitted failed; the order's later ones wait
    make_due(WebhookDelivery)
    outbox.deliver_due(webhooks.WEBHOOKS)
    types = [r["json"]["type"] for r in receiver.requests]
    assert types == [
        "order.submitted",
        "receipt.created",
        "order.submitted",
        "order.approved",
        "order.shipped",
    ]
    first, retry = receiver.requests[0], receiver.requests[2]
    assert first["json"]["id"] == retry["json"]["id"] == retry["headers"]["X-Dealer-Mall-Delivery"]
    for r in receiver.requests:
        assert verify(secret, r["headers"]["X-Dealer-Mall-Signature"], r["body"])
        assert r["headers"]["X-Dealer-Mall-Event"] == r["json"]["type"]
    shipped = receiver.requests[-1]["json"]["data"]
    assert shipped["number"] == order.number and shipped["shipments"][0]["tracking_no"] == "SF9"
    log = client.get(
        f"{ADMIN}/webhooks/{made.get_json()['id']}/deliveries", headers=co.headers("admin")
    ).get_json()
    assert {d["status"] for d in log["items"]} == {"delivered"}
    assert any(d["attempts"] == 2 for d in log["items"]) and all(
        d["response_code"] == 200 for d in log["items"]
    )


def test_after_the_last_try_a_delivery_is_dead_and_can_be_redelivered(client, co, receiver):
    made = add_webhook(client, co, receiver.url).get_json()
    receiver.fail_first = 100
    co.order(co.east_customer, (co.tea, 1))
    for _ in range(webhooks.WEBHOOKS.max_attempts):
        make_due(WebhookDelivery)
        outbox.deliver_due(webhooks.WEBHOOKS)
    (dead,) = WebhookDelivery.select()
    assert (dead.status, dead.attempts, dead.last_status) == (
        "dead",
        webhooks.WEBHOOKS.max_attempts,
        503,
    )
    receiver.fail_first = 0
    again = post(
        client, f"/webhooks/{made['id']}/deliveries/{dead.id}/redeliver", co.headers("admin")
    )
    assert again.get_json()["status"] == "pending"
    outbox.deliver_due(webhooks.WEBHOOKS)
    assert WebhookDelivery.get_by_id(dead.id).status == "delivered"
    assert len({r["json"]["id"] for r in receiver.requests}) == 1  # one delivery id throughout


def test_a_keyed_orders_subscribers_are_read_with_its_key_as_they_are_read_alone(
    client, co, receiver
):
    """A new key's look-up reads the webhook subscribers too (app/read_along.py): the order's
    handlers take them from there, with no read of their own, and find what a read of their own
    finds for every event type, an endpoint switched off left out."""
    told = add_webhook(client, co, receiver.url, ["order.submitted", "order.approved"])
    add_webhook(client, co, receiver.url, ["receipt.created"])
    off = post(
        client,
        "/webhooks",
        co.headers("admin"),
        {"url": receiver.url, "events": ["order.submitted"], "active": False},
    )
    assert told.status_code == off.status_code == 201
    alone = {t: webhooks._subscribed(t) for t in webhooks.EVENT_TYPES}
    assert alone["order.submitted"] == [told.get_json()["id"]]
    _, read = ordering._by_key_or_offers(co.east_customer, "along-1", {co.tea.id})
    with read.answered(), statements() as ran:
        along = {t: webhooks._subscribed(t) for t in webhooks.EVENT_TYPES}
    assert (along, ran) == (alone, [])

    with statements() as ran:
        placed = ordering.submit_order(
            co.east_customer, [LineRequest(co.tea.id, 1)], idempotency_key="along-2"
        )[0]
    assert not [sql for sql in ran if sql.startswith("SELECT id, events FROM webhook_endpoint")]
    (delivery,) = WebhookDelivery.select()
    assert (delivery.endpoint_id, delivery.event_type) == (told.get_json()["id"], "order.submitted")
    assert delivery.sequence_key == f"order:{placed.id}"
    # Not while no order is being written: a receipt's handler reads for itself.
    with statements() as ran:
        record_receipt(co.east_customer.id, Decimal("5.00"), "bank", "R-along", recorded_by="t")
    assert "SELECT id, events FROM webhook_endpoint WHERE active" in ran


def test_unsafe_urls_are_refused(client, co):
    for url in (
        "ftp://erp.example/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fe80::1]/hook",
        "file:///etc/passwd",
    ):
        r = add_webhook(client, co, url)
        assert r.status_code == 422, url
    webhooks.check_url("http://127.0.0.1:9/hook", allow_private=True)
    try:
        webhooks.check_url("http://10.1.2.3/hook", allow_private=False)
    except Exception as exc:
        assert "内网" in str(getattr(exc, "message", exc))
    else:
        raise AssertionError("a private address must be refused when not allowed")
    assert add_webhook(client, co, "http://127.0.0.1/x", who="cs").status_code == 403


def test_api_keys_act_within_their_scopes_and_stop_when_revoked(client, co):
    made = create_api_key(client, co, "金蝶同步", ["stock.write", "orders.read"])
    assert made.status_code == 201
    body = made.get_json()
    key = {"Authorization": f"Bearer {body['key']}"}
    assert (
        "key"
        not in client.get(f"{ADMIN}/api-keys", headers=co.headers("admin")).get_json()["items"][0]
    )
    assert client.get(f"{ADMIN}/orders", headers=key).status_code == 200
    assert client.get(f"{ADMIN}/stock", headers=key).status_code == 200
    assert post(client, "/customers", key, {"code": "X", "name": "x"}).status_code == 403
    assert (
        post(
            client, "/staff", key, {"username": "k", "password": "12345678", "role": "admin"}
        ).status_code
        == 403
    )
    adjusted = post(
        client,
        "/stock/adjustments",
        key,
        {"warehouse_id": co.sh.id, "product_id": co.tea.id, "qty_delta": 5, "reason": "ERP"},
    )
    assert adjusted.status_code == 201
    assert StockMovement.select().where(StockMovement.actor == f"apikey:{body['id']}").count() == 1
    listed = client.get(f"{ADMIN}/api-keys", headers=co.headers("admin")).get_json()["items"][0]
    assert listed["last_used_at"] is not None and listed["prefix"] in body["key"]
    assert post(client, f"/api-keys/{body['id']}", co.headers("admin"), method="delete").get_json()[
        "revoked"
    ]
    assert client.get(f"{ADMIN}/orders", headers=key).status_code == 401
    assert (
        client.get(f"{ADMIN}/orders", headers={"Authorization": "Bearer dmk_nope_nope"}).status_code
        == 401
    )


def test_a_branch_keys_data_scope_and_no_scope_above_the_creators(client, co):
    east = create_api_key(
        client, co, "华东", ["orders.read"], data_scope="branch", branch_id=co.east.id
    ).get_json()
    co.order(co.south_customer, (co.tea, 1))
    seen = client.get(
        f"{ADMIN}/orders", headers={"Authorization": f"Bearer {east['key']}"}
    ).get_json()
    assert seen["items"] == []  # only the east branch's orders
    assert create_api_key(client, co, "x", ["orders.read"], who="cs").status_code == 403
    for branch, status in ((999999, 404), (None, 422)):
        refused = create_api_key(
            client, co, "x", ["orders.read"], data_scope="branch", branch_id=branch
        )
        assert refused.status_code == status, refused.get_json()


def test_stock_levels_are_absolute_recorded_and_refused_below_reservations(client, co):
    order = co.order(co.east_customer, (co.tea, 10))
    orders.approve_order(order.id, "staff:1")  # 10 reserved in Shanghai
    body = {
        "warehouse_id": co.sh.id,
        "items": [{"sku": co.tea.sku, "on_hand": 400}, {"sku": co.oil.sku, "on_hand": 10}],
    }
    ok = post(client, "/stock/levels", co.headers("wh"), body, method="put")
    assert ok.status_code == 200
    tea = Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.tea.id))
    assert (tea.on_hand, tea.reserved) == (400, 10)
    assert (
        StockMovement.select()
        .where((StockMovement.kind == "adjustment") & (StockMovement.on_hand_delta == -600))
        .count()
        == 1
    )
    refused = post(
        client,
        "/stock/levels",
        co.headers("wh"),
        {
            "warehouse_id": co.sh.id,
            "items": [
                {"sku": co.oil.sku, "on_hand": 3},
                {"sku": co.tea.sku, "on_hand": 5},
                {"sku": "NOPE", "on_hand": 1},
            ],
        },
        method="put",
    )
    assert refused.status_code == 422
    rows = refused.get_json()["error"]["details"]["rows"]
    assert [(r["row"], r["sku"]) for r in rows] == [(2, co.tea.sku), (3, "NOPE")]
    assert (
        Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.oil.id)).on_hand == 10
    )  # none applied


def test_prices_and_customers_in_bulk_are_all_or_nothing(client, co):
    ok = post(
        client,
        "/products/prices",
        co.headers("admin"),
        {
            "items": [
                {"sku": co.tea.sku, "list_price": "52.00", "prices": {"1": "50.00", "3": "46.00"}}
            ]
        },
        method="put",
    )
    assert ok.get_json() == {"count": 1}
    assert ProductPrice.get(
        (ProductPrice.product == co.tea.id) & (ProductPrice.level == 3)
    ).price == Decimal("46.00")
    bad = post(
        client,
        "/products/prices",
        co.headers("admin"),
        {
            "items": [
                {"sku": co.oil.sku, "prices": {"1": "199.00"}},
                {"sku": "NOPE", "prices": {"1": "1.00"}},
            ]
        },
        method="put",
    )
    assert (
        bad.status_code == 422
        and not ProductPrice.select()
        .where((ProductPrice.product == co.oil.id) & (ProductPrice.price == Decimal("199.00")))
        .exists()
    )
    customers = post(
        client,
        "/customers/by-code",
        co.headers("admin"),
        {
            "items": [
                {"code": co.east_customer.code, "credit_limit": "30000.00"},
                {
                    "code": "ERP-NEW",
                    "name": "ERP 新客户",
                    "branch_id": co.east.id,
                    "warehouse_id": co.sh.id,
                    "price_level": 2,
                    "settlement_method": "credit",
                },
            ]
        },
        method="put",
    )
    assert customers.get_json() == {"count": 2}, customers.get_json()
    assert Customer.get_by_id(co.east_customer.id).credit_limit == Decimal("30000.00")
    assert Customer.get(Customer.code == "ERP-NEW").price_level == 2
    refused = post(
        client,
        "/customers/by-code",
        co.headers("admin"),
        {"items": [{"code": "ERP-2", "name": "缺分支"}]},
        method="put",
    )
    assert (
        refused.status_code == 422
        and not Customer.select().where(Customer.code == "ERP-2").exists()
    )


def test_the_console_page_registers_webhooks_and_keys_showing_secrets_once(client, co, receiver):

    admin = Console(client.application.test_client())
    admin.login("admin1")
    admin.refresh_token("/admin/integrations")
    added = admin.post(
        "/admin/integrations/webhooks", {"url": receiver.url, "events": "order.submitted"}
    )
    assert any("whsec_" in text for _, text in flashes(added))
    made = admin.post("/admin/integrations/api-keys", {"name": "用友", "scopes": "orders.read"})
    assert any("dmk_" in text for _, text in flashes(made))
    page = admin.get("/admin/integrations").get_data(as_text=True)
    assert receiver.url in page and "用友" in page and "whsec_" not in page
    cs = Console(client.application.test_client())
    cs.login("cs1")
    assert cs.get("/admin/integrations").status_code == 403


def test_api_keys_are_rate_limited_per_key(client, co, app):
    made = post(
        client, "/api-keys", co.headers("admin"), {"name": "频繁", "scopes": ["orders.read"]}
    ).get_json()
    key = {"Authorization": f"Bearer {made['key']}"}
    old = app.config["RATELIMIT_API_KEYS"]
    app.config["RATELIMIT_API_KEYS"] = "2 per minute"
    try:
        codes = [client.get(f"{ADMIN}/orders", headers=key).status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_API_KEYS"] = old
    assert codes == [200, 200, 429]


def test_a_branch_scoped_admin_can_neither_add_nor_see_nor_redeliver_webhooks(client, co, receiver):
    """Webhooks carry every branch's orders: they are a setting for scope `all` only."""
    from devkit.factories import make_staff

    made = add_webhook(client, co, receiver.url).get_json()
    co.order(co.east_customer, (co.tea, 1))
    (delivery,) = WebhookDelivery.select()
    co.staff["branch_admin"] = make_staff("admin", co.east, data_scope="branch")
    branch_admin = co.headers("branch_admin")
    attempts = [
        ("post", "/webhooks", {"url": receiver.url, "events": ["order.submitted"]}),
        ("get", "/webhooks", None),
        ("get", f"/webhooks/{made['id']}/deliveries", None),
        ("post", f"/webhooks/{made['id']}/deliveries/{delivery.id}/redeliver", None),
    ]
    for method, path, body in attempts:
        r = post(client, path, branch_admin, body, method=method)
        assert r.status_code == 403, (method, path, r.get_json())
    assert WebhookDelivery.select().count() == 1  # nothing made, nothing sent again


def test_the_delivery_log_keeps_the_receivers_status_code_not_what_it_answered(
    client, co, receiver
):
    add_webhook(client, co, receiver.url)
    receiver.fail_first = 1  # answers 503 with a body ("busy") that is not ours to keep
    co.order(co.east_customer, (co.tea, 1))
    assert outbox.deliver_due(webhooks.WEBHOOKS) == {"retry": 1}
    (failed,) = WebhookDelivery.select()
    assert (failed.last_status, failed.last_error) == (503, "HTTP 503")


def test_a_voided_receipt_is_told_to_the_erp_that_heard_of_it(client, co, receiver):
    add_webhook(client, co, receiver.url, ["receipt.created", "receipt.voided"])
    receipt = record_receipt(co.east_customer.id, Decimal("60.00"), "bank", "R7", "test")
    void_receipt(receipt.id, "录错客户", "staff:1")
    outbox.deliver_due(webhooks.WEBHOOKS)
    created, voided = (r["json"] for r in receiver.requests)
    assert (created["type"], voided["type"]) == ("receipt.created", "receipt.voided")
    assert created["data"]["number"] == voided["data"]["number"] == receipt.number
    assert (created["data"]["voided_at"], created["data"]["void_reason"]) == (None, "")
    assert voided["data"]["voided_at"] and voided["data"]["void_reason"] == "录错客户"
    assert voided["data"]["amount"] == "60.00" and voided["data"]["unapplied"] == "0.00"
