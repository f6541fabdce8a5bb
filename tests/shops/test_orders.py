"""The order workbench over HTTP: shared stock, exceptions, split, merge, cancellation,
waybills, labels, shipping with the tracking number written back through the outbox, and
stock pushed to every shop after any change."""

import re
from decimal import Decimal as D

import pytest
import requests

from app.core.models import Stock
from app.shops.models import ShopOrder
from devkit.testing.clients import ADMIN
from devkit.testing.outbox import make_due
from devkit.testing.shops import ask_waybills, send_pushes, send_write_backs, ship_shop_orders

RECEIVER_FIELDS = ("name", "phone", "province", "city", "district", "address")


def _stock(co, product):
    return Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == product.id))


def _assert_the_one_order(shop, co, status: str, tea_reserved: int) -> None:
    """The shop has one order, in `status`, and `tea_reserved` of the tea is reserved."""
    (order,) = shop.orders()
    assert order["status"] == status
    assert _stock(co, co.tea).reserved == tea_reserved


def _adjust_tea(client, co, qty_delta: int, reason: str) -> None:
    """The warehouse clerk adjusts the tea in co.sh by `qty_delta`."""
    adjustment = {"warehouse_id": co.sh.id, "product_id": co.tea.id, "qty_delta": qty_delta}
    client.post(
        f"{ADMIN}/stock/adjustments",
        json={**adjustment, "reason": reason},
        headers=co.headers("wh"),
    )


def _sell_a_tea_to(shop, co, *receiver: str) -> None:
    """One tea sold on the platform to that receiver: name, phone, province, city, district and
    address."""
    shop.sell((co.tea.sku, 1), receiver=dict(zip(RECEIVER_FIELDS, receiver, strict=True)))


def test_an_order_short_of_stock_is_an_exception_and_ships_after_a_split(platform_shop, co, client):
    shop = platform_shop("doudian")
    shop.sell((co.oil.sku, 14))  # 10 on hand
    shop.sync()
    (order,) = shop.orders()
    assert order["status"] == "exception"
    assert order["exception"].startswith("缺货")
    assert _stock(co, co.oil).reserved == 0
    response = client.post(
        f"{ADMIN}/shop-orders/{order['id']}/split",
        json={"lines": [{"line_id": order["lines"][0]["id"], "qty": 4}]},
        headers=co.headers("cs"),
    )
    assert response.status_code == 200, response.get_json()
    kept, moved = response.get_json()["kept"], response.get_json()["split"]
    assert (kept["status"], kept["lines"][0]["qty"]) == ("pending", 10)
    assert (moved["status"], moved["lines"][0]["qty"]) == ("exception", 4)
    assert _stock(co, co.oil).reserved == 10
    waybills = ask_waybills(client, co.headers("wh"), [kept["id"]], "SF").get_json()
    assert waybills["failed"] == []
    shipped = ship_shop_orders(client, co.headers("wh"), [kept["id"], moved["id"]])
    body = shipped.get_json()
    assert body["shipped"] == [kept["id"]]
    assert body["failed"][0]["id"] == moved["id"] and "不能发货" in body["failed"][0]["error"]
    oil = _stock(co, co.oil)
    assert (oil.on_hand, oil.reserved) == (0, 0)


def test_an_unmapped_sku_is_an_exception_until_it_is_mapped(platform_shop, co, client):
    shop = platform_shop("youzan")
    shop.sell(("TEA-6PACK", 2))
    shop.sync()
    (order,) = shop.orders()
    assert order["status"] == "exception" and "TEA-6PACK" in order["exception"]
    mapping = client.get(f"{ADMIN}/shops/{shop.id}/sku-map", headers=co.headers("admin")).get_json()
    assert mapping["unmapped"] == [{"platform_sku": "TEA-6PACK", "orders": 1}]
    response = shop.map_skus(("TEA-6PACK", co.tea, 6))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["unmapped"] == []
    _assert_the_one_order(shop, co, "pending", tea_reserved=12)


def test_a_cancellation_before_shipping_releases_the_stock(platform_shop, co):
    shop = platform_shop("taobao")
    placed = shop.sell((co.tea.sku, 5))
    shop.sync()
    assert _stock(co, co.tea).reserved == 5
    shop.cancel(placed)
    assert shop.sync().get_json()["updated"] == 1
    _assert_the_one_order(shop, co, "cancelled", tea_reserved=0)


def test_orders_to_the_same_door_are_merged_on_download(platform_shop, co, signed_in):
    shop = platform_shop("pdd")
    first = shop.sell((co.tea.sku, 1))
    second = shop.sell((co.oil.sku, 2))
    _sell_a_tea_to(shop, co, "王五", "13700000000", "上海", "上海市", "浦东新区", "1 号")
    shop.sync()
    merged = shop.orders(status="pending")
    assert len(merged) == 2
    together = next(o for o in merged if len(o["platform_order_ids"]) == 2)
    assert sorted(together["platform_order_ids"]) == sorted([first, second])
    (gone,) = shop.orders(status="merged")
    # Its lines went with their amount: counted once, on the order they went to.
    assert (gone["lines"], gone["total"]) == ([], "0.00")
    assert together["total"] == f"{sum(D(ln['price']) * ln['qty'] for ln in together['lines']):.2f}"
    # Its page says where its lines went, with a link there.
    page = signed_in("admin").get(f"/admin/shop-orders/{gone['id']}").get_data(as_text=True)
    said = page.split('id="merged-into"')[1].split("</p>")[0]
    assert "已与同一收件人的订单合并" in said and together["number"] in said
    assert f'href="/admin/shop-orders/{together["id"]}"' in said


def test_orders_to_different_doors_cannot_be_merged(platform_shop, co, client):
    shop = platform_shop("taobao")
    shop.sell((co.tea.sku, 1), buyer="甲")
    shop.sell((co.tea.sku, 1), buyer="乙")
    shop.sync()
    ids = [o["id"] for o in shop.orders()]
    response = client.post(
        f"{ADMIN}/shop-orders/merge", json={"ids": ids}, headers=co.headers("cs")
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_state"


def test_asking_twice_for_a_waybill_gives_the_same_number(platform_shop, co, client, sandbox):
    shop = platform_shop("doudian")
    shop.sell((co.tea.sku, 1))
    shop.sync()
    (order,) = shop.orders()

    def ask():
        return ask_waybills(client, co.headers("wh"), [order["id"]], "ZTO").get_json()

    first, second = ask(), ask()
    assert first["items"][0]["tracking_no"] == second["items"][0]["tracking_no"]
    issued = requests.get(f"{sandbox.url}/_sandbox/waybills", timeout=5).json()["items"]
    assert [w["tracking_no"] for w in issued if w["order_code"] == shop.orders()[0]["number"]] == [
        first["items"][0]["tracking_no"]
    ]
    labels = client.get(
        f"{ADMIN}/shop-orders/labels.pdf",
        query_string={"ids": str(order["id"])},
        headers=co.headers("wh"),
    )
    assert labels.status_code == 200 and labels.data.startswith(b"%PDF")


def test_shipping_with_the_platform_down_writes_back_once_it_is_up(
    platform_shop, co, client, signed_in
):
    shop = platform_shop("pdd")
    placed = shop.sell((co.tea.sku, 2))
    shop.sync()
    (order,) = shop.orders()
    ask_waybills(client, co.headers("wh"), [order["id"]], "YTO")
    shop.down(60)
    body = ship_shop_orders(client, co.headers("wh"), [order["id"]]).get_json()
    assert body["shipped"] == [order["id"]]
    assert send_write_backs() == {"retry": 1}
    (shipped,) = shop.orders()
    assert (shipped["status"], shipped["written_back"]) == ("shipped", "pending")
    # The clerk sees why the platform has not taken it, and that it will be tried again.
    console = signed_in("wh")
    page = console.get(f"/admin/shop-orders/{order['id']}").get_data(as_text=True)
    trouble = re.search(r'<p class="flash flash-error write-back-trouble">(.*?)</p>', page)[1]
    assert f"平台订单 {placed} 回传发货失败（已试 1 次）：" in trouble
    assert "拼多多" in trouble and "自动再试" in trouble
    shop.down(0)
    make_due(__import__("app.shops.models", fromlist=["WriteBack"]).WriteBack)
    assert send_write_backs() == {"delivered": 1}
    assert shop.orders()[0]["written_back"] == "done"
    page = console.get(f"/admin/shop-orders/{order['id']}").get_data(as_text=True)
    assert "平台已确认发货" in page and "write-back-trouble" not in page
    (sent,) = shop.shipments()
    assert (sent["platform_order_id"], sent["tracking_no"]) == (placed, shipped["tracking_no"])
    assert _stock(co, co.tea).on_hand == 998


def test_stock_is_pushed_after_a_mall_approval_a_receipt_and_a_shop_order(
    platform_shop, co, client
):
    shop = platform_shop("taobao", stock_share_pct=50, safety_stock=100)
    other = platform_shop("youzan")
    shop.map_skus(("TEA-1", co.tea), ("TEA-6", co.tea, 6))
    other.map_skus(("T", co.tea))
    send_pushes()
    assert shop.stock() == {"TEA-1": 450, "TEA-6": 75}  # (1000 − 100) × 50% ; ÷ 6
    assert other.stock() == {"T": 1000}
    order = co.order(co.customer, (co.tea, 100))
    response = client.post(f"{ADMIN}/orders/{order.id}/approve", json={}, headers=co.headers("cs"))
    assert response.status_code == 200, response.get_json()
    send_pushes()
    assert shop.stock()["TEA-1"] == 400 and other.stock()["T"] == 900
    _adjust_tea(client, co, 200, "入库")
    send_pushes()
    assert other.stock()["T"] == 1100
    other.sell(("T", 10))
    other.sync()
    send_pushes()
    assert other.stock()["T"] == 1090 and shop.stock()["TEA-1"] == 495


def test_a_burst_of_changes_is_one_push_with_the_latest_figure(platform_shop, co, client):
    shop = platform_shop("doudian")
    shop.map_skus(("T", co.tea))
    send_pushes()
    for _ in range(5):
        _adjust_tea(client, co, -1, "报损")
    assert send_pushes() == {"delivered": 1}
    assert shop.stock()["T"] == 995


def test_stock_pushes_wait_while_the_platform_is_down(platform_shop, co, client):
    shop = platform_shop("pdd")
    shop.map_skus(("T", co.tea))
    shop.down(60)
    assert send_pushes() == {"retry": 1}
    shops = client.get(f"{ADMIN}/shops", headers=co.headers("admin")).get_json()["items"]
    assert shops[0]["id"] == shop.id
    shop.down(0)
    from app.shops.models import StockPush

    make_due(StockPush)
    assert send_pushes() == {"delivered": 1}
    assert shop.stock() == {"T": 1000}
    assert ShopOrder.select().count() == 0


def test_receivers_who_look_alike_masked_are_not_merged(platform_shop, co):
    shop = platform_shop("pdd")  # 拼多多 names no buyer: the receiver decides
    _sell_a_tea_to(shop, co, "张三", "13812345678", "浙江省", "杭州市", "西湖区", "文三路 1 号")
    _sell_a_tea_to(shop, co, "张四", "13899995678", "浙江省", "杭州市", "西湖区", "文三路 9 号")
    shop.sync()
    orders = shop.orders(status="pending")
    assert len(orders) == 2
    assert orders[0]["receiver"] == orders[1]["receiver"]  # 张*, 138****5678, … *** for both


def test_the_consoles_split_form_refuses_a_line_field_that_is_no_number(
    platform_shop, co, signed_in
):
    shop = platform_shop("pdd")
    shop.sell((co.oil.sku, 2))
    shop.sync()
    (order,) = shop.orders()
    console = signed_in("cs")
    for field in ("split-²", "split-99999999999999999999"):
        response = console.post(f"/admin/shop-orders/{order['id']}/split", {field: "1"})
        assert response.status_code == 200, response.status_code
        assert "拆分明细" in response.get_data(as_text=True)
    assert len(shop.orders()) == 1


@pytest.mark.parametrize(
    ("platform", "code"),
    [("taobao", "YUNDA"), ("pdd", "121"), ("doudian", "yunda"), ("youzan", "4")],
)
def test_the_carrier_is_written_back_in_each_platforms_own_code(
    platform_shop, co, client, platform, code
):
    shop = platform_shop(platform)
    shop.sell((co.tea.sku, 1))
    shop.sync()
    (order,) = shop.orders()
    ask_waybills(client, co.headers("wh"), [order["id"]], "YD")
    ship_shop_orders(client, co.headers("wh"), [order["id"]])
    assert send_write_backs() == {"delivered": 1}
    (sent,) = shop.shipments()
    assert sent["company_code"] == code


def test_shipping_an_order_without_a_waybill_says_to_ask_for_one_first(platform_shop, co, client):
    shop = platform_shop("pdd")
    shop.sell((co.tea.sku, 2))
    shop.sync()
    (order,) = shop.orders()
    assert order["status"] == "pending"
    response = ship_shop_orders(client, co.headers("wh"), [order["id"]])
    assert response.status_code == 200
    assert response.get_json() == {
        "shipped": [],
        "failed": [{"id": order["id"], "error": f"订单 {order['number']} 还没有单号，请先取单号"}],
    }
    assert shop.orders()[0]["status"] == "pending"


def test_a_merged_order_is_written_back_when_both_workers_send_at_once(platform_shop, co, client):
    """Two workers each send one platform order's write-back of a merged order, and both sends
    end before the outbox records either: the order is still 平台已发货 (each send counts its own
    delivery before asking whether any other is waiting)."""
    from app.shops.models import WriteBack
    from app.shops.stock_sync import WRITE_BACKS

    shop = platform_shop("doudian")
    shop.sell((co.tea.sku, 1))
    shop.sell((co.oil.sku, 1))
    shop.sync()
    (together,) = shop.orders(status="pending")
    assert len(together["platform_order_ids"]) == 2
    ask_waybills(client, co.headers("wh"), [together["id"]], "SF")
    assert ship_shop_orders(client, co.headers("wh"), [together["id"]]).get_json()["shipped"]
    rows = list(WriteBack.select().where(WriteBack.shop_order == together["id"]))
    assert len(rows) == 2
    for row in rows:  # as the two workers would, each with the one it claimed
        WRITE_BACKS.send(row)
    assert len(shop.shipments()) == 2
    assert ShopOrder.get_by_id(together["id"]).written_back == "done"
