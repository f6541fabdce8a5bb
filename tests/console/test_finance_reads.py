"""Finance reads what it values and reconciles — stock at cost (存货), shop orders (网店订单) —
and does not change it."""

from __future__ import annotations

from devkit.testing.clients import ADMIN


def test_finance_reads_stock_but_does_not_change_it(signed_in, co):
    fin = signed_in("fin")
    for page in ("/admin/stock", "/admin/stock/movements"):
        assert fin.get(page).status_code == 200, page
    # Writing is another permission: a receipt is refused.
    receipt = {"warehouse_id": str(co.sh.id), "lines-0-product_id": str(co.tea.id)}
    assert fin.post("/admin/stock/receipts", receipt).status_code == 403


def test_finance_reads_shop_orders_without_working_them(platform_shop, co, signed_in, client):
    shop = platform_shop("taobao", warehouse=co.sh)
    shop.sell((co.tea.sku, 2, "45.00"))
    shop.sync()
    (order,) = shop.orders()
    fin = signed_in("fin")

    listing = fin.get("/admin/shop-orders")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert order["number"] in page and "¥90.00" in page
    assert 'id="batchbar"' not in page and 'class="pick"' not in page  # nothing to ship with
    menu = fin.get("/admin/dashboard").get_data(as_text=True)
    assert "网店订单" in menu and "网店管理" not in menu  # orders, not the shops' settings
    assert "<h2>网店订单" in page and "打单发货" not in page  # read, not packed
    detail = fin.get(f"/admin/shop-orders/{order['id']}")
    assert detail.status_code == 200
    assert order["number"] in detail.get_data(as_text=True)
    assert 'id="split-form"' not in detail.get_data(as_text=True)
    assert fin.get(f"/admin/shops/{shop.id}/skus").status_code == 403

    # Every write is still refused.
    ids = {"ids": str(order["id"])}
    assert fin.post("/admin/shop-orders/merge", ids).status_code == 403
    assert fin.post("/admin/shop-orders/batch/ship", ids).status_code == 403
    split = fin.post(f"/admin/shop-orders/{order['id']}/split", {"split-1": "1"})
    assert split.status_code == 403
    api = f"{ADMIN}/shop-orders"
    assert client.get(f"{api}/{order['id']}", headers=co.headers("fin")).status_code == 200
    shipped = client.post(f"{api}/ship", json={"ids": [order["id"]]}, headers=co.headers("fin"))
    assert shipped.status_code == 403
    assert shop.orders()[0]["status"] == "pending"
