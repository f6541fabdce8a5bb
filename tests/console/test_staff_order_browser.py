"""代客下单 in the console at 1366 px, in Chromium: customer service picks a dealer, finds products
by SKU or name at that dealer's prices, adds lines and submits; the dealer is told."""

from __future__ import annotations

from playwright.sync_api import expect

from app.core import catalog
from app.core.models import Order, OrderLine
from app.notify.models import InboxMessage


def test_customer_service_places_an_order_for_a_dealer(desk, co):
    cs = desk("cs1")
    page = cs.page
    page.get_by_role("link", name="代客下单").first.click()
    page.get_by_label("经销商").select_option(
        label=f"{co.east_customer.code} {co.east_customer.name}"
    )
    page.get_by_role("button", name="开始下单").click()
    expect(page.locator("#dealer-card")).to_contain_text("价格等级 3")
    page.wait_for_load_state()  # htmx (deferred) listens for the search box only once it has run
    page.get_by_label("查找商品").fill("绿茶")
    results = page.locator("#product-results")
    expect(results).to_contain_text("¥45.00")  # level 3, not the list price
    page.get_by_role("button", name=f"添加 {co.tea.name}").click()
    page.get_by_label(f"{co.tea.name} 数量").fill("12")
    page.get_by_label("查找商品").fill(co.oil.sku)
    expect(results).to_contain_text(co.oil.name)
    page.get_by_role("button", name=f"添加 {co.oil.name}").click()
    expect(page.locator("#order-total")).to_have_text("¥740.00")  # 12 × 45 + 1 × 200
    page.get_by_label("备注").fill("电话订货")
    cs.shot("staff-order-desk")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/admin/orders/*")
    assert "代下单" in cs.flash() and "已通知经销商" in cs.flash()
    cs.shot("staff-order-placed")
    (order,) = Order.select()
    assert order.source == "staff" and str(order.total) == "740.00"
    assert InboxMessage.select().where(InboxMessage.order == order.id).count() == 1
    assert cs.errors == []


def test_a_mistake_comes_back_in_words_with_the_lines_kept(desk, co):
    cs = desk("cs1")
    page = cs.page
    cs.go(f"/admin/orders/new?customer_id={co.east_customer.id}")
    page.get_by_label("查找商品").fill("绿茶")
    page.get_by_role("button", name=f"添加 {co.tea.name}").click()
    page.get_by_label(f"{co.tea.name} 数量").fill("0")
    page.get_by_role("button", name="提交订单").click()
    expect(page.locator("#order-error")).to_contain_text("数量须在 1 到 99999 之间")
    expect(page.get_by_label(f"{co.tea.name} 数量")).to_have_value("0")
    cs.shot("staff-order-error")
    assert Order.select().count() == 0


def test_a_line_is_ordered_in_another_unit_of_the_product(desk, co):
    catalog.update_product(co.tea.id, unit="盒", units=[{"name": "箱", "factor": 12}])
    cs = desk("cs1")
    page = cs.page
    cs.go(f"/admin/orders/new?customer_id={co.east_customer.id}")
    page.get_by_label("查找商品").fill("绿茶")
    results = page.locator("#product-results")
    expect(results).to_contain_text("¥45.00/盒 · ¥540.00/箱")  # the dealer's price in each unit
    page.get_by_role("button", name=f"添加 {co.tea.name}").click()
    unit = page.get_by_label(f"{co.tea.name} 单位")
    expect(unit).to_have_value("盒")  # the base unit first
    unit.select_option("箱")
    page.get_by_label(f"{co.tea.name} 数量").fill("2")
    line = page.locator("#order-lines tbody tr").first
    expect(line.locator(".unit-price")).to_have_text("¥540.00/箱")
    expect(page.locator("#order-total")).to_have_text("¥1080.00")  # 2 箱 × 12 盒 × 45
    cs.shot("staff-order-units")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/admin/orders/*")
    expect(page.locator("main")).to_contain_text("2 箱（24 盒）")
    cs.shot("staff-order-units-placed")
    (ln,) = OrderLine.select()
    assert (ln.qty, ln.unit, ln.unit_qty) == (24, "箱", 2)
    assert str(ln.order.total) == "1080.00"
    assert cs.errors == []
