"""Excel from the console: exports read back with openpyxl; imports all-or-nothing with row errors."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from app.core import catalog, units
from app.core.models import Customer, Product, ProductPrice
from app.core.receivables import record_receipt
from devkit.factories import approve_and_ship, make_staff, place
from devkit.testing.clients import Console, flashes, xlsx_file

CUSTOMER_COLUMNS = [
    "编码",
    "名称",
    "分支机构",
    "默认仓库",
    "价格等级",
    "结算方式",
    "信用额度",
    "业务员账号",
]


def read(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.get_data()))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def upload(session, path: str, rows: list[list]):
    return session.post(
        path, {"file": (xlsx_file(rows), "导入.xlsx")}, content_type="multipart/form-data"
    )


def shipped(co, customer, qty: int):
    return approve_and_ship(co.order(customer, (co.tea, qty)), "顺丰", "SF9", "test")


def test_orders_export_follows_filters_and_scope(signed_in, co):
    east_pending = co.order(co.east_customer, (co.tea, 2))
    east_shipped = shipped(co, co.east_customer, 4)
    co.order(co.south_customer, (co.tea, 1))
    sheets = read(signed_in("bm_east").get("/admin/orders/export.xlsx"))
    header, *rows = sheets["订单"]
    assert header[:6] == ("订单号", "下单时间（北京时间）", "客户编码", "客户名称", "状态", "金额")
    assert {r[0] for r in rows} == {east_pending.number, east_shipped.number}  # not the south one
    by_number = {r[0]: r for r in rows}
    assert by_number[east_shipped.number][4] == "已发货"
    assert by_number[east_shipped.number][5] == 180.0  # 4 × 45.00
    lines = sheets["明细"][1:]
    assert (east_shipped.number, co.tea.sku, co.tea.name, 4, 45.0, 180.0, 4) in lines

    only_shipped = read(signed_in("admin").get("/admin/orders/export.xlsx?status=shipped"))
    assert [r[0] for r in only_shipped["订单"][1:]] == [east_shipped.number]


def test_statement_and_aging_exports(signed_in, co):
    shipped(co, co.east_customer, 10)  # 450.00
    record_receipt(co.east_customer.id, Decimal("100.00"), "bank", "R1", recorded_by="test")
    fin = signed_in("fin")
    rows = read(fin.get(f"/admin/customers/{co.east_customer.id}/statement.xlsx"))["对账单"]
    assert rows[0] == ("时间（北京时间）", "类型", "单号", "摘要", "金额", "余额")
    assert rows[1][1:] == ("期初余额", None, None, None, 0.0)
    assert [r[1] for r in rows[2:]] == ["发货", "收款"]
    assert [r[5] for r in rows[2:]] == [450.0, 350.0]

    aging = read(fin.get("/admin/ar-aging.xlsx"))["应收账龄"]
    assert aging[0] == ("客户编码", "客户名称", "0-30 天", "31-60 天", "61-90 天", "90+ 天", "合计")
    assert aging[1][:3] == (co.east_customer.code, co.east_customer.name, 350.0)
    assert aging[-1] == ("合计", None, 350.0, 0.0, 0.0, 0.0, 350.0)


def test_product_import_creates_and_updates(signed_in, co):
    drinks = catalog.create_category("饮料")
    header = ["SKU", "名称", "分类", "单位", "标准价", "1级价", "10级价", "起订量", "订货倍数"]
    rows = [
        header,
        ["IMP-1", "乌龙茶", "饮料", "箱", 60, 58, 40.5, 2, 2],
        ["IMP-2", "红茶", None, None, "35.50", None, None, None, None],
        [co.tea.sku, None, None, None, 52, None, None, None, None],  # update: the price only
        [None, None, None, None, None, None, None, None, None],  # blank rows are skipped
    ]
    response = upload(signed_in("admin"), "/admin/import/products", rows)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert ("success", "导入完成：新增 2 条，更新 1 条。") in flashes(response)
    oolong = Product.get(Product.sku == "IMP-1")
    assert (oolong.category_id, oolong.unit, oolong.min_qty, oolong.step) == (drinks.id, "箱", 2, 2)
    assert catalog.level_prices([oolong.id])[oolong.id] == {
        1: Decimal("58.00"),
        10: Decimal("40.50"),
    }
    assert Product.get(Product.sku == "IMP-2").list_price == Decimal("35.50")
    tea = Product.get_by_id(co.tea.id)
    assert (tea.list_price, tea.name, tea.unit) == (Decimal("52.00"), co.tea.name, co.tea.unit)


def test_product_units_go_out_and_come_back_in_the_unit_column(signed_in, co):
    catalog.update_product(co.tea.id, unit="盒", units=[{"name": "箱", "factor": 12}])
    catalog.update_product(co.oil.id, unit="件", units=[])
    admin = signed_in("admin")
    (header, *rows) = read(admin.get("/admin/products/export.xlsx"))["商品"]
    at = header.index("单位换算")
    by_sku = {r[0]: list(r) for r in rows}
    tea = by_sku[co.tea.sku]
    assert (tea[header.index("单位")], tea[at]) == ("盒", "箱=12")
    assert by_sku[co.oil.sku][at] is None  # none: left empty
    assert "导出 Excel" in admin.get("/admin/products").get_data(as_text=True)

    by_sku[co.tea.sku][at] = "箱=12； 袋=6"  # either semicolon
    by_sku[co.oil.sku][at] = "桶=4"
    new = [*by_sku[co.oil.sku]]
    new[0], new[at] = "NEW-1", "箱=24"
    response = upload(admin, "/admin/import/products", [header, *by_sku.values(), new])
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    saved = {
        p.sku: (p.unit, units.units_of(p))
        for p in Product.select().where(Product.sku << [co.tea.sku, co.oil.sku, "NEW-1"])
    }
    assert saved == {
        co.tea.sku: ("盒", [units.Unit("箱", 12), units.Unit("袋", 6)]),
        co.oil.sku: ("件", [units.Unit("桶", 4)]),
        "NEW-1": ("件", [units.Unit("箱", 24)]),
    }
    # Read back as written; 无 clears, an empty cell leaves them.
    (_, *again) = read(admin.get("/admin/products/export.xlsx"))["商品"]
    assert {r[0]: r[at] for r in again}[co.tea.sku] == "箱=12; 袋=6"
    short = ["SKU", "名称", "标准价", "单位换算"]
    rows = [short, [co.tea.sku, None, None, "无"], [co.oil.sku, None, 9, None]]
    assert upload(admin, "/admin/import/products", rows).status_code == 200
    assert units.units_of(Product.get_by_id(co.tea.id)) == []
    assert units.units_of(Product.get_by_id(co.oil.id)) == [units.Unit("桶", 4)]


def test_a_bad_unit_cell_names_the_row_and_saves_nothing(signed_in, co):
    rows = [
        ["SKU", "名称", "单位", "单位换算", "标准价"],
        ["U-1", "好的", "件", "箱=12", 10],
        ["U-2", "没写数", "件", "箱", 10],
        ["U-3", "不是整数", "件", "箱=1.5", 10],
        ["U-4", "与基本单位相同", "件", "件=12", 10],
        ["U-5", "太小", "件", "箱=1", 10],
        ["U-6", "重复", "件", "箱=12; 箱=24", 10],
    ]
    response = upload(signed_in("admin"), "/admin/import/products", rows)
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("\n", "")
    for row, message in (
        (3, "“箱”须写成 单位=换算数，如 箱=12"),
        (4, "单位“箱”的换算数须为整数"),
        (5, "单位“件”就是基本单位，不用再加"),
        (6, "换算数须在 2 到 10000 之间"),
        (7, "单位“箱”重复了"),
    ):
        assert f"<td>{row}</td><td>单位换算</td><td>{message}" in page, row
    assert Product.select().where(Product.sku.startswith("U-")).count() == 0


def test_product_import_with_errors_imports_nothing_and_lists_each_row(signed_in, co):
    before = (Product.select().count(), ProductPrice.select().count())
    rows = [
        ["SKU", "名称", "分类", "标准价", "3级价", "启用"],
        ["OK-1", "好商品", None, 10, None, "是"],
        ["BAD-1", "价格不对", None, "abc", None, None],
        ["BAD-2", None, "不存在的分类", 10, None, None],
        ["OK-1", "重复", None, 11, None, None],
        ["BAD-3", "负价", None, 10, -1, "也许"],
    ]
    response = upload(signed_in("admin"), "/admin/import/products", rows)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "发现 6 处错误，未导入任何数据" in page
    for row, column, message in (
        (3, "标准价", "须为数字"),
        (4, "名称", "此项必填"),
        (4, "分类", "分类“不存在的分类”不存在"),
        (5, "SKU", "与第 2 行重复：OK-1"),
        (6, "启用", "须为 是 或 否"),
        (6, "3级价", "金额须在 0 到 999999999 之间"),
    ):
        assert f"<td>{row}</td><td>{column}</td><td>{message}" in page.replace("\n", ""), (
            row,
            column,
        )
    assert (Product.select().count(), ProductPrice.select().count()) == before


def test_import_refuses_files_that_are_not_workbooks_or_lack_columns(signed_in, co):
    admin = signed_in("admin")
    response = admin.post(
        "/admin/import/products",
        {"file": (io.BytesIO(b"sku,name\n1,2\n"), "products.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "文件不是有效的 Excel (.xlsx) 文件" in response.get_data(as_text=True)
    response = upload(admin, "/admin/import/products", [["名称"], ["只有名称"]])
    page = response.get_data(as_text=True)
    assert "<td>1</td><td>SKU</td><td>缺少此列" in page and "<td>1</td><td>标准价</td>" in page
    response = admin.post("/admin/import/products", {}, content_type="multipart/form-data")
    assert "请选择要导入的 Excel 文件" in response.get_data(as_text=True)
    assert admin.get("/admin/import/nonsense").status_code == 404
    template = read(admin.get("/admin/import/products/template.xlsx"))["导入"]
    assert template[0][:3] == ("SKU", "名称", "分类")


def test_customer_import(signed_in, co):
    good = [
        CUSTOMER_COLUMNS,
        ["IMPC-1", "新经销商甲", co.east.code, co.sh.code, 3, "信用赊销", 20000, co.rep.username],
        [co.east_customer.code, None, None, None, None, None, 30000, None],
    ]
    admin = signed_in("admin")
    response = upload(admin, "/admin/import/customers", good)
    assert ("success", "导入完成：新增 1 条，更新 1 条。") in flashes(response)
    new = Customer.get(Customer.code == "IMPC-1")
    assert (new.branch_id, new.price_level, new.rep_id) == (co.east.id, 3, co.rep.id)
    east = Customer.get_by_id(co.east_customer.id)
    assert east.credit_limit == Decimal("30000.00") and east.name == co.east_customer.name

    bad = [
        CUSTOMER_COLUMNS,
        ["IMPC-2", "乙", "没有的分公司", co.sh.code, 11, "月结", None, "nobody"],
    ]
    response = upload(admin, "/admin/import/customers", bad)
    page = response.get_data(as_text=True)
    assert "分支机构“没有的分公司”不存在" in page and "须为 预付款、信用赊销 或 货到付款" in page
    assert "业务员账号“nobody”不存在" in page
    assert not Customer.select().where(Customer.code == "IMPC-2").exists()
    assert signed_in("cs").get("/admin/import/customers").status_code == 403


def test_exported_text_that_looks_like_a_formula_stays_text(signed_in, co):
    evil = '=HYPERLINK("http://evil.example","x")'
    place(co.east_customer, (co.tea, 2), remark=evil)
    Customer.update(name="+86 经销商").where(Customer.id == co.east_customer.id).execute()
    response = signed_in("admin").get("/admin/orders/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data()))["订单"]
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row if c.value}
    assert cells["'" + evil].data_type == "s"  # text, not a formula
    assert cells["'+86 经销商"].data_type == "s"
    assert not [c for c in cells.values() if c.data_type == "f"]


def test_imports_keep_every_row_inside_the_callers_scope(signed_in, co):
    make_staff("admin", co.east, username="admin_e", data_scope="branch")
    east_admin = Console(signed_in("admin").client.application.test_client())
    assert east_admin.login("admin_e").status_code == 302
    rows = [
        CUSTOMER_COLUMNS,
        [co.east_customer.code, None, None, None, None, None, 50000, None],
        [co.south_customer.code, None, None, None, None, None, 9999999, None],
    ]
    response = upload(east_admin, "/admin/import/customers", rows)
    assert response.status_code == 422
    assert "客户不存在" in response.get_data(as_text=True)  # the south customer is out of reach
    assert Customer.get_by_id(co.south_customer.id).credit_limit == Decimal("20000.00")
    assert Customer.get_by_id(co.east_customer.id).credit_limit == Decimal("20000.00")  # none saved
    products = [["SKU", "名称", "单位", "标准价"], ["IMP-X", "新品", "箱", 10]]
    response = upload(east_admin, "/admin/import/products", products)
    assert response.status_code == 422
    assert "只有数据范围为“全部”的员工可以修改" in response.get_data(as_text=True)
    assert not Product.select().where(Product.sku == "IMP-X").exists()
