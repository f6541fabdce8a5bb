"""One order in the console as customer service and the warehouse use it, at 1366 px: where it
goes and what the dealer asked wherever it is reviewed, signed or shipped, and on the picking
list."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.core.models import Order
from app.core.orders import LineRequest, approve_order
from app.mall import addresses, ordering

REMARK = "请周二上午送货，卸货走后门"
STREET = {
    "contact": "周店长",
    "phone": "13811112222",
    "province": "江苏省",
    "city": "苏州市",
    "district": "姑苏区",
    "address": "人民路 1000 号",
}
SENT_TO = "周店长 13811112222 江苏省苏州市姑苏区人民路 1000 号"


def dealer_order(co, qty: int = 10):
    """An order as a dealer sends it: to one of their addresses, with a remark."""
    address = addresses.add(co.east_customer.id, STREET)
    placed = ordering.place_order(
        co.east_customer.id,
        [LineRequest(co.tea.id, qty)],
        remark=REMARK,
        address_id=address.id,
        placed_by="wechat:1",
    )
    return placed.order


def test_customer_service_sees_where_the_order_goes_and_what_the_dealer_asked(desk, co):
    order = dealer_order(co)
    cs = desk(co.staff["cs"].username)
    cs.go("/admin/review")
    assert REMARK in cs.page.locator("table.queue").inner_text()
    cs.go(f"/admin/orders/{order.id}")
    delivery = cs.page.locator("#delivery")
    assert SENT_TO in delivery.inner_text() and REMARK in delivery.inner_text()
    cs.shot("order-delivery")
    assert cs.errors == []


def test_the_warehouse_ships_and_prints_a_picking_list_with_address_and_remark(desk, co):
    order = dealer_order(co, qty=12)
    approve_order(order.id, "staff:1")
    clerk = desk(co.staff["wh"].username)
    clerk.go(f"/admin/orders/{order.id}")
    ship = clerk.page.locator("article", has=clerk.page.locator("#ship-form"))
    assert SENT_TO in ship.inner_text() and REMARK in ship.inner_text()
    clerk.shot("order-ship-delivery")
    link = clerk.page.get_by_role("button", name="打印拣货单")
    pdf = clerk.page.request.get(f"{clerk.base}{link.get_attribute('href')}")
    assert pdf.headers["content-type"] == "application/pdf"
    sheet = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body())).pages)
    flat = "".join(sheet.split())  # the PDF's text runs break where its lines do
    assert order.number in flat and "".join(SENT_TO.split()) in flat
    assert "".join(REMARK.split()) in flat and "茉莉绿茶" in flat
    assert clerk.errors == []


def test_an_adjustment_without_a_reason_keeps_what_was_typed_and_says_what_is_missing(desk, co):
    order = co.order(co.east_customer, (co.tea, 10), (co.oil, 2))
    cs = desk(co.staff["cs"].username)
    page = cs.page
    cs.go(f"/admin/orders/{order.id}")
    page.get_by_label("茉莉绿茶 数量").fill("15")
    page.get_by_label("删除 花生油").check()
    page.get_by_role("button", name="保存调整").click()
    page.locator("#adjust-error").wait_for()
    assert "请填写调整原因" in page.locator("#adjust-error").inner_text()
    assert page.get_by_label("茉莉绿茶 数量").input_value() == "15"
    assert page.get_by_label("删除 花生油").is_checked()
    assert [(ln.product_id, ln.qty) for ln in Order.get_by_id(order.id).lines] == [
        (co.tea.id, 10),
        (co.oil.id, 2),
    ]  # nothing saved yet
    cs.shot("adjust-missing-reason")

    page.get_by_label("调整原因").fill("经销商来电改为 15 箱，花生油不要了")
    page.get_by_role("button", name="保存调整").click()
    page.wait_for_selector(".flash-success")
    assert [(ln.product_id, ln.qty) for ln in Order.get_by_id(order.id).lines] == [(co.tea.id, 15)]
    cs.errors = [e for e in cs.errors if "422" not in e]  # the refusal was the point
    assert cs.errors == []


def test_customer_service_finds_an_order_by_number_dealer_or_product(desk, co):
    tea = co.order(co.east_customer, (co.tea, 3))
    oil = co.order(co.south_customer, (co.oil, 1))
    cs = desk(co.staff["cs"].username)
    page = cs.page
    cs.go("/admin/orders")
    for words, found, not_found in (
        ("花生油", oil, tea),
        (tea.number[-6:], tea, oil),
        (co.south_customer.name, oil, tea),
        (co.east_customer.code, tea, oil),
    ):
        page.get_by_label("搜索订单").fill(words)
        page.get_by_role("button", name="筛选").click()
        page.wait_for_load_state()
        listed = page.locator("table[data-keyboard-list]").inner_text()
        assert found.number in listed and not_found.number not in listed, words
    cs.shot("orders-search")
    assert cs.errors == []


def test_the_waiting_time_chart_runs_from_the_shortest_wait_to_the_longest(desk, co):
    co.order(co.east_customer, (co.tea, 1))
    admin = desk(co.staff["admin"].username)
    admin.page.wait_for_selector("#chart-waiting canvas")
    categories = admin.page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-waiting'))"
        ".getOption().xAxis[0].data"
    )
    assert categories == ["1小时内", "1-4小时", "4-24小时", "超过1天"]
    assert admin.errors == []
