"""库存成本 in a real browser (Debian's Chromium at 1366 px, the staff phone at 375 px in WeChat's
user agent), against the app under gunicorn: receive goods at cost, send a transfer and receive
it at the other end, count by scanning SKUs, read the ledger, record a fee, see margins and profit
with charts, alerts on the home page; on the phone, check picked SKUs. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.core import orders
from app.core.models import Product, Stock
from app.inventory import services as inventory
from app.inventory.models import CustomerFee, StockCount, Transfer
from app.mall import accounts
from devkit.factories import make_product

pytestmark = pytest.mark.slow


def text_of(pdf: bytes) -> str:
    """A PDF's text without whitespace (its text runs break where its lines do)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


def stock_of(warehouse, product) -> Stock:
    return Stock.get((Stock.warehouse == warehouse.id) & (Stock.product == product.id))


def fill_in(form, fields: dict[str, str]) -> None:
    """In `form` (a page, or a locator of one of its forms), type each value into the field its
    selector names, or pick it there when that field is a <select>."""
    for selector, value in fields.items():
        field = form.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_the_warehouse_receives_transfers_and_counts_in_the_console(desk, gunicorn, co):
    wh = desk(co.staff["wh"].username)
    page = wh.page
    wh.go("/admin/stock/receipts")
    fill_in(
        page,
        {
            "select[name=warehouse_id]": str(co.sh.id),
            "input[name=supplier]": "福建茶厂",
            "input[name=reference]": "DN-20261201",
            "select[aria-label='第 1 行商品']": str(co.oil.id),
            "input[aria-label='第 1 行数量']": "10",
            "input[aria-label='第 1 行单价']": "150.5",
        },
    )
    wh.shot("inventory/receipt-form")
    wh.button("入库").click()
    page.wait_for_selector("#receipt-lines")
    assert "已入库" in page.inner_text("h2")
    assert "¥1,505.00" in page.inner_text("#receipt-lines")
    wh.shot("inventory/receipt")
    assert stock_of(co.sh, co.oil).on_hand == 20

    wh.go("/admin/stock/transfers")
    fill_in(
        page,
        {
            "select[name=from_warehouse_id]": str(co.sh.id),
            "select[name=to_warehouse_id]": str(co.gz.id),
            "select[aria-label='第 1 行商品']": str(co.oil.id),
            "input[aria-label='第 1 行数量']": "6",
        },
    )
    wh.button("发出调拨").click()
    page.wait_for_selector("#transfer-lines")
    assert "在途" in page.inner_text("h2")
    assert stock_of(co.gz, co.oil).in_transit == 6
    page.fill("input[aria-label='花生油 本次到货']", "4")
    wh.shot("inventory/transfer-in-transit")
    wh.button("确认到货").click()
    page.wait_for_selector(".flash-success")
    assert "已部分到货" in wh.flash()
    assert (stock_of(co.gz, co.oil).on_hand, stock_of(co.gz, co.oil).in_transit) == (14, 2)
    wh.shot("inventory/transfer-partly-received")

    # A count by scanner: each scan is the SKU typed and Enter; a wrong code is refused in words.
    wh.go(f"/admin/stock/counts?warehouse_id={co.sh.id}")
    scan = page.locator("#scan")
    for _ in range(3):
        scan.fill(co.oil.sku)
        scan.press("Enter")
    scan.fill("6900000000000")
    scan.press("Enter")
    assert "不是本系统的商品编码" in page.inner_text("#scan-message")
    scan.fill(co.tea.sku)
    scan.press("Enter")
    page.fill(f"input[aria-label='{co.tea.name} 实盘数量']", "998")
    assert page.locator("#count-lines tbody tr").count() == 2
    assert "-11" in page.inner_text("#count-lines")  # oil: book 14, counted 3
    page.fill("input[name=note]", "月末盘点")
    wh.shot("inventory/count-entry")
    page.once("dialog", lambda dialog: dialog.accept())  # posting a count asks first
    wh.button("过账").click()
    page.wait_for_selector("#count-result")
    wh.shot("inventory/count-posted")
    clerk = co.staff["wh"].name
    assert f"盘点人 仓库 {clerk}" in page.inner_text("main") and "staff:" not in page.content()
    wh.go("/admin/stock/counts")
    assert f"仓库 {clerk}" in page.inner_text("#counts") and "staff:" not in page.content()
    count = StockCount.get()
    assert {ln.product_id: ln.counted_qty for ln in count.lines} == {co.oil.id: 3, co.tea.id: 998}
    assert stock_of(co.sh, co.oil).on_hand == 3

    wh.go(f"/admin/stock/movements?product_id={co.oil.id}")
    ledger = page.inner_text("#movements")
    for words in ("采购入库", "调拨出库", "盘点", "150.5000"):
        assert words in ledger
    wh.shot("inventory/movements")
    wh.go("/admin/stock")
    assert "在途（调入）" in page.inner_text("table")
    wh.shot("inventory/stock-at-cost")
    assert wh.errors == []
    assert Transfer.get().status == "partially_received"


def test_margins_profit_fees_and_alerts_in_the_console(desk, gunicorn, co):
    Product.update(brand="茗香", safety_stock=2000).where(Product.id == co.tea.id).execute()
    keeper = co.staff["wh"]  # the tea on hand counted out, then received at 28.50 a case
    tea = [{"product_id": co.tea.id, "counted_qty": 0}]
    inventory.create_count(keeper, {"warehouse_id": co.sh.id, "lines": tea})
    received = [{"product_id": co.tea.id, "qty": 100, "unit_cost": Decimal("28.5")}]
    inventory.create_receipt(
        keeper, {"warehouse_id": co.sh.id, "reference": "DN-7", "lines": received}
    )
    order = co.order(co.east_customer, (co.tea, 10))
    orders.approve_order(order.id, "staff:1")
    orders.ship_order(order.id, [(order.lines[0].id, 10)], "顺丰", "SF1", "wh")

    fin = desk(co.staff["fin"].username)
    page = fin.page
    fin.go("/admin/fees")
    fill_in(
        page.locator("#fee-form"),
        {
            "select[name=customer_id]": str(co.east_customer.id),
            "select[name=kind]": "listing",
            "input[name=amount]": "120",
            "input[name=date]": order.created_at.strftime("%Y-%m-%d"),
            "input[name=brand]": "茗香",
        },
    )
    fin.button("记录").click()
    page.wait_for_selector(".flash-success")
    assert "已记录进场费 ¥120.00" in fin.flash()
    assert CustomerFee.get().amount == Decimal("120.00")
    fin.shot("inventory/fees")

    admin = desk(co.staff["admin"].username)
    page = admin.page
    assert "低库存" in page.inner_text("#alerts")
    admin.shot("inventory/dashboard-alerts")
    admin.go("/admin/reports")
    assert "毛利率" in page.inner_text("#report-branch")
    page.wait_for_timeout(1500)
    admin.shot("inventory/sales-margins")
    admin.go("/admin/reports/profit?group_by=brand")
    page.wait_for_selector("#chart-profit canvas")
    page.wait_for_timeout(1500)  # the bars grow in; the screenshot shows them grown
    table = page.inner_text("#profit")
    # 10 cases at 45.00 cost 285.00; the listing fee of 120.00 leaves 45.00.
    assert "茗香" in table and "¥285.00" in table and "¥120.00" in table and "¥45.00" in table
    admin.shot("inventory/profit")
    with page.expect_download() as download:
        page.click("#profit-export")
    assert download.value.suggested_filename.startswith("利润核算-品牌")
    admin.go(f"/admin/orders/{order.id}")
    note = page.get_by_role("link", name="送货单")
    pdf = page.request.get(f"{admin.base}{note.get_attribute('href')}")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "送货单" in text_of(pdf.body()) and order.number in text_of(pdf.body())
    assert admin.errors == []


def test_the_warehouse_checks_picked_skus_on_the_phone(wechat, gunicorn, co):
    Product.update(safety_stock=50).where(Product.id == co.oil.id).execute()
    order = co.order(co.east_customer, (co.oil, 2), (co.tea, 1))
    orders.approve_order(order.id, "staff:1")
    invitation = accounts.create_invitation("staff", staff_id=co.staff["wh"].id)
    phone = wechat("keeper-1")
    phone.bind(invitation.code, lands_on="/h5/staff/?bound=1")
    page = phone.page
    assert "花生油（" in page.inner_text("#alerts") and "低于安全库存 50" in page.inner_text(
        "#alerts"
    )
    phone.shot("staff-home-alerts", full_page=False)
    phone.go(f"/h5/staff/orders/{order.id}")
    sheet = page.request.get(f"{phone.base}{page.get_attribute('#picking-list', 'href')}")
    assert sheet.headers["content-type"] == "application/pdf"
    assert "拣货单" in text_of(sheet.body()) and order.number in text_of(sheet.body())
    page.get_by_role("link", name="扫码拣货").click()
    page.wait_for_selector("#scan-code")
    for code in (co.oil.sku, "SKU-NOT-HERE", co.oil.sku):
        page.fill("#scan-code", code)
        phone.button("核对").click()
        page.wait_for_selector(".flash")
        if code == "SKU-NOT-HERE":
            assert "不是本系统的商品编码" in phone.flash("error")
    assert "2 / 2" in page.inner_text("#pick-lines")
    page.fill("#scan-code", co.oil.sku)
    phone.button("核对").click()
    assert "已拣够 2" in phone.flash("error")
    phone.shot("staff-picking", full_page=False)
    assert phone.errors == []


def test_a_refused_receipt_or_transfer_keeps_what_the_clerk_typed(desk, gunicorn, co):
    wh = desk(co.staff["wh"].username)
    page = wh.page
    wh.go("/admin/stock/receipts")
    typed = {
        "select[name=warehouse_id]": str(co.sh.id),
        "input[name=supplier]": "金鼎粮油",
        "input[name=reference]": "CG-2001",
        "select[aria-label='第 1 行商品']": str(co.oil.id),
        "input[aria-label='第 1 行数量']": "10",
        "input[aria-label='第 1 行单价']": "150.5",
        "select[aria-label='第 2 行商品']": str(co.tea.id),
        "input[aria-label='第 2 行数量']": "5",
    }
    fill_in(page, typed)
    wh.button("入库").click()
    said = wh.flash("error")
    assert "商品行 第 2 行 单价：" in said, said
    assert "unit_cost" not in said and "您填写的内容还在" in said
    for selector, value in typed.items():
        assert page.locator(selector).input_value() == value, selector
    wh.shot("inventory/receipt-refused")
    page.fill("input[aria-label='第 2 行单价']", "28")
    wh.button("入库").click()
    page.wait_for_selector("#receipt-lines")
    assert "已入库" in page.inner_text("h2")

    wh.go("/admin/stock/transfers")
    typed = {
        "select[name=from_warehouse_id]": str(co.sh.id),
        "select[name=to_warehouse_id]": str(co.gz.id),
        "select[aria-label='第 1 行商品']": str(co.oil.id),
        "input[aria-label='第 1 行数量']": "99999",
        "input[name=note]": "补广州仓",
    }
    fill_in(page, typed)
    wh.button("发出调拨").click()
    assert "库存不足" in wh.flash("error")
    for selector, value in typed.items():
        assert page.locator(selector).input_value() == value, selector
    assert wh.errors == []


LAPTOP = {"width": 1366, "height": 768}


def test_a_transfer_is_received_line_by_line_until_nothing_is_in_transit(desk, gunicorn, co):
    sent = inventory.create_transfer(
        co.staff["wh"],
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.oil.id, "qty": 10}, {"product_id": co.tea.id, "qty": 40}],
        },
    )
    wh = desk(co.staff["wh"].username, viewport=LAPTOP)
    page = wh.page
    oil_box = f"input[aria-label='{co.oil.name} 本次到货']"
    tea_box = f"input[aria-label='{co.tea.name} 本次到货']"
    wh.go(f"/admin/stock/transfers/{sent.id}")

    # The first time, only some lines: a line left empty brings none of it now.
    page.fill(oil_box, "6")
    page.fill(tea_box, "")
    wh.button("确认到货").click()
    page.wait_for_selector(".flash")
    assert "已部分到货" in wh.flash(), page.inner_text("main")
    assert (stock_of(co.gz, co.oil).in_transit, stock_of(co.gz, co.tea).in_transit) == (4, 40)

    # 0 is none of that line too.
    page.fill(oil_box, "0")
    page.fill(tea_box, "40")
    wh.button("确认到货").click()
    page.wait_for_selector(".flash")
    assert "已部分到货" in wh.flash(), page.inner_text("main")
    assert (stock_of(co.gz, co.oil).in_transit, stock_of(co.gz, co.tea).in_transit) == (4, 0)
    # The tea has all arrived: its row asks for nothing more; the oil's 4 are still on their way.
    assert page.locator(tea_box).count() == 0
    assert page.locator(oil_box).input_value() == "4"
    wh.shot("inventory/transfer-one-line-left", full_page=False)

    # Nothing arriving is refused in words, and a wrong entry names its row; what was typed stays.
    page.fill(oil_box, "")
    wh.button("确认到货").click()
    said = wh.flash("error")
    assert "请填写本次到货数量" in said and "您填写的内容还在" in said, said
    assert page.locator(oil_box).input_value() == ""
    page.fill(oil_box, "四")
    wh.button("确认到货").click()
    said = wh.flash("error")
    assert "第 2 行 数量：须为整数" in said, said  # the tea's row is the first
    assert page.locator(oil_box).input_value() == "四"
    wh.shot("inventory/transfer-receive-refused", full_page=False)
    assert stock_of(co.gz, co.oil).in_transit == 4

    page.fill(oil_box, "4")
    wh.button("确认到货").click()
    page.wait_for_selector(".flash-success")
    assert "已全部到货" in wh.flash()
    assert Transfer.get_by_id(sent.id).status == "received"
    assert stock_of(co.gz, co.oil).in_transit == 0
    assert page.locator("#receive-form input[name=qty]:not([type=hidden])").count() == 0
    assert wh.button("确认到货").count() == 0
    wh.shot("inventory/transfer-received", full_page=False)
    assert wh.errors == []


def test_a_refused_count_keeps_every_scanned_line_and_posting_asks_first(desk, gunicorn, co):
    third = make_product("12.00", name="矿泉水")
    wh = desk(co.staff["wh"].username, viewport=LAPTOP)
    page = wh.page
    wh.go(f"/admin/stock/counts?warehouse_id={co.sh.id}")
    scan = page.locator("#scan")
    for sku in (co.oil.sku, co.tea.sku, co.oil.sku, third.sku):
        scan.fill(sku)
        scan.press("Enter")
    page.fill(f"input[aria-label='{co.tea.name} 实盘数量']", "abc")
    page.fill(f"input[aria-label='{third.name} 实盘数量']", "7")
    page.fill("input[name=note]", "月末盘点")
    page.once("dialog", lambda dialog: dialog.accept())
    wh.button("过账").click()
    said = wh.flash("error")
    assert "第 2 行 实盘数量：须为整数" in said and "您填写的内容还在" in said, said
    rows = page.locator("#count-lines tbody tr")
    assert rows.count() == 3
    typed = {co.oil.name: "2", co.tea.name: "abc", third.name: "7"}
    for name, value in typed.items():
        assert page.locator(f"input[aria-label='{name} 实盘数量']").input_value() == value, name
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == [
        co.oil.sku,
        co.tea.sku,
        third.sku,
    ]
    assert "-8" in rows.nth(0).inner_text()  # oil: book 10, counted 2
    assert page.locator("input[name=note]").input_value() == "月末盘点"
    wh.shot("inventory/count-refused", full_page=False)
    assert StockCount.select().count() == 0

    # Scanning goes on where it was; posting asks first, and declining posts nothing.
    scan.fill(co.oil.sku)
    scan.press("Enter")
    assert page.locator(f"input[aria-label='{co.oil.name} 实盘数量']").input_value() == "3"
    page.fill(f"input[aria-label='{co.tea.name} 实盘数量']", "999")
    asked = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    wh.button("过账").click()
    page.wait_for_timeout(300)
    assert asked and "过账" in asked[0] and "库存" in asked[0], asked
    assert StockCount.select().count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    wh.button("过账").click()
    page.wait_for_selector("#count-result")
    count = StockCount.get()
    assert {ln.product_id: ln.counted_qty for ln in count.lines} == {
        co.oil.id: 3,
        co.tea.id: 999,
        third.id: 7,
    }
    assert wh.errors == []
