"""SKU 对应 by the e-commerce operator (customer service): an unmapped platform SKU mapped from
the console with the product found by name or code, a mapping made by mistake taken away, the
warehouse only reading; the admin API's PUT under the same permission."""

from app.shops.models import ShopSku
from devkit.testing.clients import ADMIN, flashes


def _page(console, shop) -> str:
    return console.get(f"/admin/shops/{shop.id}/skus").get_data(as_text=True)


def test_customer_service_maps_an_unmapped_sku_and_the_waiting_order_is_placed(
    platform_shop, co, signed_in
):
    shop = platform_shop("youzan")
    shop.sell(("TEA-6PACK", 2))
    shop.sync()
    cs = signed_in("cs")
    page = _page(cs, shop)
    assert 'list="products"' in page  # the picker, with our products by name
    assert f'<option value="{co.tea.sku}">{co.tea.name}（{co.tea.unit}）</option>' in page
    form = {"platform_sku": "TEA-6PACK", "sku": co.tea.sku, "qty": "6"}
    response = cs.post(f"/admin/shops/{shop.id}/skus", form)
    assert ("success", f"平台 SKU TEA-6PACK 已对应到 {co.tea.name}") in flashes(response)
    (order,) = shop.orders()
    assert order["status"] == "pending"
    assert order["lines"][0]["product_qty"] == 12


def test_a_mapping_made_by_mistake_is_taken_away_and_a_code_of_ours_stays(
    platform_shop, co, signed_in
):
    shop = platform_shop("pdd")
    shop.sell((co.tea.sku, 1))  # the same code as ours: mapped by itself
    shop.sync()
    shop.map_skus(("OIL-1", co.oil))
    cs = signed_in("cs")
    asked = cs.post(f"/admin/shops/{shop.id}/skus/remove", {"platform_sku": "OIL-1"})
    assert ("success", f"已取消平台 SKU OIL-1 与 {co.oil.name} 的对应") in flashes(asked)
    left = {m.platform_sku: m.auto for m in ShopSku.select().where(ShopSku.shop == shop.id)}
    assert left == {co.tea.sku: True}
    refused = cs.post(f"/admin/shops/{shop.id}/skus/remove", {"platform_sku": co.tea.sku})
    (category, message), *_ = flashes(refused)
    assert category == "error"
    assert message.startswith(f"平台 SKU {co.tea.sku} 与商品编码相同，自动对应到 {co.tea.name}")
    assert co.tea.sku in _page(cs, shop).split('id="mapping"')[1]
    unknown = cs.post(f"/admin/shops/{shop.id}/skus", {"platform_sku": "X", "sku": "NO-SUCH"})
    assert ("error", "没有编码为 NO-SUCH 的商品") in flashes(unknown)


def test_the_warehouse_reads_the_mapping_and_may_not_change_it(
    platform_shop, co, signed_in, client
):
    shop = platform_shop("taobao")
    shop.map_skus(("OIL-1", co.oil))
    wh = signed_in("wh")
    page = _page(wh, shop)
    assert "OIL-1" in page and 'list="products"' not in page and "取消对应" not in page
    refused = wh.post(
        f"/admin/shops/{shop.id}/skus/remove", {"platform_sku": "OIL-1"}, follow=False
    )
    assert refused.status_code == 403
    body = {"items": [{"platform_sku": "OIL-1", "product_id": co.oil.id, "qty": 2}]}
    url = f"{ADMIN}/shops/{shop.id}/sku-map"
    assert client.put(url, json=body, headers=co.headers("wh")).status_code == 403
    by_cs = client.put(url, json=body, headers=co.headers("cs"))
    assert by_cs.status_code == 200, by_cs.get_json()
    assert by_cs.get_json()["items"][0]["qty"] == 2
