"""Admin API: staff login, roles, data scopes, review, conditional approval, shipping, receipts."""

import json
from decimal import Decimal

import pytest

from app.approval.models import ApprovalStep
from app.core.models import HoldMovement, Order, Stock
from app.mall.models import OrderAudit
from app.notify.models import Notification
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN


def post(client, path, headers, body=None):
    return client.post(ADMIN + path, json=body or {}, headers=headers)


def test_staff_login_with_password(client, co):
    make_staff("finance", username="zhang", password="s3cret-pass")
    ok = post(client, "/auth/login", {}, {"username": "zhang", "password": "s3cret-pass"})
    assert ok.status_code == 200
    assert ok.get_json()["staff"]["role"] == "finance"
    token = ok.get_json()["token"]
    assert (
        client.get(f"{ADMIN}/orders", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    bad = post(client, "/auth/login", {}, {"username": "zhang", "password": "wrong-pass"})
    assert (bad.status_code, bad.get_json()["error"]["message"]) == (401, "用户名或密码错误")


def test_a_dealer_token_is_not_a_staff_token(client, co, app):
    from app.auth import tokens

    with app.test_request_context():
        dealer_token = tokens.issue("mp", co.staff["admin"].id, role="dealer")
    r = client.get(f"{ADMIN}/orders", headers={"Authorization": f"Bearer {dealer_token}"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "who, method, path, body",
    [
        ("wh", "post", "/products", {"sku": "X", "name": "x", "list_price": "1.00"}),
        ("cs", "post", "/staff", {"username": "x1", "password": "password1", "role": "admin"}),
        (
            "fin",
            "post",
            "/stock/adjustments",
            {"warehouse_id": 1, "product_id": 1, "qty_delta": 1, "reason": "x"},
        ),
        ("wh", "post", "/customers/1/receipts", {"amount": "1.00", "method": "bank"}),
        (
            "cs",
            "post",
            "/orders/1/shipments",
            {"lines": [{"order_line_id": 1, "qty": 1}], "carrier": "a", "tracking_no": "b"},
        ),
        ("wh", "post", "/orders/1/approve", {}),
        ("rep", "get", "/reports/ar-aging", None),
        ("wh", "post", "/approval-rules", {"name": "x", "steps": []}),
        ("bm_east", "patch", "/orders/1", {"lines": [{"product_id": 1, "qty": 1}], "reason": "x"}),
        (
            "fin",
            "post",
            "/customers",
            {"code": "c", "name": "n", "branch_id": 1, "warehouse_id": 1},
        ),
        ("wh", "post", "/customers/1/invitations", {}),
    ],
)
def test_roles_without_the_permission_are_refused(client, co, who, method, path, body):
    kwargs = {"headers": co.headers(who)}
    if body is not None:
        kwargs["json"] = body
    r = getattr(client, method)(ADMIN + path, **kwargs)
    assert r.status_code == 403, r.get_json()
    assert r.get_json()["error"]["code"] == "forbidden"


def test_branch_scoped_staff_see_only_their_branch(client, co):
    east = co.order(co.east_customer)
    south = co.order(co.south_customer)
    seen = client.get(f"{ADMIN}/orders", headers=co.headers("cs_east")).get_json()
    assert [o["id"] for o in seen["items"]] == [east.id]
    everyone = client.get(f"{ADMIN}/orders", headers=co.headers("cs")).get_json()
    assert {o["id"] for o in everyone["items"]} == {east.id, south.id}
    for method, path, body in [
        ("get", f"/orders/{south.id}", None),
        ("post", f"/orders/{south.id}/approve", {}),
        ("post", f"/orders/{south.id}/reject", {"reason": "x"}),
        (
            "patch",
            f"/orders/{south.id}",
            {"lines": [{"product_id": co.tea.id, "qty": 1}], "reason": "x"},
        ),
        ("get", f"/customers/{co.south_customer.id}", None),
        ("post", f"/customers/{co.south_customer.id}/invitations", {}),
    ]:
        kwargs = {"headers": co.headers("cs_east")}
        if body is not None:
            kwargs["json"] = body
        r = getattr(client, method)(ADMIN + path, **kwargs)
        assert r.status_code == 404, (path, r.get_json())
    assert Order.get_by_id(south.id).status == "pending_review"


def test_reps_see_only_their_own_customers(client, co):
    east = co.order(co.east_customer)
    co.order(co.south_customer)
    seen = client.get(f"{ADMIN}/orders", headers=co.headers("rep")).get_json()
    assert [o["id"] for o in seen["items"]] == [east.id]
    customers = client.get(f"{ADMIN}/customers", headers=co.headers("rep")).get_json()
    assert [c["id"] for c in customers["items"]] == [co.east_customer.id]


def test_review_queue_shows_credit_and_stock_oldest_first(client, co):
    first = co.order(co.east_customer, (co.oil, 12))  # 10 in stock
    second = co.order(co.east_customer, (co.tea, 10))
    queue = client.get(f"{ADMIN}/review-queue", headers=co.headers("cs")).get_json()
    assert [e["order_id"] for e in queue["items"]] == [first.id, second.id]
    entry = queue["items"][0]
    assert entry["lines"][0]["available"] == 10 and entry["lines"][0]["short"] is True
    assert entry["credit"]["credit_limit"] == "20000.00"
    assert entry["credit"]["available"] == "20000.00"
    assert entry["next_role"] == "customer_service"


def test_small_order_is_approved_by_customer_service_alone(client, co):
    order = co.order()
    r = post(client, f"/orders/{order.id}/approve", co.headers("cs"), {"comment": "OK"})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert Stock.get((Stock.product == co.tea.id) & (Stock.warehouse == co.sh.id)).reserved == 10


def test_big_order_needs_branch_manager_then_hq_in_order(client, co):
    order = co.order(co.east_customer, (co.tea, 300))  # 13500.00 > 10000
    r = post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    assert r.get_json()["status"] == "pending_review"
    steps = [
        (s.role, s.signed_by_id is not None)
        for s in ApprovalStep.select().order_by(ApprovalStep.seq)
    ]
    assert steps == [("customer_service", True), ("branch_manager", False), ("hq_approver", False)]

    def mine(key):
        queue = client.get(f"{ADMIN}/review-queue?mine=true", headers=co.headers(key)).get_json()
        return [e["order_id"] for e in queue["items"]]

    assert (mine("bm_east"), mine("hq"), mine("cs")) == ([order.id], [], [])
    early = post(client, f"/orders/{order.id}/approve", co.headers("hq"))
    assert early.status_code == 403
    assert early.get_json()["error"]["message"] == "当前等待分公司经理审批"
    other_branch = post(client, f"/orders/{order.id}/approve", co.headers("bm_south"))
    assert other_branch.status_code == 404  # not in that manager's branch
    assert (
        post(client, f"/orders/{order.id}/approve", co.headers("bm_east")).get_json()["status"]
        == "pending_review"
    )
    again = post(client, f"/orders/{order.id}/approve", co.headers("bm_east"))
    assert again.status_code == 403  # the branch step is signed; it is HQ's turn
    done = post(client, f"/orders/{order.id}/approve", co.headers("hq"))
    assert done.get_json()["status"] == "approved"
    assert [a.action for a in OrderAudit.select().order_by(OrderAudit.id)] == [
        "review",
        "sign",
        "sign",
    ]


def test_medium_order_needs_only_the_branch_manager(client, co):
    order = co.order(co.east_customer, (co.tea, 150))  # 6750.00
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    done = post(client, f"/orders/{order.id}/approve", co.headers("bm_east"))
    assert done.get_json()["status"] == "approved"


def test_credit_exceeded_needs_an_authorised_override(client, co):
    order = co.order(co.south_customer, (co.tea, 440))  # 22000.00 > 20000 limit; list price level 1
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    post(client, f"/orders/{order.id}/approve", co.headers("bm_south"))
    refused = post(client, f"/orders/{order.id}/approve", co.headers("hq"))
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "credit_exceeded"
    assert error["details"] == {
        "limit": "20000.00",
        "used": "0.00",
        "needed": "22000.00",
        "available": "20000.00",
    }
    assert ApprovalStep.get(ApprovalStep.seq == 2).signed_by_id is None  # nothing half-done
    ok = post(client, f"/orders/{order.id}/approve", co.headers("hq"), {"credit_override": True})
    assert ok.get_json()["status"] == "approved"
    assert ok.get_json()["credit_override_by_id"] == co.staff["hq"].id
    assert HoldMovement.get().override_by_id == co.staff["hq"].id
    assert OrderAudit.select().where(OrderAudit.action == "credit_override").count() == 1


def test_customer_service_cannot_override_credit(client, co):
    order = co.order(co.south_customer, (co.oil, 1))
    from app.core import organisation

    organisation.update_customer(co.south_customer.id, credit_limit=Decimal("100"))
    r = post(client, f"/orders/{order.id}/approve", co.headers("cs"), {"credit_override": True})
    assert r.status_code == 403
    assert Order.get_by_id(order.id).status == "pending_review"


def test_insufficient_stock_names_the_lines(client, co):
    order = co.order(co.east_customer, (co.oil, 11), (co.tea, 1))
    r = post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert [ln["product_id"] for ln in error["details"]["lines"]] == [co.oil.id]
    assert "花生油" in error["message"]


def test_reject_needs_a_reason(client, co):
    order = co.order()
    empty = post(client, f"/orders/{order.id}/reject", co.headers("cs"), {"reason": ""})
    assert empty.status_code == 422
    r = post(client, f"/orders/{order.id}/reject", co.headers("cs"), {"reason": "价格有误"})
    assert (r.get_json()["status"], r.get_json()["reject_reason"]) == ("rejected", "价格有误")


def test_adjusting_lines_is_audited_and_withdraws_signatures(client, co):
    order = co.order(co.east_customer, (co.tea, 150))
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    body = {
        "lines": [
            {"product_id": co.tea.id, "qty": 100, "price": "44.00"},
            {"product_id": co.oil.id, "qty": 2},
        ],
        "reason": "客户电话确认减量",
    }
    r = client.patch(f"{ADMIN}/orders/{order.id}", json=body, headers=co.headers("cs"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["total"] == "4800.00"  # 100 × 44.00 + 2 × 200.00
    assert ApprovalStep.select().where(ApprovalStep.document_id == order.id).count() == 0
    audit = OrderAudit.get(OrderAudit.action == "adjust_lines")
    assert json.loads(audit.before) == [{"product_id": co.tea.id, "qty": 150, "price": "45.00"}]
    assert json.loads(audit.after)[0] == {"product_id": co.tea.id, "qty": 100, "price": "44.00"}
    assert (audit.staff_id, audit.reason) == (co.staff["cs"].id, "客户电话确认减量")
    assert (
        post(client, f"/orders/{order.id}/approve", co.headers("cs")).get_json()["status"]
        == "approved"
    )
    late = client.patch(f"{ADMIN}/orders/{order.id}", json=body, headers=co.headers("cs"))
    assert late.status_code == 409


def test_shipping_receipts_and_aging(client, co):
    order = co.order(co.east_customer, (co.tea, 10), (co.oil, 2))
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    lines = {ln.product_id: ln.id for ln in order.lines}
    body = {
        "lines": [{"order_line_id": lines[co.tea.id], "qty": 10}],
        "carrier": "顺丰",
        "tracking_no": "SF1",
    }
    first = post(client, f"/orders/{order.id}/shipments", co.headers("wh"), body)
    assert first.status_code == 201
    assert (first.get_json()["order_status"], first.get_json()["amount"]) == (
        "partially_shipped",
        "450.00",
    )
    body["lines"] = [{"order_line_id": lines[co.oil.id], "qty": 2}]
    assert (
        post(client, f"/orders/{order.id}/shipments", co.headers("wh"), body).get_json()[
            "order_status"
        ]
        == "shipped"
    )
    receipt = post(
        client,
        f"/customers/{co.east_customer.id}/receipts",
        co.headers("fin"),
        {"amount": "500.00", "method": "bank", "reference": "网银"},
    )
    assert receipt.status_code == 201 and receipt.get_json()["unapplied"] == "0.00"
    aging = client.get(f"{ADMIN}/reports/ar-aging", headers=co.headers("fin")).get_json()
    assert aging["items"][0]["buckets"]["0-30"] == "350.00"
    assert aging["totals"]["0-30"] == "350.00"
    south_only = client.get(f"{ADMIN}/reports/ar-aging", headers=co.headers("bm_south")).get_json()
    assert south_only["items"] == []
    forbidden = client.get(
        f"{ADMIN}/reports/ar-aging",
        headers=co.headers("bm_south"),
        query_string={"branch_id": co.east.id},
    )
    assert forbidden.status_code == 403


def test_every_status_change_writes_its_notification_intent(client, co):
    order = co.order()
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    post(
        client,
        f"/orders/{order.id}/shipments",
        co.headers("wh"),
        {
            "lines": [{"order_line_id": order.lines[0].id, "qty": 10}],
            "carrier": "顺丰",
            "tracking_no": "SF9",
        },
    )
    rows = [(n.kind, n.audience) for n in Notification.select().order_by(Notification.id)]
    assert rows == [
        ("submit", "customer_service"),
        ("approve", "dealer"),
        ("approve", "warehouse"),
        ("ship_all", "dealer"),
    ]
    shipped = json.loads(Notification.get(Notification.kind == "ship_all").payload)
    assert (shipped["carrier"], shipped["tracking_no"]) == ("顺丰", "SF9")
    assert "SF9" in shipped["note"] and shipped["order_number"] == order.number


def test_a_failed_approval_writes_no_event_and_no_notification(client, co):
    order = co.order(co.east_customer, (co.oil, 11))
    post(client, f"/orders/{order.id}/approve", co.headers("cs"))
    assert Notification.select().where(Notification.kind == "approve").count() == 0


def test_admin_manages_catalogue_customers_and_stock(client, co):
    h = co.headers("admin")
    p = post(
        client,
        "/products",
        h,
        {
            "sku": "NEW-1",
            "name": "新品",
            "list_price": "12.50",
            "prices": {"1": "12.00", "10": "10.00"},
        },
    )
    assert p.status_code == 201 and p.get_json()["prices"] == {"1": "12.00", "10": "10.00"}
    dup = post(client, "/products", h, {"sku": "NEW-1", "name": "重复", "list_price": "1.00"})
    assert dup.status_code == 409
    bad_level = post(
        client,
        "/products",
        h,
        {"sku": "NEW-2", "name": "x", "list_price": "1.00", "prices": {"11": "1.00"}},
    )
    assert bad_level.status_code == 422
    pid = p.get_json()["id"]
    assert (
        client.patch(f"{ADMIN}/products/{pid}", json={"active": False}, headers=h).get_json()[
            "active"
        ]
        is False
    )
    c = post(
        client,
        "/customers",
        h,
        {
            "code": "C-NEW",
            "name": "新客户",
            "branch_id": co.east.id,
            "warehouse_id": co.sh.id,
            "price_level": 2,
            "settlement_method": "prepaid",
            "visit_every_days": 10,
        },
    )
    assert c.status_code == 201
    assert c.get_json()["visit_every_days"] == 10  # the rep's visit plan follows it
    r = client.put(
        f"{ADMIN}/customers/{c.get_json()['id']}/prices/{co.tea.id}",
        json={"price": "40.00"},
        headers=h,
    )
    assert r.get_json()["price"] == "40.00"
    inv = post(client, f"/customers/{c.get_json()['id']}/invitations", h)
    assert inv.status_code == 201 and len(inv.get_json()["invite_code"]) == 8
    s = post(
        client,
        "/stock/adjustments",
        co.headers("wh"),
        {"warehouse_id": co.sh.id, "product_id": co.oil.id, "qty_delta": -4, "reason": "报损"},
    )
    assert (s.status_code, s.get_json()["on_hand"], s.get_json()["available"]) == (201, 6, 6)
    rule = post(
        client,
        "/approval-rules",
        h,
        {
            "name": "折扣大于10%",
            "condition": {"min_discount_pct": "10"},
            "steps": [{"role": "hq_approver"}],
            "priority": 5,
        },
    )
    assert rule.status_code == 201
    bad_rule = post(
        client, "/approval-rules", h, {"name": "x", "condition": {"colour": "red"}, "steps": []}
    )
    assert bad_rule.status_code == 422
    staff = post(
        client, "/staff", h, {"username": "newbie", "password": "password1", "role": "warehouse"}
    )
    assert staff.status_code == 201 and staff.get_json()["data_scope"] == "all"
    ann = post(client, "/announcements", co.headers("cs"), {"title": "通知", "body": "内容"})
    assert ann.status_code == 201
