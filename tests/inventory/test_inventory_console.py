"""Console forms of inventory at cost, through the console's own forms (CSRF, redirects): the
product form's brand and safety stock, a fee without a customer refused in words, receipts and
counts in words, pages in scope, people named on the pages."""

import re

from app.approval import services as approvals
from app.core.models import Product, Stock
from app.inventory import services
from devkit.factories import make_branch, make_staff
from devkit.testing.clients import flashes


def test_the_product_form_sets_brand_and_safety_stock(signed_in, co):
    admin = signed_in("admin")
    page = admin.get(f"/admin/products/{co.tea.id}").get_data(as_text=True)
    assert 'name="brand"' in page and 'name="safety_stock"' in page
    form = {
        "sku": co.tea.sku,
        "name": co.tea.name,
        "unit": "箱",
        "list_price": "50.00",
        "active": "true",
        "brand": "茗香",
        "safety_stock": "80",
    }
    response = admin.post(f"/admin/products/{co.tea.id}", form)
    assert ("success", "商品已保存") in flashes(response)
    tea = Product.get_by_id(co.tea.id)
    assert (tea.brand, tea.safety_stock) == ("茗香", 80)


def test_a_fee_without_a_customer_is_refused_in_words(signed_in, co):
    response = signed_in("fin").post(
        "/admin/fees", {"customer_id": "", "kind": "listing", "amount": "10", "date": "2026-11-01"}
    )
    assert [kind for kind, text in flashes(response) if "请选择客户" in text] == ["error"]


def test_a_receipt_line_with_a_bad_cost_is_refused_in_words(signed_in, co):
    response = signed_in("wh").post(
        "/admin/stock/receipts",
        {
            "warehouse_id": str(co.sh.id),
            "reference": "DN-X",
            "product_id": [str(co.oil.id), ""],
            "qty": ["3", ""],
            "unit_cost": ["一百", ""],
        },
    )
    (kind, text), *_ = flashes(response)
    assert kind == "error" and "须为数字" in text


def test_another_branchs_transfer_page_is_not_found(signed_in, co):
    transfer = services.create_transfer(
        co.staff["wh"],
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.tea.id, "qty": 1}],
        },
    )
    assert signed_in("bm_south").get(f"/admin/stock/transfers/{transfer.id}").status_code == 200
    assert signed_in("cs_east").get(f"/admin/stock/transfers/{transfer.id}").status_code == 200
    co.staff["bm_north"] = make_staff("branch_manager", make_branch("华北"), username="bm_n2")
    assert signed_in("bm_north").get(f"/admin/stock/transfers/{transfer.id}").status_code == 404


def test_a_branch_manager_signs_a_transfer_in_the_console_and_it_leaves(signed_in, co):
    approvals.create_rule("调拨需经理", {}, [{"role": "branch_manager"}], document="transfer")
    transfer = services.create_transfer(
        co.staff["wh"],
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.oil.id, "qty": 3}],
        },
    )
    manager = signed_in("bm_east")
    waiting = manager.get("/admin/stock/transfers?mine=1").get_data(as_text=True)
    assert transfer.number in waiting
    assert transfer.number not in signed_in("hq").get("/admin/stock/transfers?mine=1").get_data(
        as_text=True
    )
    page = manager.get(f"/admin/stock/transfers/{transfer.id}").get_data(as_text=True)
    assert "审批通过" in page and "分公司经理：待签" in page
    response = manager.post(f"/admin/stock/transfers/{transfer.id}/approve", {"comment": "同意"})
    assert ("success", "已发出，在途") in flashes(response)
    assert Stock.get((Stock.warehouse == co.gz.id) & (Stock.product == co.oil.id)).in_transit == 3


def _receipt_and_transfer(co, maker, reference: str):
    """Two tea documents by `maker`: a receipt of 2 at ¥10.00 into 上海, a transfer of 1 to 广州."""
    receipt = services.create_receipt(
        maker,
        {
            "warehouse_id": co.sh.id,
            "reference": reference,
            "lines": [{"product_id": co.tea.id, "qty": 2, "unit_cost": "10.00"}],
        },
    )
    transfer = services.create_transfer(
        maker,
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.tea.id, "qty": 1}],
        },
    )
    return receipt, transfer


def test_a_stock_documents_page_names_who_made_it_not_their_key(signed_in, co):
    maker = co.staff["wh"]
    receipt, transfer = _receipt_and_transfer(co, maker, "DN-1")
    pages = (
        f"/admin/stock/receipts/{receipt.id}",
        f"/admin/stock/transfers/{transfer.id}",
        "/admin/stock/movements",
    )
    for path in pages:
        page = signed_in("hq").get(path).get_data(as_text=True)
        assert maker.name in page, path
        assert f"staff:{maker.id}" not in page, path


def test_the_fees_list_names_who_recorded_a_fee_not_their_key(signed_in, co):
    recorder = co.staff["fin"]
    data = {"kind": "listing", "amount": "10.00", "date": "2026-11-01"}
    services.record_fee(recorder, co.east_customer.id, data)
    page = signed_in("admin").get("/admin/fees").get_data(as_text=True)
    assert recorder.name in page
    assert f"staff:{recorder.id}" not in page


def in_transit(warehouse, product) -> int:
    return Stock.get((Stock.warehouse == warehouse.id) & (Stock.product == product.id)).in_transit


def test_a_transfer_is_received_a_line_at_a_time_in_the_console(signed_in, co):
    transfer = services.create_transfer(
        co.staff["wh"],
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.oil.id, "qty": 10}, {"product_id": co.tea.id, "qty": 40}],
        },
    )
    wh = signed_in("wh")
    path = f"/admin/stock/transfers/{transfer.id}"
    both = [str(co.tea.id), str(co.oil.id)]  # a row each, in the page's order
    # A line left empty, or 0, brings none of it now.
    response = wh.post(f"{path}/receive", {"product_id": both, "qty": ["", "6"]})
    assert ("success", "已部分到货，其余仍在途") in flashes(response)
    response = wh.post(f"{path}/receive", {"product_id": both, "qty": ["40", "0"]})
    assert ("success", "已部分到货，其余仍在途") in flashes(response)
    assert (in_transit(co.gz, co.oil), in_transit(co.gz, co.tea)) == (4, 0)
    page = wh.get(path).get_data(as_text=True)
    assert f"{co.oil.name} 本次到货" in page and f"{co.tea.name} 本次到货" not in page

    # Nothing arriving at all is refused in words, on the page again with what was typed.
    response = wh.post(f"{path}/receive", {"product_id": both, "qty": ["", "0"]})
    (kind, text), *_ = flashes(response)
    assert kind == "error" and "请填写本次到货数量" in text, text
    response = wh.post(f"{path}/receive", {"product_id": both, "qty": ["", "x4"]})
    (kind, text), *_ = flashes(response)
    assert kind == "error" and "第 2 行 数量：须为整数" in text, text
    assert 'value="x4"' in response.get_data(as_text=True)
    assert in_transit(co.gz, co.oil) == 4
    response = wh.post(f"{path}/receive", {"product_id": both, "qty": ["", "4"]})
    assert ("success", "已全部到货") in flashes(response)
    assert in_transit(co.gz, co.oil) == 0


def test_a_refused_count_comes_back_with_every_line(signed_in, co):
    response = signed_in("wh").post(
        "/admin/stock/counts",
        {
            "warehouse_id": str(co.sh.id),
            "product_id": [str(co.oil.id), str(co.tea.id)],
            "counted_qty": ["3", "abc"],
            "note": "月末盘点",
        },
    )
    (kind, text), *_ = flashes(response)
    assert kind == "error" and "第 2 行 实盘数量：须为整数" in text, text
    page = response.get_data(as_text=True)
    for name, typed in ((co.oil.name, "3"), (co.tea.name, "abc")):
        assert f'value="{typed}" aria-label="{name} 实盘数量"' in page, name
    assert 'value="月末盘点"' in page and "data-confirm=" in page


def test_receipt_and_transfer_lines_name_the_unit_of_their_quantities(signed_in, co):
    maker = co.staff["wh"]
    receipt, transfer = _receipt_and_transfer(co, maker, "DN-2")
    clerk = signed_in("wh")
    for path in (f"/admin/stock/receipts/{receipt.id}", f"/admin/stock/transfers/{transfer.id}"):
        page = clerk.get(path).get_data(as_text=True)
        assert "<th>单位</th>" in page, path
        assert f"<td>{co.tea.name}</td><td>箱</td>" in page, path  # the tea's unit (箱)


def selected_warehouse(page: str) -> str:
    picker = page[page.index('aria-label="盘点仓库"') :]
    picker = picker[: picker.index("</select>")]
    return re.search(r'<option value="(\d+)" selected>', picker).group(1)


def test_the_count_picker_starts_at_the_clerks_own_warehouse(signed_in, co):
    co.add_staff("wh_south", "warehouse", co.south, username="wh_s", data_scope="all")
    page = signed_in("wh_south").get("/admin/stock/counts").get_data(as_text=True)
    assert selected_warehouse(page) == str(co.gz.id)  # 华南's, though another sorts first

    # A clerk of no branch starts at the first warehouse by code.
    page = signed_in("wh").get("/admin/stock/counts").get_data(as_text=True)
    assert selected_warehouse(page) == str(min((co.sh, co.gz), key=lambda w: w.code).id)


def test_a_count_line_that_matches_the_book_shows_no_sign(signed_in, co):
    count = services.create_count(
        co.staff["wh"],
        {
            "warehouse_id": co.sh.id,
            "lines": [
                {"product_id": co.tea.id, "counted_qty": 1000},  # as the book says
                {"product_id": co.oil.id, "counted_qty": 12},
            ],
        },
    )
    page = signed_in("wh").get(f"/admin/stock/counts/{count.id}").get_data(as_text=True)
    assert '<td class="num ">0</td>' in page
    assert "+0" not in page
    assert '<td class="num ">+2</td>' in page
