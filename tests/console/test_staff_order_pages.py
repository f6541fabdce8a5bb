"""代客下单 in the console through its forms: pick a dealer in scope, search at their prices,
submit once per page, errors in words with nothing typed lost."""

from __future__ import annotations

import uuid

from app.core import catalog
from app.core.models import Order, OrderLine
from app.notify.models import InboxMessage
from devkit.testing.clients import flashes


def order_form(co, customer=None, lines=((None, "10"),), **more):
    customer = customer or co.east_customer
    return {
        "customer_id": str(customer.id),
        "product_id": [str((p or co.tea).id) for p, _ in lines],
        "qty": [q for _, q in lines],
        "idempotency_key": uuid.uuid4().hex,
        **more,
    }


def test_customer_service_picks_a_dealer_and_sees_their_prices(signed_in, co):
    cs = signed_in("cs")
    page = cs.get("/admin/orders/new").get_data(as_text=True)
    assert "选择经销商" in page and co.east_customer.name in page and co.south_customer.name in page
    desk = cs.get(f"/admin/orders/new?customer_id={co.east_customer.id}").get_data(as_text=True)
    assert "价格等级 3" in desk and "可用信用额度 ¥20000.00（超出时审核需特批）" in desk
    found = cs.get(f"/admin/orders/new/products?customer_id={co.east_customer.id}&q=绿茶").get_data(
        as_text=True
    )
    assert co.tea.name in found and "¥45.00" in found and co.oil.name not in found
    by_sku = cs.get(
        f"/admin/orders/new/products?customer_id={co.east_customer.id}&q={co.oil.sku}"
    ).get_data(as_text=True)
    assert co.oil.name in by_sku and "¥200.00" in by_sku


def test_submitting_places_one_order_and_tells_the_dealer(signed_in, co):
    cs = signed_in("cs")
    form = order_form(co, lines=((co.tea, "10"), (co.oil, "1")), remark="电话订货")
    done = cs.post("/admin/orders/new", form)
    assert done.status_code == 200
    (order,) = Order.select()
    assert order.source == "staff" and order.total == 650 and order.remark == "电话订货"
    assert any(
        "代下单" in text and order.number in text and "已通知经销商" in text
        for _, text in flashes(done)
    )
    again = cs.post("/admin/orders/new", form)  # the same page's form sent again
    assert again.status_code == 200 and Order.select().count() == 1
    assert InboxMessage.select().where(InboxMessage.order == order.id).count() == 1


def test_an_error_keeps_what_was_typed_and_says_why(signed_in, co):
    cs = signed_in("cs")
    form = order_form(co, lines=((co.tea, "0"), (co.oil, "2")), remark="改天再说")
    r = cs.post("/admin/orders/new", form)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "第 1 行" in page and "数量须在 1 到 99999 之间" in page
    assert 'value="0"' in page and 'value="2"' in page and 'value="改天再说"' in page
    assert co.oil.name in page
    r = cs.post("/admin/orders/new", order_form(co, lines=()))
    assert r.status_code == 422 and "商品行" in r.get_data(as_text=True)
    assert Order.select().count() == 0


def test_a_line_in_another_unit_is_placed_in_it_and_kept_on_an_error(signed_in, co):
    catalog.update_product(co.tea.id, unit="盒", units=[{"name": "箱", "factor": 12}])
    cs = signed_in("cs")
    found = cs.get(f"/admin/orders/new/products?customer_id={co.east_customer.id}&q=绿茶")
    assert "¥45.00/盒 · ¥540.00/箱" in found.get_data(as_text=True)
    form = order_form(co, lines=((co.tea, "2"), (co.oil, "0")))
    form["unit"] = ["箱", co.oil.unit]
    r = cs.post("/admin/orders/new", form)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert '<option value="箱" selected>箱（12盒）</option>' in page
    form["unit"] = ["瓶", co.oil.unit]
    form["qty"] = ["2", "1"]
    r = cs.post("/admin/orders/new", form)
    assert r.status_code == 422 and f"{co.tea.name} 没有单位“瓶”，可选：盒、箱" in r.get_data(
        as_text=True
    )
    form["unit"] = ["箱", co.oil.unit]
    assert cs.post("/admin/orders/new", form).status_code == 200
    tea = OrderLine.get(OrderLine.product == co.tea.id)
    assert (tea.qty, tea.unit, tea.unit_qty) == (24, "箱", 2)
    assert OrderLine.get(OrderLine.product == co.oil.id).qty == 1


def test_only_dealers_in_scope(signed_in, co):
    east = signed_in("cs_east")
    page = east.get("/admin/orders/new").get_data(as_text=True)
    assert co.east_customer.name in page and co.south_customer.name not in page
    assert east.get(f"/admin/orders/new?customer_id={co.south_customer.id}").status_code == 404
    r = east.get(f"/admin/orders/new/products?customer_id={co.south_customer.id}&q=茶")
    assert r.status_code == 404
    r = east.post("/admin/orders/new", order_form(co, co.south_customer))
    assert r.status_code == 404 and Order.select().count() == 0


def test_the_page_is_customer_services_not_the_warehouses(signed_in, co):
    warehouse = signed_in("wh")
    assert warehouse.get("/admin/orders/new").status_code == 403
    assert "代客下单" not in warehouse.get("/admin/dashboard").get_data(as_text=True)
    assert "代客下单" in signed_in("cs").get("/admin/dashboard").get_data(as_text=True)
