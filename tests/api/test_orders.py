"""Dealer orders over the API: server-side prices, pre-checks, idempotency, tracking, cancel."""

import uuid

from app.core import orders, receivables
from app.core.models import Order, OrderEvent
from app.mall.models import CartItem
from devkit.testing.clients import MP, HttpClient, bind_dealer
from devkit.testing.concurrency import retries_with_one_key


def submit(client, headers, lines, key=None, **extra):
    h = dict(headers)
    if key:
        h["Idempotency-Key"] = key
    body = {"lines": [{"product_id": p.id, "qty": q} for p, q in lines], **extra}
    return client.post(f"{MP}/orders", json=body, headers=h)


def test_submitted_order_is_priced_on_the_server_and_awaits_review(client, shop, dealer):
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10, "price": "0.01"}]}
    r = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert r.status_code == 422  # a client price is not even accepted
    r = submit(client, dealer, [(shop.tea, 10), (shop.oil, 1)], remark="周五前送到")
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "pending_review" and order["status_label"] == "待审核"
    assert order["total"] == "620.00"
    assert {ln["product_id"]: ln["price"] for ln in order["lines"]} == {
        shop.tea.id: "45.00",
        shop.oil.id: "170.00",
    }
    assert order["number"].startswith("SO")
    assert order["address"].endswith("上海市浦东新区 1 号")
    assert order["created_at"].endswith("+08:00")
    assert [e["to_status"] for e in order["events"]] == ["pending_review"]


def test_pre_check_warns_but_does_not_hold(client, shop, dealer):
    r = submit(client, dealer, [(shop.oil, 6)])  # 5 in stock; 1020.00 within 5000.00 credit
    warnings = r.get_json()["warnings"]
    assert [w["code"] for w in warnings] == ["insufficient_stock"]
    assert "5" not in warnings[0]["message"]  # no exact quantity shown to dealers
    r = submit(client, dealer, [(shop.tea, 100), (shop.oil, 5)])  # 5350.00 > 5000.00
    assert "credit_exceeded" in [w["code"] for w in r.get_json()["warnings"]]
    assert Order.select().count() == 2  # warnings never block the order


def test_min_qty_and_order_multiple_are_checked(client, shop, dealer):
    r = submit(client, dealer, [(shop.boxed, 3)])
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "below_min_qty")
    r = submit(client, dealer, [(shop.boxed, 9)])
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "bad_step")


def test_repeated_idempotency_key_returns_the_same_order(client, shop, dealer):
    key = str(uuid.uuid4())
    first = submit(client, dealer, [(shop.tea, 10)], key=key)
    second = submit(client, dealer, [(shop.tea, 10)], key=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert Order.select().count() == 1
    assert submit(client, dealer, [(shop.tea, 10)], key=str(uuid.uuid4())).status_code == 201


def test_the_same_key_from_another_dealer_is_another_order(client, shop, dealer, other_dealer):
    a = submit(client, dealer, [(shop.tea, 10)], key="same-key")
    b = submit(client, other_dealer, [(shop.tea, 10)], key="same-key")
    assert a.get_json()["id"] != b.get_json()["id"]


def test_racing_retries_against_gunicorn_create_exactly_one_order(gunicorn, shop):
    headers = bind_dealer(HttpClient(gunicorn.url), shop.customer, "racer")
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}]}
    retries_with_one_key(f"{gunicorn.url}{MP}/orders", body, headers, 16)
    assert Order.select().where(Order.customer == shop.customer.id).count() == 1


def test_ordering_removes_those_products_from_the_cart(client, shop, dealer):
    client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 10}, headers=dealer)
    client.put(f"{MP}/cart/items/{shop.oil.id}", json={"qty": 1}, headers=dealer)
    submit(client, dealer, [(shop.tea, 10)])
    assert [c.product_id for c in CartItem.select()] == [shop.oil.id]


def test_order_list_and_detail_show_events_and_shipments(client, shop, dealer):
    order_id = submit(client, dealer, [(shop.tea, 10), (shop.oil, 2)]).get_json()["id"]
    orders.approve_order(order_id, "staff:1")
    tea_line = next(ln for ln in Order.get_by_id(order_id).lines if ln.product_id == shop.tea.id)
    orders.ship_order(order_id, [(tea_line.id, 4)], "顺丰速运", "SF1234567890", "staff:2")
    detail = client.get(f"{MP}/orders/{order_id}", headers=dealer).get_json()
    assert detail["status"] == "partially_shipped"
    assert [e["to_status"] for e in detail["events"]] == [
        "pending_review",
        "approved",
        "partially_shipped",
    ]
    assert detail["events"][-1]["note"] == "顺丰速运 SF1234567890"  # the dealer's words, no SH…
    (shipment,) = detail["shipments"]
    assert (shipment["carrier"], shipment["tracking_no"]) == ("顺丰速运", "SF1234567890")
    assert shipment["lines"] == [
        {"order_line_id": tea_line.id, "product_id": shop.tea.id, "name": "茉莉绿茶", "qty": 4}
    ]
    assert {ln["product_id"]: ln["shipped_qty"] for ln in detail["lines"]}[shop.tea.id] == 4
    listing = client.get(
        f"{MP}/orders", headers=dealer, query_string={"status": "partially_shipped"}
    )
    assert [o["id"] for o in listing.get_json()["items"]] == [order_id]
    empty = client.get(f"{MP}/orders", headers=dealer, query_string={"status": "completed"})
    assert empty.get_json()["total"] == 0


def test_dealer_cancels_before_review_only(client, shop, dealer):
    first = submit(client, dealer, [(shop.tea, 10)]).get_json()["id"]
    r = client.post(f"{MP}/orders/{first}/cancel", headers=dealer)
    assert (r.status_code, r.get_json()["status"]) == (200, "cancelled")
    again = client.post(f"{MP}/orders/{first}/cancel", headers=dealer).get_json()["error"]
    assert (again["code"], again["message"]) == ("invalid_state", "订单已取消，不能取消")
    second = submit(client, dealer, [(shop.tea, 10)]).get_json()["id"]
    orders.approve_order(second, "staff:1")
    r = client.post(f"{MP}/orders/{second}/cancel", headers=dealer)
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "invalid_state")
    assert Order.get_by_id(second).status == "approved"


def test_confirm_receipt_completes_a_shipped_order(client, shop, dealer):
    order_id = submit(client, dealer, [(shop.tea, 10)]).get_json()["id"]
    early = client.post(f"{MP}/orders/{order_id}/confirm-receipt", headers=dealer)
    assert early.status_code == 409
    orders.approve_order(order_id, "staff:1")
    line = Order.get_by_id(order_id).lines[0]
    orders.ship_order(order_id, [(line.id, 10)], "顺丰", "SF1", "staff:2")
    r = client.post(f"{MP}/orders/{order_id}/confirm-receipt", headers=dealer)
    assert (r.status_code, r.get_json()["status"]) == (200, "completed")
    assert OrderEvent.select().where(OrderEvent.order == order_id).count() == 4


def test_reorder_fills_the_cart_at_todays_prices_and_rules(client, shop, dealer):
    from app.core import catalog

    order_id = submit(client, dealer, [(shop.tea, 10), (shop.oil, 1)]).get_json()["id"]
    catalog.update_product(shop.tea.id, min_qty=12, step=12)
    catalog.update_product(shop.oil.id, active=False)
    cart = client.post(f"{MP}/orders/{order_id}/reorder", headers=dealer).get_json()
    assert [(i["product_id"], i["qty"], i["price"]) for i in cart["items"]] == [
        (shop.tea.id, 12, "45.00")
    ]
    assert cart["skipped"] == [{"product_id": shop.oil.id, "name": "花生油", "reason": "已下架"}]


def test_recent_products_for_quick_reorder(client, shop, dealer):
    submit(client, dealer, [(shop.tea, 10)])
    submit(client, dealer, [(shop.oil, 2)])
    items = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()["items"]
    assert [(i["id"], i["last_qty"]) for i in items] == [(shop.oil.id, 2), (shop.tea.id, 10)]
    assert items[0]["price"] == "170.00"


def test_account_and_statement(client, shop, dealer):
    order_id = submit(client, dealer, [(shop.tea, 20)]).get_json()["id"]  # 900.00
    orders.approve_order(order_id, "staff:1")
    line = Order.get_by_id(order_id).lines[0]
    orders.ship_order(order_id, [(line.id, 20)], "顺丰", "SF1", "staff:2")
    receivables.record_receipt(shop.customer.id, 300, "bank", "网银")
    account = client.get(f"{MP}/account", headers=dealer).get_json()
    assert account == {
        "settlement_method": "credit",
        "credit_limit": "5000.00",
        "receivable": "600.00",
        "open_orders_amount": "0.00",
        "available_credit": "4400.00",
        "balance": "0.00",
    }
    statement = client.get(f"{MP}/account/statement", headers=dealer).get_json()
    assert statement["opening_balance"] == "0.00"
    assert [(i["kind"], i["amount"], i["balance"]) for i in statement["items"]] == [
        ("shipment", "900.00", "900.00"),
        ("receipt", "-300.00", "600.00"),
    ]
    assert statement["closing_balance"] == "600.00"
    bad = client.get(
        f"{MP}/account/statement",
        headers=dealer,
        query_string={"from": "2026-12-01", "to": "2026-01-01"},
    )
    assert bad.status_code == 422


def test_announcements_reach_all_dealers_or_one_branch(client, shop, dealer, other_dealer):
    from app.mall import announcements

    announcements.publish("春节放假通知", "2月8日起停止发货", pinned=True)
    announcements.publish("华东新品上市", "新品绿茶", branch_id=shop.branch.id)
    mine = client.get(f"{MP}/announcements", headers=dealer).get_json()
    theirs = client.get(f"{MP}/announcements", headers=other_dealer).get_json()
    assert [a["title"] for a in mine["items"]] == ["春节放假通知", "华东新品上市"]
    assert [a["title"] for a in theirs["items"]] == ["春节放假通知"]


def test_dealer_reports_stock_and_sales(client, shop, dealer):
    from app.field.models import StockSalesReport

    body = {
        "period_end": "2026-11-20",
        "lines": [
            {"product_id": shop.tea.id, "stock_qty": 12, "sales_qty": 30},
            {"product_id": shop.oil.id, "stock_qty": 0, "sales_qty": 4},
        ],
    }
    r = client.post(f"{MP}/reports/stock-sales", json=body, headers=dealer)
    assert r.status_code == 201, r.get_json()
    report = StockSalesReport.get_by_id(r.get_json()["id"])
    assert (report.customer_id, report.source, report.lines.count()) == (
        shop.customer.id,
        "dealer",
        2,
    )
    future = {**body, "period_end": "2999-01-01"}
    assert client.post(f"{MP}/reports/stock-sales", json=future, headers=dealer).status_code == 422
