"""Stock sync over real HTTP to the sandbox: each platform's stock API as the platform defines
it — TOP and 抖店 set the SKUs of one listing in one call, 抖店 all or nothing — the listing
of a SKU asked of the platform once and kept, and a SKU the platform refuses retried on its
own row while the rest of the batch is delivered."""

import pytest
import requests

from app.adapters.platforms import Credentials, Listing, StockLevel, client_for
from app.shops.models import ShopSku, StockPush
from devkit.testing.clients import ADMIN
from devkit.testing.outbox import make_due
from devkit.testing.shops import send_pushes


def _calls(shop) -> int:
    return requests.get(f"{shop.controls}/calls", timeout=10).json()["calls"]


def _list(shop, *groups) -> list[dict]:
    """List SKU codes on the platform, each group as the SKUs of one listing."""
    answer = requests.post(
        f"{shop.controls}/items", json={"items": [{"skus": g} for g in groups]}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["items"]


def _map(client, co, shop, skus, product) -> None:
    response = client.put(
        f"{ADMIN}/shops/{shop.id}/sku-map",
        json={"items": [{"platform_sku": s, "product_id": product.id} for s in skus]},
        headers=co.headers("admin"),
    )
    assert response.status_code == 200, response.get_json()


def _receive(client, co, product, qty) -> None:
    response = client.post(
        f"{ADMIN}/stock/adjustments",
        json={
            "warehouse_id": co.sh.id,
            "product_id": product.id,
            "qty_delta": qty,
            "reason": "入库",
        },
        headers=co.headers("wh"),
    )
    assert response.status_code in (200, 201), response.get_json()


def test_taobao_sets_the_skus_of_one_item_twenty_a_call(platform_shop, co, client):
    shop = platform_shop("taobao")
    skus = [f"TEA-{n:02d}" for n in range(30)]
    (item,) = _list(shop, skus)
    _map(client, co, shop, skus, co.tea)
    before = _calls(shop)
    send_pushes()
    # 30 look-ups (taobao.skus.custom.get takes one outer id), then 20 + 10 SKUs of the item.
    assert _calls(shop) - before == 30 + 2
    assert shop.stock() == dict.fromkeys(skus, 1000)
    kept = {m.platform_sku: (m.platform_item_id, m.platform_sku_id) for m in ShopSku.select()}
    assert kept == {e["sku"]: (item["item_id"], e["sku_id"]) for e in item["skus"]}
    _receive(client, co, co.tea, 5)
    before = _calls(shop)
    # The sweep lists all 30; the first send takes the other 29 along.
    assert send_pushes() == {"delivered": 1, "skipped": 29}
    assert _calls(shop) - before == 2  # the listing is known now: no look-ups
    assert shop.stock() == dict.fromkeys(skus, 1005)
    assert StockPush.select().where(StockPush.status == "delivered").count() == 60


def test_doudian_sets_a_products_skus_all_or_nothing(platform_shop, sandbox):
    shop = platform_shop("doudian")
    (item,) = _list(shop, ["A", "B"])
    ids = {e["sku"]: e["sku_id"] for e in item["skus"]}
    api = client_for(
        "doudian", Credentials(shop.app_key, f"secret-{shop.app_key}", "t"), sandbox.url
    )
    good = StockLevel("A", 7, Listing(item["item_id"], ids["A"]))
    stray = StockLevel("B", 8, Listing(item["item_id"], "42"))  # not a SKU of this product
    refused = api.push_stock([good, stray])
    assert set(refused) == {"A", "B"} and not refused["A"].retryable
    assert "本次库存均未更新" in refused["A"].message
    assert shop.stock() == {}  # neither was set
    assert api.push_stock([good, StockLevel("B", 8, Listing(item["item_id"], ids["B"]))]) == {}
    assert shop.stock() == {"A": 7, "B": 8}


def test_a_refused_sku_is_retried_alone_and_its_listing_asked_again(platform_shop, co, client):
    shop = platform_shop("taobao")
    _list(shop, ["A"], ["B"])
    _map(client, co, shop, ["A", "B"], co.tea)
    send_pushes()
    assert shop.stock() == {"A": 1000, "B": 1000}
    # The merchant moved B to another listing: the id we kept is stale.
    (moved,) = _list(shop, ["B"])
    _receive(client, co, co.tea, -1)
    send_pushes()
    rows = {r.platform_sku: r for r in StockPush.select().where(StockPush.status == "pending")}
    assert list(rows) == ["B"] and "没有商家编码为 B 的SKU" in rows["B"].last_error
    assert shop.stock() == {"A": 999, "B": 1000}  # A went through in the same send
    assert ShopSku.get(ShopSku.platform_sku == "B").platform_item_id == ""  # to be asked again
    make_due(StockPush)
    send_pushes()
    assert shop.stock() == {"A": 999, "B": 999}
    assert ShopSku.get(ShopSku.platform_sku == "B").platform_item_id == moved["item_id"]
    assert not StockPush.select().where(StockPush.status == "pending").exists()


def test_single_sku_platforms_update_each_sku_with_its_listings_ids(platform_shop, co, client):
    for platform in ("pdd", "youzan"):
        shop = platform_shop(platform)
        (item,) = _list(shop, ["X", "Y", "Z"])
        _map(client, co, shop, ["X", "Y", "Z"], co.tea)
        before = _calls(shop)
        send_pushes()
        assert _calls(shop) - before == 3 + 3  # a look-up and an update per SKU
        assert shop.stock() == {"X": 1000, "Y": 1000, "Z": 1000}
        kept = {m.platform_item_id for m in ShopSku.select().where(ShopSku.shop == shop.id)}
        assert kept == {item["item_id"]}


def test_a_platform_that_is_down_is_not_asked_again_and_again_in_one_send(
    platform_shop, co, client
):
    shop = platform_shop("pdd")
    skus = [f"T{n:03d}" for n in range(250)]  # two batches of the sink
    _map(client, co, shop, skus, co.tea)
    shop.down(60)
    before = _calls(shop)
    sends = send_pushes()["retry"]  # the sweep's sends: each claimed what no other had
    assert sends <= 2
    # A send's first look-ups answer 503: the rest of its batch is not asked, nor another
    # batch — at most the calls already under way (8 at once), not 250.
    assert _calls(shop) - before <= 8 * sends
    waiting = StockPush.select().where(StockPush.status == "pending")
    assert waiting.count() == 250
    assert all("拼多多接口暂时不可用" in r.last_error for r in waiting if r.attempts)
    shop.down(0)
    make_due(StockPush)
    send_pushes()
    assert shop.stock() == dict.fromkeys(skus, 1000)
    assert not StockPush.select().where(StockPush.status == "pending").exists()


@pytest.mark.parametrize("platform", ["taobao", "pdd", "doudian", "youzan"])
def test_a_downloaded_order_tells_where_its_skus_are_listed(platform_shop, co, platform):
    shop = platform_shop(platform)
    shop.sell((co.tea.sku, 1))
    shop.sync()
    mapping = ShopSku.get((ShopSku.shop == shop.id) & (ShopSku.platform_sku == co.tea.sku))
    assert mapping.platform_item_id and mapping.platform_sku_id  # from the order's line
    before = _calls(shop)
    send_pushes()
    assert _calls(shop) - before == 1  # the stock update alone: no look-up
    assert shop.stock() == {co.tea.sku: 999}  # 1000 on hand, 1 reserved by the order
