"""A platform SKU sold in packs (one platform unit = several of ours) reads in our units wherever
a person picks, packs or reads the order: the order's page, the workbench list, the printed
label and the admin API. A merged order's amount is shown as folded into the order holding it."""

import io
import re

import requests
from pypdf import PdfReader

from app.shops.rules import quantity_words
from devkit.testing.clients import ADMIN
from devkit.testing.shops import ask_waybills

PACK = "TEA-2PACK"  # one platform unit is 2 of our tea (箱)
IN_OUR_UNITS = "2 箱（平台 1 件，每件 2 箱）"


def _text(html: str) -> str:
    """What a person reads of a piece of a page: tags gone, white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(page: str, order_id: int) -> str:
    """The workbench's row of one order, as text."""
    start = page.index(f'data-href="/admin/shop-orders/{order_id}"')
    return _text(page[start : page.index("</tr>", start)])


def test_a_quantity_reads_in_our_units_with_the_platforms_count_when_they_differ():
    assert quantity_words(1, 2, "袋") == "2 袋（平台 1 件，每件 2 袋）"
    assert quantity_words(3, 3, "袋") == "3 袋"
    assert quantity_words(2, 0, None) == "平台 2 件（未对应商品）"


def _pack_order(platform_shop, co):
    shop = platform_shop("taobao")
    assert shop.map_skus((PACK, co.tea, 2)).status_code == 200
    shop.sell((PACK, 1, "88.00"))
    shop.sync()
    (order,) = shop.orders()
    assert order["status"] == "pending"
    return order


def test_the_order_page_says_a_pack_line_in_our_units(platform_shop, co, signed_in):
    order = _pack_order(platform_shop, co)
    page = signed_in("wh").get(f"/admin/shop-orders/{order['id']}").get_data(as_text=True)
    line = _text(page.split('id="split-form"')[1].split("</tbody>")[0])
    assert PACK in line and co.tea.name in line
    assert IN_OUR_UNITS in line


def test_the_workbench_names_the_product_beside_the_platform_sku_in_our_units(
    platform_shop, co, signed_in
):
    order = _pack_order(platform_shop, co)
    page = signed_in("wh").get("/admin/shop-orders").get_data(as_text=True)
    row = _row(page, order["id"])
    assert PACK in row and co.tea.name in row
    assert IN_OUR_UNITS in row


def test_the_label_says_a_pack_line_in_our_units(platform_shop, co, client):
    order = _pack_order(platform_shop, co)
    assert ask_waybills(client, co.headers("wh"), [order["id"]], "SF").get_json()["failed"] == []
    labels = client.get(
        f"{ADMIN}/shop-orders/labels.pdf",
        query_string={"ids": str(order["id"])},
        headers=co.headers("wh"),
    )
    assert labels.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(labels.data)).pages)
    assert co.tea.name in text
    assert IN_OUR_UNITS in text
    assert "× 1" not in text


def test_the_waybill_service_is_told_the_goods_in_our_units(platform_shop, co, client, sandbox):
    order = _pack_order(platform_shop, co)
    assert ask_waybills(client, co.headers("wh"), [order["id"]], "SF").get_json()["failed"] == []
    issued = requests.get(f"{sandbox.url}/_sandbox/waybills", timeout=5).json()["items"]
    (waybill,) = [w for w in issued if w["order_code"] == order["number"]]
    assert waybill["commodity"] == [{"GoodsName": co.tea.name, "Goodsquantity": 2}]


def test_the_api_gives_a_lines_product_and_quantity_in_our_units(platform_shop, co):
    order = _pack_order(platform_shop, co)
    (line,) = order["lines"]
    assert (line["platform_sku"], line["qty"], line["price"]) == (PACK, 1, "88.00")
    assert (line["product_id"], line["product_name"]) == (co.tea.id, co.tea.name)
    assert (line["product_qty"], line["unit"]) == (2, "箱")


def test_an_unmapped_line_says_so_in_platform_units(platform_shop, co, signed_in):
    shop = platform_shop("pdd")
    shop.sell(("GIFT-BOX", 3))
    shop.sync()
    (order,) = shop.orders()
    (line,) = order["lines"]
    assert (line["product_id"], line["product_name"], line["product_qty"]) == (None, None, None)
    page = signed_in("wh").get("/admin/shop-orders").get_data(as_text=True)
    assert "GIFT-BOX 平台 3 件（未对应商品）" in _row(page, order["id"])


def test_a_merged_order_shows_its_amount_as_folded_into_the_other(platform_shop, co, signed_in):
    shop = platform_shop("pdd")
    shop.sell((co.tea.sku, 1, "11.00"))
    shop.sell((co.oil.sku, 2, "13.00"))
    shop.sync()
    (holder,) = shop.orders(status="pending")
    (gone,) = shop.orders(status="merged")
    assert holder["total"] == "37.00"
    page = signed_in("wh").get("/admin/shop-orders").get_data(as_text=True)
    row = _row(page, gone["id"])
    assert f"已合并至 {holder['number']}" in row
    assert f"¥{gone['total']}" not in row
    assert "¥37.00" in _row(page, holder["id"])
