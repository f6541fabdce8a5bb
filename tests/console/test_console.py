"""The admin console through its forms: sign-in, CSRF, expiry, roles and scopes, review and approval,
shipping, receipts, settings pages, field pages. Real database, real sessions, no mocks."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from decimal import Decimal

from app.adapters.storage import LocalStorage
from app.approval.models import ApprovalRule
from app.auth.services import set_active
from app.core import orders as core_orders
from app.core.models import Branch, Customer, Order, Staff, Stock, Warehouse
from app.db import utcnow
from app.field.models import StockSalesLine, StockSalesReport, Visit, VisitPhoto
from app.mall.models import Invitation, OrderAudit
from app.notify.models import Notification
from devkit.factories import make_customer, put_stock
from devkit.testing.clients import PASSWORD, Console, flashes, png_bytes


def test_login_page_logs_in_and_out(console, co):
    assert console.get("/admin/dashboard").status_code == 302  # not signed in → login
    response = console.login("cs1")
    assert response.status_code == 302 and response.location.endswith("/admin/dashboard")
    review = console.get("/admin/review")
    page = review.get_data(as_text=True)
    assert "待审订单" in page and "客服" in page
    assert "frame-ancestors 'none'" in review.headers["Content-Security-Policy"]
    assert review.headers["X-Frame-Options"] == "DENY"
    out = console.post("/admin/logout")
    assert ("success", "已退出登录") in flashes(out)
    assert console.get("/admin/review").status_code == 302


def test_wrong_password_and_blank_fields_say_so(console, co):
    response = console.login("cs1", "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    response = console.login("", "")
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    assert console.get("/admin/review").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(console, co):
    console.login("admin1")
    before = Staff.select().count()
    response = console.client.post(
        "/admin/staff",
        data={"username": "sneaky", "password": "12345678abc", "role": "admin"},
    )
    assert response.status_code == 400
    assert "安全校验失败" in response.get_data(as_text=True)
    assert Staff.select().count() == before
    # A token from another session is no good either.
    other = Console(console.client.application.test_client())
    other.refresh_token()
    response = console.client.post(
        "/admin/staff",
        data={
            "username": "sneaky",
            "password": "12345678abc",
            "role": "admin",
            "csrf_token": other.token,
        },
    )
    assert response.status_code == 400 and Staff.select().count() == before


def test_session_expires_after_idle_time_and_when_account_disabled(console, co, app):
    console.login("cs1")
    assert console.get("/admin/review").status_code == 200
    with console.client.session_transaction() as session:
        session["seen_at"] = time.time() - app.config["CONSOLE_IDLE_MINUTES"] * 60 - 1
    response = console.get("/admin/review")
    assert response.status_code == 302 and "/admin/login" in response.location
    assert "登录已过期" in console.get("/admin/login").get_data(as_text=True)

    console.login("cs1")
    set_active(co.staff["cs"].id, False, co.staff["admin"])
    assert console.get("/admin/review").status_code == 302


def test_sign_in_attempts_are_limited_per_address_and_opening_the_page_is_not_one(console, co, app):
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    try:
        for _ in range(3):
            assert console.get("/admin/login").status_code == 200
        tries = [console.login("cs1", "wrong-password").status_code for _ in range(3)]
        refused = console.login("cs1")  # even the right password, until the minute is over
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert tries == [401, 401, 429]
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert ("error", "操作太频繁，请稍后再试") in flashes(refused)  # on the sign-in page


def test_login_never_redirects_off_site(console, co):
    console.refresh_token()
    response = console.client.post(
        "/admin/login",
        data={
            "username": "cs1",
            "password": PASSWORD,
            "csrf_token": console.token,
            "next": "https://evil.example/admin",
        },
    )
    assert response.location == "/admin/dashboard"
    response = console.get("/admin/login?next=/admin/orders")
    assert response.location == "/admin/orders"


def test_each_role_sees_its_own_menu_and_is_refused_other_pages(signed_in):
    menus = {}
    for key in ("admin", "cs", "wh", "fin", "rep"):
        page = signed_in(key).get("/admin/dashboard").get_data(as_text=True)
        menus[key] = set(re.findall(r'<li><a href="/admin/([\w-]+)"', page))
    assert {"staff", "approval-rules", "customers", "stock", "ar-aging"} <= menus["admin"]
    assert "staff" not in menus["cs"] and "ar-aging" not in menus["cs"]
    assert "customers" not in menus["wh"] and "stock" in menus["wh"]
    assert {"ar-aging", "stock"} <= menus["fin"]  # finance reads stock at cost
    assert menus["rep"] >= {"customers", "visits"} and "stock" not in menus["rep"]

    warehouse = signed_in("wh")
    for path in ("/admin/customers", "/admin/staff", "/admin/ar-aging", "/admin/approval-rules"):
        response = warehouse.get(path)
        assert response.status_code == 403, path
        assert "无权" in response.get_data(as_text=True)
    # Forms are guarded as well as pages.
    response = warehouse.post(
        "/admin/staff", {"username": "x1", "password": "12345678a", "role": "admin"}
    )
    assert response.status_code == 403


def test_scopes_hide_other_branches(signed_in, co):
    south_order = co.order(co.south_customer)
    east_order = co.order()
    east = signed_in("bm_east")
    assert east.get(f"/admin/orders/{south_order.id}").status_code == 404
    assert east.get(f"/admin/customers/{co.south_customer.id}").status_code == 404
    assert east.get(f"/admin/customers/{co.south_customer.id}/statement.xlsx").status_code == 404
    assert east.get(f"/admin/orders/{east_order.id}").status_code == 200
    listing = east.get("/admin/orders").get_data(as_text=True)
    assert east_order.number in listing and south_order.number not in listing
    queue = east.get("/admin/review").get_data(as_text=True)
    assert east_order.number in queue and south_order.number not in queue
    # Acting on an order out of scope finds nothing, and changes nothing.
    response = east.post(f"/admin/orders/{south_order.id}/reject", {"reason": "不行"})
    assert "订单不存在" in response.get_data(as_text=True)
    assert Order.get_by_id(south_order.id).status == "pending_review"
    rep = signed_in("rep")
    assert rep.get(f"/admin/customers/{co.south_customer.id}").status_code == 404
    assert rep.get(f"/admin/customers/{co.east_customer.id}").status_code == 200


def test_review_queue_shows_credit_and_stock_and_refreshes_rows(signed_in, co):
    short = co.order(co.east_customer, (co.oil, 20))  # 10 in stock
    cs = signed_in("cs")
    page = cs.get("/admin/review").get_data(as_text=True)
    assert short.number in page and "缺货 1 行" in page
    rows = cs.get("/admin/review", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rows.lstrip().startswith("<tr") and short.number in rows
    detail = cs.get(f"/admin/orders/{short.id}").get_data(as_text=True)
    assert "可用库存" in detail and "审核通过" in detail and "驳回" in detail


def test_adjust_lines_is_audited_and_needs_a_reason(signed_in, co):
    order = co.order(co.east_customer, (co.tea, 10), (co.oil, 2))
    cs = signed_in("cs")
    lines = {
        "line": ["0", "1"],
        "product_id-0": str(co.tea.id),
        "qty-0": "12",
        "price-0": "44.00",
        "product_id-1": str(co.oil.id),
        "qty-1": "2",
        "price-1": "",
        "remove-1": "1",
    }
    response = cs.post(f"/admin/orders/{order.id}/adjust", lines)
    assert "请填写调整原因" in response.get_data(as_text=True) and response.status_code == 422
    assert len(Order.get_by_id(order.id).lines) == 2

    response = cs.post(f"/admin/orders/{order.id}/adjust", {**lines, "reason": "客户电话要求"})
    assert ("success", "订单已调整，已通知经销商") in flashes(response)
    (line,) = Order.get_by_id(order.id).lines
    assert (line.qty, line.price) == (12, Decimal("44.00"))
    audit = OrderAudit.get(OrderAudit.order == order.id)
    assert audit.action == "adjust_lines" and audit.reason == "客户电话要求"
    assert "客户电话要求" in response.get_data(as_text=True)  # shown in the audit list

    response = cs.post(
        f"/admin/orders/{order.id}/adjust",
        {"line": "0", "product_id-0": str(co.tea.id), "qty-0": "-3", "reason": "x"},
    )
    assert "数量须在 1 到 99999 之间" in response.get_data(as_text=True)


def test_approval_steps_signed_in_order_by_the_right_roles(signed_in, co):
    order = co.order(co.east_customer, (co.tea, 250))  # 250 × 45 = 11,250: manager, then HQ
    cs, hq, bm = signed_in("cs"), signed_in("hq"), signed_in("bm_east")
    unreviewed = co.order(co.east_customer, (co.tea, 1))

    def mine(session):
        return session.get("/admin/review?mine=1").get_data(as_text=True)

    assert order.number in mine(cs) and order.number not in mine(bm)
    response = cs.post(f"/admin/orders/{order.id}/approve", {"comment": "已电话确认"})
    assert ("success", "已签字，等待分公司经理审批") in flashes(response)
    assert order.number not in mine(cs) and unreviewed.number in mine(cs)
    assert order.number in mine(bm) and order.number not in mine(hq)
    assert order.number in hq.get("/admin/review").get_data(as_text=True)  # all, not just mine
    response = hq.post(f"/admin/orders/{order.id}/approve", {})
    assert "当前等待分公司经理审批" in response.get_data(as_text=True)
    assert bm.post(f"/admin/orders/{order.id}/approve", {}).status_code == 200
    assert order.number in mine(hq) and order.number not in mine(bm)
    response = hq.post(f"/admin/orders/{order.id}/approve", {})
    assert ("success", "订单已审核通过：库存已预留，信用额度已占用") in flashes(response)
    order = Order.get_by_id(order.id)
    assert order.status == "approved"
    assert Stock.get(Stock.warehouse == co.sh.id, Stock.product == co.tea.id).reserved == 250
    to_dealer = Notification.select().where(
        (Notification.order == order.id) & (Notification.audience == "dealer")
    )
    assert [n.kind for n in to_dealer] == ["approve"]  # the outbox has the dealer's message


def test_errors_are_shown_in_words(signed_in, co):
    cs = signed_in("cs")
    short = co.order(co.east_customer, (co.oil, 20))
    response = cs.post(f"/admin/orders/{short.id}/approve", {})
    text = response.get_data(as_text=True)
    assert "库存不足：花生油 需要 20，可用 10" in text
    assert Order.get_by_id(short.id).status == "pending_review"

    poor = make_customer(co.east, co.sh, limit="100.00")
    big = co.order(poor, (co.tea, 10))  # 500 > 100
    text = cs.post(f"/admin/orders/{big.id}/approve", {}).get_data(as_text=True)
    assert "超出信用额度：额度 ¥100.00，已用 ¥0.00，本单需要 ¥500.00" in text
    # Customer service may not override; the admin may, and it is audited.
    admin = signed_in("admin")
    page = admin.get(f"/admin/orders/{big.id}").get_data(as_text=True)
    assert "超信用额度特批" in page
    # The customer-service review signature is already there: the admin signs the last step.
    response = admin.post(f"/admin/orders/{big.id}/approve", {"credit_override": "true"})
    assert Order.get_by_id(big.id).status == "approved", flashes(response)
    assert (
        OrderAudit.select()
        .where((OrderAudit.order == big.id) & (OrderAudit.action == "credit_override"))
        .exists()
    )


def test_reject_needs_a_reason_and_ship_partially_then_fully(signed_in, co):
    cs, wh = signed_in("cs"), signed_in("wh")
    order = co.order(co.east_customer, (co.tea, 10))
    assert "原因：此项必填" in cs.post(f"/admin/orders/{order.id}/reject", {}).get_data(
        as_text=True
    )
    cs.post(f"/admin/orders/{order.id}/approve", {})
    line = Order.get_by_id(order.id).lines[0]
    form = {"carrier": "顺丰速运", "tracking_no": "SF1001", f"ship-{line.id}": "4"}
    response = wh.post(f"/admin/orders/{order.id}/ship", form)
    assert ("success", "已发货") in flashes(response)
    assert Order.get_by_id(order.id).status == "partially_shipped"
    response = wh.post(f"/admin/orders/{order.id}/ship", {**form, f"ship-{line.id}": "7"})
    assert any(kind == "error" for kind, _ in flashes(response))
    assert Order.get_by_id(order.id).lines[0].shipped_qty == 4
    response = wh.post(f"/admin/orders/{order.id}/ship", {**form, f"ship-{line.id}": "0"})
    assert "请填写本次发货数量" in response.get_data(as_text=True)
    response = wh.post(
        f"/admin/orders/{order.id}/ship", {**form, "tracking_no": "SF1002", f"ship-{line.id}": "6"}
    )
    assert Order.get_by_id(order.id).status == "shipped"
    assert "SF1002" in response.get_data(as_text=True)


def test_receipts_and_aging_page(signed_in, co):
    order = co.order(co.east_customer, (co.tea, 10))  # 450.00 at level 3
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 10)], "顺丰", "SF1", "test")
    fin = signed_in("fin")
    response = fin.post(
        f"/admin/customers/{co.east_customer.id}/receipts",
        {"amount": "100.00", "method": "bank", "reference": "流水 889"},
    )
    assert any(re.fullmatch(r"已登记收款 RC\S+：¥100.00", text) for _, text in flashes(response))
    assert Customer.get_by_id(co.east_customer.id).ar_balance == Decimal("350.00")
    bad = fin.post(
        f"/admin/customers/{co.east_customer.id}/receipts", {"amount": "-5", "method": "bank"}
    )
    assert "金额须在 0 到 999999999 之间" in bad.get_data(as_text=True)
    zero = fin.post(
        f"/admin/customers/{co.east_customer.id}/receipts", {"amount": "0", "method": "bank"}
    )
    # The service's own sentence, said once (not "…大于 0：金额：…大于 0").
    assert [text for kind, text in flashes(zero) if kind == "error"] == [
        "收款金额必须大于 0。您填写的内容还在，尚未保存。"
    ]
    # What was typed stays in the form: the clerk corrects the amount, not the method too.
    typo = fin.post(
        f"/admin/customers/{co.east_customer.id}/receipts",
        {"amount": "12,5a", "method": "cash", "reference": "BANK-778"},
    )
    form = typo.get_data(as_text=True).split('id="receipt-form"')[1].split("</form>")[0]
    assert 'value="12,5a"' in form and 'value="BANK-778"' in form
    assert re.search(r'<option value="cash"\s+selected>', form), form
    assert "您填写的内容还在" in typo.get_data(as_text=True)
    assert Customer.get_by_id(co.east_customer.id).ar_balance == Decimal("350.00")
    page = fin.get("/admin/ar-aging").get_data(as_text=True)
    assert co.east_customer.name in page and "¥350.00" in page
    assert fin.get("/admin/ar-aging?as_of=1999-01-01").status_code == 422
    # An amount as copied from a bank statement: with ¥ and thousands separators.
    for typed, left in (("¥1,000.00", "-650.00"), ("12,5", None), ("1,00", None)):
        said = fin.post(
            f"/admin/customers/{co.east_customer.id}/receipts",
            {"amount": typed, "method": "bank", "reference": "流水 890"},
        )
        if left is None:  # 12,5 is neither 12.5 nor 125: asked again, not guessed
            assert "您填写的内容还在" in said.get_data(as_text=True), typed
        else:
            assert any("：¥1,000.00" in text for _, text in flashes(said)), typed
            assert Customer.get_by_id(co.east_customer.id).ar_balance == Decimal(left)
    # Paid ahead: the list says so, not "-¥650.00" under 应收.
    row = fin.get("/admin/customers").get_data(as_text=True).split(co.east_customer.name)[1]
    assert row.split("</tr>")[0].count("预付 ¥650.00") == 1 and "-¥650.00" not in row


def test_invitation_shows_code_and_qr(signed_in, co):
    cs = signed_in("cs")
    response = cs.post(f"/admin/customers/{co.east_customer.id}/invitations", {})
    page = response.get_data(as_text=True)
    invitation = Invitation.get(Invitation.customer == co.east_customer.id)
    assert invitation.code in page and "<svg" in page and "/bind?code=" in page
    # Another branch's customer service cannot open it.
    south_cs = signed_in("cs_east")
    other = cs.post(f"/admin/customers/{co.south_customer.id}/invitations", {})
    code = Invitation.get(Invitation.customer == co.south_customer.id).code
    assert other.status_code == 200
    assert south_cs.get(f"/admin/invitations/{code}").status_code == 404


def test_admin_pages_create_things(signed_in, co):
    admin = signed_in("admin")
    response = admin.post(
        "/admin/customers",
        {
            "code": "NEW01",
            "name": "新经销商",
            "branch_id": str(co.east.id),
            "warehouse_id": str(co.sh.id),
            "price_level": "2",
            "settlement_method": "credit",
            "credit_limit": "8000",
            "rep_id": str(co.rep.id),
            "visit_every_days": "14",
        },
    )
    customer = Customer.get(Customer.code == "NEW01")
    assert customer.credit_limit == Decimal("8000.00") and customer.rep_id == co.rep.id
    assert customer.visit_every_days == 14
    assert "新经销商" in response.get_data(as_text=True)
    again = admin.post(
        "/admin/customers",
        {
            "code": "NEW01",
            "name": "重复",
            "branch_id": str(co.east.id),
            "warehouse_id": str(co.sh.id),
        },
    )
    assert "客户编码已存在" in again.get_data(as_text=True)

    admin.post(
        f"/admin/customers/{customer.id}/prices", {"product_id": str(co.tea.id), "price": "41.50"}
    )
    assert "¥41.50" in admin.get(f"/admin/customers/{customer.id}").get_data(as_text=True)

    response = admin.post(
        "/admin/products",
        {
            "sku": "P-NEW",
            "name": "新品乌龙茶",
            "list_price": "60",
            "price-1": "58",
            "price-10": "40",
        },
    )
    assert "新品乌龙茶" in response.get_data(as_text=True)
    admin.post(
        "/admin/stock/adjustments",
        {
            "warehouse_id": str(co.sh.id),
            "product_id": str(co.tea.id),
            "qty_delta": "-5",
            "reason": "盘亏",
        },
    )
    assert Stock.get(Stock.warehouse == co.sh.id, Stock.product == co.tea.id).on_hand == 995

    admin.post(
        "/admin/announcements",
        {"title": "春节放假通知", "body": "2月1日至7日停止发货", "pinned": "true"},
    )
    assert "春节放假通知" in admin.get("/admin/announcements").get_data(as_text=True)

    admin.post(
        "/admin/approval-rules",
        {
            "name": "超额特批",
            "priority": "5",
            "credit_exceeded": "1",
            "step_role": ["finance", "hq_approver", ""],
        },
    )
    rule = ApprovalRule.get(ApprovalRule.name == "超额特批")
    assert json.loads(rule.condition) == {"credit_exceeded": True}
    assert [s["role"] for s in json.loads(rule.steps)] == ["finance", "hq_approver"]
    admin.post(f"/admin/approval-rules/{rule.id}/active", {"active": "0"})
    assert not ApprovalRule.get_by_id(rule.id).active

    admin.post(
        "/admin/staff",
        {
            "username": "newcs",
            "name": "新客服",
            "password": "longenough1",
            "role": "customer_service",
        },
    )
    newcs = Staff.get(Staff.username == "newcs")
    assert (
        Console(admin.client.application.test_client()).login("newcs", "longenough1").status_code
        == 302
    )
    short = admin.post("/admin/staff", {"username": "x2", "password": "short", "role": "admin"})
    assert "密码至少 8 位" in short.get_data(as_text=True)
    taken = admin.post(
        "/admin/staff",
        {"username": "newcs", "name": "王小二", "password": "longenough2", "phone": "13900001111"}
        | {"role": "warehouse"},
    ).get_data(as_text=True)
    form = taken.split('id="staff-form"')[1].split("</form>")[0]
    assert "您填写的内容还在" in taken
    for typed in ('value="newcs"', 'value="王小二"', 'value="13900001111"'):
        assert typed in form
    assert re.search(r'<option value="warehouse"\s+selected>', form)
    assert "longenough2" not in form  # a password is never sent back
    admin.post(f"/admin/staff/{newcs.id}/active", {"active": "0"})
    assert not Staff.get_by_id(newcs.id).active
    admin.post("/admin/branches", {"code": "XB", "name": "西部分公司"})
    response = admin.post("/admin/branches", {"code": "XB", "name": "重复"})
    assert "分支机构编码已存在" in response.get_data(as_text=True)
    west = Branch.get(Branch.code == "XB")
    admin.post("/admin/warehouses", {"code": "XW", "name": "成都仓", "branch_id": str(west.id)})
    assert Warehouse.get(Warehouse.code == "XW").branch_id == west.id
    assert "成都仓" in admin.get("/admin/organisation").get_data(as_text=True)
    response = admin.post(f"/admin/staff/{co.rep.id}/invitations", {})
    assert Invitation.get(Invitation.staff == co.rep.id).code in response.get_data(as_text=True)


def test_bad_input_to_pages_never_breaks_them(signed_in, co):
    admin = signed_in("admin")
    for path in (
        "/admin/orders?status=nonsense",
        "/admin/orders?date_from=2026-13-45",
        "/admin/orders?page=0",
        "/admin/customers?branch_id=abc",
        "/admin/customers/999999",
        "/admin/orders/999999",
        "/admin/products/999999",
        "/admin/invitations/NOPE",
        "/admin/customers/1/statement?date_from=2026-02-01&date_to=2026-01-01",
    ):
        response = admin.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
    for path, data in (
        ("/admin/products", {"sku": "", "list_price": "abc"}),
        ("/admin/stock/adjustments", {"warehouse_id": "x", "qty_delta": "1.5"}),
        ("/admin/approval-rules", {"name": "r", "min_amount": "lots", "step_role": "rep"}),
        ("/admin/announcements", {"title": "t", "body": "b", "expires_at": "tomorrow"}),
        (
            f"/admin/orders/{co.order().id}/ship",
            {"ship-abc": "x", "carrier": "c", "tracking_no": "t"},
        ),
    ):
        response = admin.post(path, data)
        assert response.status_code < 500, path
        assert any(kind == "error" for kind, _ in flashes(response)), path


def test_field_pages_show_visits_reports_and_suggestions(signed_in, co, app, tmp_path, monkeypatch):
    customer = co.east_customer
    Customer.update(lat=31.2, lng=121.5).where(Customer.id == customer.id).execute()
    now = utcnow()
    visit = Visit.create(
        staff=co.rep.id,
        customer=customer.id,
        checkin_at=now - dt.timedelta(minutes=2),
        checkin_lat=31.2,
        checkin_lng=121.5,
        checkin_distance_m=12,
        checkout_at=now,
        checkout_lat=31.3,
        checkout_lng=121.5,
        checkout_distance_m=11100,
        duration_s=120,
    )
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    png = png_bytes()
    key = LocalStorage(tmp_path).save(png, "visits", "png")
    photo = VisitPhoto.create(
        visit=visit.id, storage_key=key, content_type="image/png", size=len(png)
    )
    report = StockSalesReport.create(
        customer=customer.id, period_end=dt.date.today(), source="rep", reported_by_staff=co.rep.id
    )
    StockSalesLine.create(report=report.id, product=co.tea.id, stock_qty=3, sales_qty=30)
    manager = signed_in("bm_east")
    page = manager.get("/admin/visits").get_data(as_text=True)
    assert "签退地点离门店过远" in page and "停留不足 3 分钟" in page and "11.1 公里" in page
    assert f"/admin/visits/photos/{photo.id}" in page
    served = manager.get(f"/admin/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.get_data() == png
    assert co.tea.name in manager.get("/admin/field-reports").get_data(as_text=True)
    detail = manager.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "补货建议" in detail and co.tea.name in detail
    south = signed_in("bm_south")
    assert co.tea.name not in south.get("/admin/field-reports").get_data(as_text=True)
    assert south.get("/admin/visits").get_data(as_text=True).count("签退地点离门店过远") == 0
    assert south.get(f"/admin/visits/photos/{photo.id}").status_code == 404


def test_dashboard_figures(signed_in, co):
    put_stock(co.sh, co.oil, 100)
    first = co.order(co.east_customer, (co.tea, 10))
    co.order(co.east_customer, (co.oil, 1))
    core_orders.approve_order(first.id, "test")
    co.order(co.south_customer, (co.tea, 1))
    page = signed_in("bm_east").get("/admin/dashboard").get_data(as_text=True)
    data = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page, re.S).group(1))
    assert data["orders_per_day"][-1] == 2  # the south order is out of scope
    assert data["amount_per_day"][-1] == "650.00"  # 450 + 200 (level 1 oil)
    assert data["waiting_count"] == 1 and data["waiting_ages"][0] == ["1小时内", 1]
    assert data["top_products"] == [{"name": co.tea.name, "qty": 10, "amount": "450.00"}]
    assert data["aging"] == {"0-30": "0.00", "31-60": "0.00", "61-90": "0.00", "90+": "0.00"}


def test_dead_letters_are_listed_and_retried_within_scope(signed_in, co, client):
    east = co.order(co.east_customer, (co.tea, 1))
    south = co.order(co.south_customer, (co.tea, 1))
    Notification.update(status="dead", attempts=6, last_error="43101 用户拒绝").execute()
    dead_east = Notification.get(Notification.order == east.id)
    dead_south = Notification.get(Notification.order == south.id)

    east_cs = signed_in("cs_east")
    page = east_cs.get("/admin/notifications?status=dead").get_data(as_text=True)
    assert east.number in page and south.number not in page and "43101 用户拒绝" in page
    response = east_cs.post(f"/admin/notifications/{dead_south.id}/retry")
    assert "通知不存在" in response.get_data(as_text=True)
    assert Notification.get_by_id(dead_south.id).status == "dead"
    response = east_cs.post(f"/admin/notifications/{dead_east.id}/retry")
    assert ("success", "已重新排队发送") in flashes(response)
    assert Notification.get_by_id(dead_east.id).status == "pending"
    response = east_cs.post(f"/admin/notifications/{dead_east.id}/retry")
    assert "只有发送失败或无法送达的通知可以重发" in response.get_data(as_text=True)

    # The admin API keeps to the same scope.
    api = client.post(
        f"/api/admin/v1/notifications/{dead_south.id}/retry", headers=co.headers("cs_east")
    )
    assert api.status_code == 404
    assert signed_in("wh").get("/admin/notifications").status_code == 403


def test_the_customer_page_shows_reach_and_sends_invitation_sms_limited_per_number(
    signed_in, co, sandbox
):
    import dataclasses

    from app.mall.models import Invitation
    from app.notify import settings as notify_settings

    old = notify_settings.current()
    notify_settings.configure(
        dataclasses.replace(
            old, sms_provider="tencent", sms_endpoint=sandbox.url.removeprefix("http://")
        )
    )
    try:
        cs = signed_in("cs")
        page = cs.get(f"/admin/customers/{co.east_customer.id}").get_data(as_text=True)
        assert "消息触达" in page and "无法触达" in page and "发送邀请短信" in page
        for _ in range(3):
            sent = cs.post(
                f"/admin/customers/{co.east_customer.id}/invitation-sms", {"phone": "13600000001"}
            )
            assert ("success", "已发送邀请短信到 +8613600000001") in flashes(sent)
        refused = cs.post(
            f"/admin/customers/{co.east_customer.id}/invitation-sms", {"phone": "13600000001"}
        )
        assert any("今天已发送 3 条邀请短信" in text for _, text in flashes(refused))
        texts = sandbox.sms(phone="+8613600000001")
        assert len(texts) == 3 and texts[0]["template_id"] == "1000003"
        code = Invitation.get(Invitation.sms_phone == "+8613600000001").code
        assert any(t["params"][1].endswith(f"/h5/bind?code={code}") for t in texts)
        other = signed_in("cs_east").post(
            f"/admin/customers/{co.south_customer.id}/invitation-sms", {"phone": "13600000002"}
        )
        assert other.status_code == 404  # another branch's customer
    finally:
        notify_settings.configure(old)


def test_a_prepaid_dealers_order_shows_the_balance_paid_ahead_not_a_negative_use(signed_in, co):
    from app.core.receivables import record_receipt

    Customer.update(settlement_method="prepaid").where(Customer.id == co.east_customer.id).execute()
    record_receipt(co.east_customer.id, Decimal("1000.00"), "bank", "预付", recorded_by="test")
    order = co.order(co.east_customer, (co.tea, 2))
    page = signed_in("cs").get(f"/admin/orders/{order.id}").get_data(as_text=True)
    funds = page.split("信用与资金")[1].split("</dl>")[0]
    assert re.search(r"<dt>预付款余额</dt><dd>¥1,000.00</dd>", funds), funds
    assert "已占用" not in funds and "¥-" not in funds


def test_the_product_page_writes_level_prices_as_money(signed_in, co):
    page = signed_in("wh").get(f"/admin/products/{co.tea.id}").get_data(as_text=True)
    assert "<tr><th>标准价</th><td>¥50.00</td></tr>" in page
    assert "<tr><th>3 级</th><td>¥45.00</td></tr>" in page
    assert "<tr><th>4 级</th><td></td></tr>" in page  # no price of its own at that level
