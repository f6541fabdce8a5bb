"""代下单: customer service places an order for a dealer through the admin API — in scope, at the
dealer's prices, once per Idempotency-Key (also under racing requests), the dealer told in the
inbox."""

from __future__ import annotations

import uuid

from app.core.models import Order
from app.mall.models import IdempotencyKey
from app.notify.models import InboxMessage, Notification
from devkit.factories import make_customer
from devkit.testing.clients import ADMIN, MP, bind_dealer
from devkit.testing.concurrency import retries_with_one_key


def place(client, headers, body, key=None):
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(f"{ADMIN}/orders", json=body, headers=headers)


def tea_order(co, qty=10, **more):
    return {
        "customer_id": co.east_customer.id,
        "lines": [{"product_id": co.tea.id, "qty": qty}],
        **more,
    }


def test_customer_service_orders_for_a_dealer_at_the_dealers_prices(client, co):
    response = place(client, co.headers("cs"), tea_order(co, remark="电话订货"), key="k-1")
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["source"] == "staff" and order["status"] == "pending_review"
    assert order["customer_id"] == co.east_customer.id
    assert order["lines"][0]["price"] == "45.00"  # level 3, not the list price
    assert order["total"] == "450.00" and order["remark"] == "电话订货"
    assert order["placed_by"] == f"staff:{co.staff['cs'].id}"


def test_staff_see_what_an_order_for_the_dealer_would_charge(client, co):
    r = client.get(
        f"{ADMIN}/customers/{co.east_customer.id}/products",
        headers=co.headers("cs"),
        query_string={"q": "绿茶"},
    )
    assert r.status_code == 200, r.get_json()
    (tea,) = r.get_json()["items"]
    assert (tea["id"], tea["price"], tea["available"]) == (co.tea.id, "45.00", 1000)
    south = f"{ADMIN}/customers/{co.south_customer.id}/products"
    assert client.get(south, headers=co.headers("cs_east")).status_code == 404
    assert client.get(south, headers=co.headers("wh")).status_code == 403
    r = client.get(south, headers=co.headers("cs"), query_string={"q": "x" * 65})
    assert r.status_code == 422


def test_the_dealer_is_told_in_the_inbox(client, co):
    dealer = bind_dealer(client, co.east_customer, "phone-dealer")
    order_id = place(client, co.headers("cs"), tea_order(co), key="k-2").get_json()["id"]
    inbox = client.get(f"{MP}/messages", headers=dealer).get_json()
    assert inbox["unread"] == 1
    (message,) = inbox["items"]
    assert message["order_id"] == order_id and message["title"] == "客服已为您代下单"
    assert "请核对商品和数量" in message["body"]
    dealer_notes = Notification.select().where(
        (Notification.order == order_id) & (Notification.audience == "dealer")
    )
    assert dealer_notes.count() == 1
    # Customer service still hears of it as of any new order.
    assert (
        Notification.select()
        .where((Notification.order == order_id) & (Notification.audience == "customer_service"))
        .count()
        == 1
    )


def test_a_dealers_own_order_does_not_tell_the_dealer_it_was_placed(client, co):
    dealer = bind_dealer(client, co.east_customer, "self-dealer")
    r = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": co.tea.id, "qty": 10}]}, headers=dealer
    )
    assert r.status_code == 201
    assert InboxMessage.select().where(InboxMessage.order == r.get_json()["id"]).count() == 0


def test_a_repeated_key_is_one_order(client, co):
    first = place(client, co.headers("cs"), tea_order(co), key="again")
    second = place(client, co.headers("cs"), tea_order(co, qty=20), key="again")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.get_json()["total"] == "450.00"  # the first order, whole
    assert Order.select().where(Order.customer == co.east_customer.id).count() == 1


def test_a_staff_key_never_finds_the_dealers_own_order(client, co):
    dealer = bind_dealer(client, co.east_customer, "key-dealer")
    mine = client.post(
        f"{MP}/orders",
        json={"lines": [{"product_id": co.tea.id, "qty": 10}]},
        headers={**dealer, "Idempotency-Key": "shared"},
    ).get_json()["id"]
    theirs = place(client, co.headers("cs"), tea_order(co), key="shared")
    assert theirs.status_code == 201 and theirs.get_json()["id"] != mine
    assert IdempotencyKey.select().where(IdempotencyKey.key == "staff:shared").count() == 1


def test_only_customers_in_scope(client, co):
    south = {**tea_order(co), "customer_id": co.south_customer.id}
    r = place(client, co.headers("cs_east"), south, key="s-1")
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "客户不存在"
    assert place(client, co.headers("cs_east"), tea_order(co), key="s-2").status_code == 201
    # A rep orders for their own customers only.
    assert place(client, co.headers("rep"), tea_order(co), key="s-3").status_code == 201
    other = make_customer(co.east, co.sh, level=1)
    r = place(client, co.headers("rep"), {**tea_order(co), "customer_id": other.id}, key="s-4")
    assert r.status_code == 404
    assert Order.select().where(Order.customer << [co.south_customer.id, other.id]).count() == 0


def test_roles_that_do_not_take_orders_are_refused(client, co):
    for role in ("wh", "fin", "hq"):
        r = place(client, co.headers(role), tea_order(co), key=f"r-{role}")
        assert r.status_code == 403, role
        assert r.get_json()["error"]["message"] == "当前角色无权执行此操作"


def test_bad_orders_are_refused_in_words(client, co):
    h = co.headers("cs")
    cases = [
        ({}, 422, "validation_error"),
        ({"customer_id": co.east_customer.id, "lines": []}, 422, "validation_error"),
        ({**tea_order(co), "customer_id": "x"}, 422, "validation_error"),
        ({**tea_order(co), "customer_id": 999999}, 404, "not_found"),
        (tea_order(co, qty=0), 422, "validation_error"),
        ({**tea_order(co), "lines": [{"product_id": 999999, "qty": 1}]}, 404, "not_found"),
        ({**tea_order(co), "address_id": 999999}, 404, "not_found"),
        ({**tea_order(co), "remark": "x" * 501}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        r = place(client, h, body, key=str(uuid.uuid4()))
        assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), body
        assert r.get_json()["error"]["message"]
    r = place(client, h, tea_order(co), key="bad key with spaces")
    assert r.status_code == 422 and "Idempotency-Key" in str(r.get_json()["error"])
    r = place(client, h, tea_order(co), key="k" * 121)
    assert r.status_code == 422
    assert Order.select().count() == 0


def test_racing_requests_with_one_key_make_one_order(gunicorn, co):
    retries_with_one_key(f"{gunicorn.url}{ADMIN}/orders", tea_order(co), co.headers("cs"), 12)
    assert Order.select().where(Order.customer == co.east_customer.id).count() == 1
    assert Notification.select().where(Notification.audience == "dealer").count() == 1


def test_the_dealer_gets_the_wechat_message_too(client, co, sandbox, app):
    from app import outbox
    from app.notify.delivery import NOTIFICATIONS
    from devkit.testing.clients import follow_official_account

    bind_dealer(client, co.east_customer, "oa-dealer")
    follow_official_account("oa-dealer")
    order_id = place(client, co.headers("cs"), tea_order(co), key="wx-1").get_json()["id"]
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (message,) = sandbox.messages(touser="sandbox-oa-oa-dealer")
    assert message["kind"] == "template"  # WeChat's rules held: nothing refused
    assert message["data"]["character_string1"]["value"] == Order.get_by_id(order_id).number
    assert message["data"]["phrase2"]["value"] == "待审核"
    assert message["data"]["thing5"]["value"] == "请核对商品和数量，如有不符请联系客服"
    assert message["url"].endswith(f"/orders/{order_id}")
