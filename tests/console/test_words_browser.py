"""What staff read in the console is Chinese prose with names, never an internal key, an id or
JSON, and every time is Beijing time — in the browser at 1366 px, and in the Excel they export."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from app.backoffice import orders as staff_orders
from app.core import orders as core_orders
from app.core.models import Order
from app.core.receivables import record_receipt
from app.integrations import keys
from app.mall import accounts, returns
from app.mall.models import WechatUser
from devkit.factories import approve_and_ship
from devkit.servers import Gunicorn
from devkit.testing.browser import Desk
from devkit.testing.stack import app_env, database_and_redis

# What must never reach a reader: snake_case keys, "kind:id" actors, JSON, template ids, codes.
INTERNALS = re.compile(
    r"[a-z]+_[a-z_]+|\b(?:wechat|rep|staff|apikey):\d+|[{}\[\]\"]|order-(?:status|shipped)"
    r"|（(?:bank|cash|wechat|alipay|cheque|other)）|\bUTC\b"
)


def readable(text: str) -> str:
    found = INTERNALS.findall(text)
    assert not found, found
    return text


def shipped_order(co, qty: int = 10):
    order = co.order(co.east_customer, (co.tea, qty))
    return approve_and_ship(order, "顺丰速运", "SF100", "staff:1")


def test_shipping_more_than_is_left_says_so_with_the_products_name(desk, co):
    order = co.order(co.east_customer, (co.tea, 10))
    core_orders.approve_order(order.id, "staff:1")
    clerk = desk(co.staff["wh"].username)
    clerk.go(f"/admin/orders/{order.id}")
    clerk.page.get_by_label("本次发货数量").fill("50")
    clerk.page.get_by_label("承运商").fill("顺丰速运")
    clerk.page.get_by_label("运单号").fill("SF123")
    clerk.page.get_by_role("button", name="确认发货").click()
    message = clerk.flash("error")
    assert "茉莉绿茶 本次发货 50，超过未发数量 10" in readable(message)
    clerk.shot("ship-too-many")
    assert clerk.errors == []


def test_the_order_page_names_who_placed_it_and_says_the_audit_in_words(desk, co):
    user = WechatUser.create(openid="sandbox-words", role="dealer", customer=co.east_customer.id)
    order = co.order(co.east_customer, (co.tea, 10), (co.oil, 2))
    Order.update(placed_by=f"wechat:{user.id}").where(Order.id == order.id).execute()
    staff_orders.adjust(
        co.staff["cs"],
        order.id,
        [{"product_id": co.tea.id, "qty": 15, "price": Decimal("45.00")}],
        "经销商电话改量",
    )
    staff_orders.approve(co.staff["cs"], order.id, "已核实")
    admin = desk(co.staff["admin"].username)
    admin.go(f"/admin/orders/{order.id}")
    head = admin.page.locator("hgroup").inner_text()
    assert f"下单人 经销商 {co.east_customer.name} 的微信用户" in readable(head)
    audit = readable(admin.page.locator(".timeline").nth(1).inner_text())
    assert "茉莉绿茶 × 10，单价 ¥45.00" in audit and "花生油 × 2" in audit
    assert "茉莉绿茶 × 15" in audit and "规则：" in audit
    readable(admin.page.locator(".timeline").first.inner_text())
    admin.shot("order-audit-in-words")
    assert admin.errors == []


def test_notifications_statements_reach_and_api_keys_are_in_words(desk, co):
    order = shipped_order(co, 4)
    line = Order.get_by_id(order.id).lines[0]
    returns.request(
        co.east_customer.id, order.id, [{"order_line_id": line.id, "qty": 1}], "破损", "wechat:1"
    )
    record_receipt(co.east_customer.id, Decimal("100.00"), "bank", "网银 0042", recorded_by="t")
    WechatUser.create(openid="sandbox-reach", role="dealer", customer=co.east_customer.id)
    key, _ = keys.create_key(
        co.staff["admin"], "金蝶库存同步", ["stock.write", "customers.write"], "all"
    )
    admin = desk(co.staff["admin"].username)
    page = admin.page

    admin.go("/admin/notifications")
    table = readable(page.locator("#notifications").inner_text())
    assert "申请退货" in table
    admin.shot("notifications-in-words")

    admin.go(f"/admin/customers/{co.east_customer.id}/statement")
    assert "收款（银行转账）网银 0042" in readable(page.locator("main table").inner_text())

    admin.go(f"/admin/customers/{co.east_customer.id}")
    reach = readable(page.locator("#reach table").inner_text())
    assert "订单状态通知 0 条" in reach and "#" not in reach

    admin.go("/admin/integrations")
    # The key's prefix (dmk_…) is how staff tell keys apart: the one code the table shows.
    keys_table = readable(page.locator("main table").last.inner_text().replace(key.prefix, ""))
    assert "客户、库存" in keys_table and "全部" in keys_table
    admin.shot("api-keys-in-words")
    assert admin.errors == []


def test_excel_exports_say_beijing_time_and_show_it(desk, co):
    order = co.order(co.east_customer, (co.tea, 2))
    placed = dt.datetime(2026, 11, 30, 13, 15)  # 21:15 in Beijing
    Order.update(created_at=placed).where(Order.id == order.id).execute()
    cs = desk(co.staff["cs"].username)
    cs.go("/admin/orders")
    with cs.page.expect_download() as download:
        cs.page.get_by_role("button", name="导出 Excel").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()))["订单"]
    header, row = [list(r) for r in sheet.iter_rows(max_row=2, values_only=True)]
    assert header[1] == "下单时间（北京时间）" and row[1] == dt.datetime(2026, 11, 30, 21, 15)
    readable(" ".join(str(h) for h in header))
    assert cs.errors == []


def test_the_invitation_for_a_branch_manager_says_branch_manager(desk, co):
    invitation = accounts.create_invitation("staff", staff_id=co.staff["bm_east"].id)
    admin = desk(co.staff["admin"].username)
    admin.go(f"/admin/invitations/{invitation.code}")
    header = admin.page.locator(".invitation header").inner_text()
    assert f"分公司经理 {co.staff['bm_east'].name or co.staff['bm_east'].username}" in header
    assert "业务员" not in header
    admin.shot("staff-invitation")
    assert admin.errors == []


def test_the_import_template_has_a_sample_row_and_how_to_fill_each_column(desk, co):
    admin = desk(co.staff["admin"].username)
    admin.go("/admin/import/customers")
    with admin.page.expect_download() as download:
        admin.page.get_by_role("link", name="下载模板").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert book.sheetnames == ["导入", "示例与说明"]
    assert list(book["导入"].iter_rows(min_row=2, values_only=True)) == []  # nothing to import
    header, sample, hints = [list(r) for r in book["示例与说明"].iter_rows(values_only=True)]
    row = dict(zip(header, sample, strict=True))
    assert row["编码"] == "C0101" and row["结算方式"] == "信用赊销"
    assert dict(zip(header, hints, strict=True))["分支机构"] == "必填：分支机构的编码或名称"
    readable(" ".join(str(h or "") for h in header + hints))
    assert admin.errors == []


def test_invitation_links_name_the_port_the_app_is_served_on(
    app, database_url, sandbox, browser, screenshots, co
):
    """Neither PUBLIC_BASE_URL nor H5_BASE_URL set: the links follow PORT, not port 5000."""
    server = Gunicorn(app_env(app, sandbox, **database_and_redis(app, database_url)), workers=1)
    for setting in ("PUBLIC_BASE_URL", "H5_BASE_URL"):
        server.env.pop(setting, None)
    server.env["PORT"] = str(server.port)
    invitation = accounts.create_invitation("staff", staff_id=co.staff["bm_east"].id)
    server.start()
    try:
        admin = Desk(browser, server.url, screenshots, co.staff["admin"].username)
        admin.go(f"/admin/invitations/{invitation.code}")
        link = admin.page.locator(".invitation small.muted").inner_text()
        assert link == f"http://127.0.0.1:{server.port}/h5/bind?code={invitation.code}"
        assert admin.page.locator(".invitation .qr svg").count() == 1  # drawn from that link
        admin.shot("invitation-port")
        assert admin.errors == []
        admin.context.close()
    finally:
        server.stop()


def test_an_order_a_rep_placed_names_the_rep(desk, co):
    rep = co.staff["rep"]
    order = co.order(co.east_customer, (co.tea, 2))
    Order.update(placed_by=f"rep:{rep.id}", source="rep").where(Order.id == order.id).execute()
    admin = desk(co.staff["admin"].username)
    admin.go(f"/admin/orders/{order.id}")
    head = admin.page.locator("hgroup").inner_text()
    # The fixture's rep is called "rep_e": what must not show is the "rep:<id>" actor.
    assert f"下单人 业务员 {rep.name or rep.username}" in head and f"rep:{rep.id}" not in head
    assert admin.errors == []
