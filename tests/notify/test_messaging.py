"""Messages that reach people: subscribe messages within WeChat's rules, the in-app inbox, a
truthful undeliverable status, staff hearing of their to-dos, and the invitation SMS."""

from app import outbox
from app.backoffice import orders as staff_orders
from app.core import orders
from app.core.models import Order
from app.mall.models import SubscribeGrant, WechatUser
from app.notify.delivery import NOTIFICATIONS
from app.notify.models import InboxMessage, Notification
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, follow_official_account
from devkit.testing.outbox import retry_notification


def order_for(client, headers, shop, qty=10) -> int:
    r = client.post(
        f"{MP}/orders", json={"lines": [{"product_id": shop.tea.id, "qty": qty}]}, headers=headers
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def ship_all(order_id, carrier="顺丰速运", tracking="SF1234567890"):
    line = Order.get_by_id(order_id).lines[0]
    orders.ship_order(order_id, [(line.id, line.qty)], carrier, tracking, "staff:2")


def test_subscribe_messages_within_the_rules_name_carrier_and_tracking(
    client, shop, dealer, sandbox, app
):
    templates = client.get(f"{MP}/subscriptions/templates", headers=dealer).get_json()
    assert templates == {"template_ids": ["order-status", "order-shipped"]}
    client.post(f"{MP}/subscriptions", json=templates, headers=dealer)
    order_id = order_for(client, dealer, shop)
    orders.approve_order(order_id, "staff:1")
    ship_all(order_id)
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    sent = sandbox.messages(touser="sandbox-dealer-a")
    assert [m["template_id"] for m in sent] == ["order-status", "order-shipped"]
    shipped = sent[1]["data"]
    assert shipped["thing2"]["value"] == "顺丰速运"
    assert shipped["character_string3"]["value"] == "SF1234567890"
    assert {g.remaining for g in SubscribeGrant.select()} == {0}  # one grant, one message


def test_the_inbox_holds_every_message_and_only_the_callers(client, shop, dealer, other_dealer):
    first, second = order_for(client, dealer, shop), order_for(client, dealer, shop)
    orders.approve_order(first, "staff:1")
    ship_all(first)
    orders.reject_order(second, "staff:1", "价格有误")
    inbox = client.get(f"{MP}/messages", headers=dealer).get_json()
    assert [m["kind"] for m in inbox["items"]] == ["reject", "ship_all", "approve"]
    assert inbox["unread"] == 3 and inbox["total"] == 3
    assert "价格有误" in inbox["items"][0]["body"] and inbox["items"][0]["order_id"] == second
    assert client.get(f"{MP}/me", headers=dealer).get_json()["unread"] == 3
    theirs = client.get(f"{MP}/messages", headers=other_dealer).get_json()
    assert theirs["items"] == [] and theirs["unread"] == 0
    mine = inbox["items"][0]["id"]
    assert client.post(f"{MP}/messages/{mine}/read", headers=other_dealer).status_code == 404
    read = client.post(f"{MP}/messages/{mine}/read", headers=dealer).get_json()
    assert read["read"] is True
    assert client.get(f"{MP}/messages?unread_only=true", headers=dealer).get_json()["total"] == 2
    assert client.post(f"{MP}/messages/read-all", headers=dealer).get_json() == {"unread": 0}
    assert client.get(f"{MP}/me", headers=dealer).get_json()["unread"] == 0


def test_the_inbox_is_written_with_the_event_even_when_nothing_else_reaches_the_dealer(
    client, shop, dealer
):
    order_id = order_for(client, dealer, shop)
    orders.approve_order(order_id, "staff:1")
    (n,) = Notification.select().where(
        (Notification.kind == "approve") & (Notification.audience == "dealer")
    )
    assert InboxMessage.get(InboxMessage.notification == n.id).customer_id == shop.customer.id


def test_a_dealer_no_channel_reaches_is_undeliverable_and_can_be_resent_later(
    client, shop, dealer, sandbox, co, app
):
    order_id = order_for(client, dealer, shop)
    orders.approve_order(order_id, "staff:1")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    n = Notification.get((Notification.kind == "approve") & (Notification.audience == "dealer"))
    assert (n.status, n.sent_at) == ("undeliverable", None)
    listed = client.get(
        f"{ADMIN}/notifications",
        query_string={"status": "undeliverable"},
        headers=co.headers("admin"),
    ).get_json()
    assert n.id in [i["id"] for i in listed["items"]]
    follow_official_account("dealer-a")  # the dealer follows later
    retry_notification(client, app, co.headers("admin"), n.id)
    assert len(sandbox.messages(touser="sandbox-oa-dealer-a")) == 1


def test_a_following_dealer_hears_on_wechat_what_customer_service_changed(
    client, shop, dealer, sandbox, app
):
    follow_official_account("dealer-a")
    order_id = order_for(client, dealer, shop)  # 10 × 茉莉绿茶
    cs = make_staff("customer_service", username="adjust-notice-cs")
    staff_orders.adjust(
        cs, order_id, [{"product_id": shop.tea.id, "qty": 15}], "仓库只剩整箱，按 15 箱发"
    )
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (sent,) = sandbox.messages(touser="sandbox-oa-dealer-a")
    words = " ".join(str(field["value"]) for field in sent["data"].values())
    # WeChat's keyword fields are short: the change in full, the reason begun; the link opens
    # the order, whose page says all of it.
    assert "已调整" in words and "茉莉绿茶 数量 10→15；原因：仓库" in words
    assert sent["url"].endswith(f"/h5/orders/{order_id}")
    n = Notification.get((Notification.kind == "adjust") & (Notification.audience == "dealer"))
    assert n.status == "sent"


def staff_follows(staff, person: str) -> WechatUser:
    """A staff member bound through an invitation who follows the official account."""
    return WechatUser.create(
        oa_openid=f"sandbox-oa-{person}", follows_oa=True, role="staff", staff=staff.id
    )


def test_the_next_approver_and_the_warehouse_hear_of_their_to_dos(client, co, sandbox, sms, app):
    bm = co.staff["bm_east"]
    staff_follows(bm, "bm-east")
    order = co.order(co.east_customer, (co.tea, 120))  # 120 × 45 = 5,400: the branch manager signs
    client.post(f"{ADMIN}/orders/{order.id}/approve", json={}, headers=co.headers("cs"))
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (task,) = sandbox.messages(touser="sandbox-oa-bm-east")
    assert task["template_id"] == "staff-task" and task["data"]["phrase4"]["value"] == "待审批"
    assert task["url"].endswith(f"/h5/staff/orders/{order.id}")
    co.staff["wh"].phone = "13700000001"  # the warehouse does not follow: SMS
    co.staff["wh"].save()
    r = client.post(f"{ADMIN}/orders/{order.id}/approve", json={}, headers=co.headers("bm_east"))
    assert r.get_json()["status"] == "approved"
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (to_ship,) = sandbox.sms(phone="+8613700000001")
    assert to_ship["template_id"] == "1000002" and to_ship["params"][-1] == "待发货"


def test_staff_invitations_bind_any_role_within_scope(client, co, app):
    east_admin_headers = co.headers("admin")
    made = client.post(f"{ADMIN}/staff/{co.staff['wh'].id}/invitations", headers=east_admin_headers)
    assert made.status_code == 201
    body = made.get_json()
    assert body["role"] == "staff" and body["url"].endswith(f"/h5/bind?code={body['invite_code']}")
    rep = client.post(f"{ADMIN}/staff/{co.staff['rep'].id}/invitations", headers=east_admin_headers)
    assert rep.get_json()["role"] == "rep"
    assert (
        client.post(
            f"{ADMIN}/staff/{co.staff['wh'].id}/invitations", headers=co.headers("cs")
        ).status_code
        == 403
    )
