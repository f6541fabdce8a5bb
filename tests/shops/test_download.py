"""Downloading orders over real HTTP to the sandbox's platforms: paging, window splits,
duplicates, the checkpoint, outages and refusals in words."""

import pytest
import requests

from app.adapters.platforms import Credentials, PlatformError, client_for
from app.core.models import Stock
from app.shops.models import PlatformOrder, Shop, ShopOrder
from devkit.testing.clients import ADMIN


def test_a_paid_order_is_downloaded_once_and_reserves_stock(platform_shop, co):
    shop = platform_shop("taobao")
    shop.sell((co.tea.sku, 3))
    assert shop.sync().get_json() == {"fetched": 1, "new": 1, "updated": 0}
    assert shop.sync().get_json()["new"] == 0
    (order,) = shop.orders()
    assert order["status"] == "pending"
    assert order["lines"][0]["product_id"] == co.tea.id
    assert Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.tea.id)).reserved == 3


@pytest.mark.parametrize("platform", ["taobao", "pdd", "doudian", "youzan"])
def test_each_platform_downloads_with_receivers_masked(platform_shop, co, platform):
    shop = platform_shop(platform)
    shop.sell((co.tea.sku, 2, "45.50"))
    response = shop.sync()
    assert response.status_code == 200, response.get_json()
    (order,) = shop.orders()
    assert order["platform"] == platform
    assert order["receiver"] == {
        "name": "张*",
        "phone": "138****5678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "***",
    }
    assert order["lines"][0]["price"] == "45.50"
    assert order["total"] == "91.00"


def test_downloading_again_from_the_start_makes_no_second_order(platform_shop, co):
    shop = platform_shop("pdd")
    shop.sell((co.tea.sku, 1))
    shop.sync()
    shop.look_back(days=1)
    assert shop.sync().get_json() == {"fetched": 1, "new": 0, "updated": 0}
    assert PlatformOrder.select().where(PlatformOrder.shop == shop.id).count() == 1
    assert ShopOrder.select().where(ShopOrder.shop == shop.id).count() == 1


def test_pdd_download_splits_a_long_range_into_24_hour_windows_and_pages(
    platform_shop, co, sandbox
):
    shop = platform_shop("pdd")
    shop.sell_many(230, co.tea.sku)  # all in one second
    shop.look_back(hours=71)  # three windows of 24 hours at most (the sandbox refuses more)
    calls_before = requests.get(f"{shop.controls}/calls", timeout=5).json()["calls"]
    assert shop.sync().get_json()["fetched"] == 230
    calls = requests.get(f"{shop.controls}/calls", timeout=5).json()["calls"] - calls_before
    # Two empty windows; the last narrowed (halved, then doubled again) down to the one
    # second that holds the orders — at most two calls per halving of 23 hours — and that
    # second's three pages.
    assert 2 + 3 < calls <= 2 + 2 * 17 + 3
    assert Shop.get_by_id(shop.id).sync_page == 1


def test_an_order_changing_during_a_download_does_not_hide_another(platform_shop, co):
    """Pages by number shift when an order already read leaves the window (it changed): the
    order that slid onto the page already read would never be seen. A window is read whole on
    one page instead."""
    import time

    from app.shops import download

    shop = platform_shop("taobao")
    first = requests.post(
        f"{shop.controls}/orders",
        json={
            "buyer": "b",
            "receiver": {"name": "李四", "phone": "13900000000"},
            "lines": [{"sku": co.tea.sku, "qty": 1, "price": "1"}],
            "repeat": 60,
        },
        timeout=30,
    ).json()["platform_order_ids"]
    time.sleep(1.02 - time.time() % 1)
    shop.sell_many(60, co.tea.sku)  # the next second
    time.sleep(1.02 - time.time() % 1)
    stored = lambda: PlatformOrder.select().where(PlatformOrder.shop == shop.id).count()  # noqa: E731
    changed = False
    for _ in range(200):  # the worker's turns, a page each
        if download.sync(shop.id, max_pages=1).done:
            break
        if stored() and not changed:
            shop.cancel(first[0])  # read already; it leaves the window for a later second
            changed = True
    assert changed and stored() == 120


def test_the_checkpoint_moves_only_with_a_committed_page(platform_shop, co):
    shop = platform_shop("youzan")
    shop.sell((co.tea.sku, 1))
    shop.down(30)
    response = shop.sync()
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "platform_error"
    assert "有赞" in response.get_json()["error"]["message"]
    cursor = Shop.get_by_id(shop.id).sync_cursor
    found = Shop.get_by_id(shop.id)
    assert found.sync_error.startswith("有赞接口暂时不可用")
    shop.down(0)
    assert shop.sync().get_json()["new"] == 1  # nothing lost
    after = Shop.get_by_id(shop.id)
    assert after.sync_cursor > cursor and after.sync_error == ""


@pytest.mark.parametrize("platform", ["taobao", "pdd", "doudian"])
def test_a_wrong_secret_is_refused_with_the_platforms_error(platform, sandbox):
    wrong = client_for(platform, Credentials("k1", "not-the-secret", "t"), sandbox.url)
    with pytest.raises(PlatformError) as refused:
        wrong.check()
    assert "拒绝" in refused.value.message
    assert not refused.value.retryable


def test_a_stale_timestamp_is_refused(sandbox, monkeypatch):
    import datetime as dt

    from app.adapters.platforms import taobao

    late = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=11)
    monkeypatch.setattr(taobao, "utcnow", lambda: late)
    client = client_for("taobao", Credentials("k2", "secret-k2", "t"), sandbox.url)
    with pytest.raises(PlatformError, match="时间戳"):
        client.check()


def test_a_window_wider_than_the_platform_allows_is_refused(sandbox):
    import datetime as dt

    client = client_for("pdd", Credentials("k3", "secret-k3", "t"), sandbox.url)
    end = dt.datetime(2026, 12, 1)
    with pytest.raises(PlatformError, match="24小时"):
        client.orders(end - dt.timedelta(hours=25), end, 1)


def test_top_lists_a_day_at_most_and_nothing_older_than_three_months(sandbox, platform_shop, co):
    import datetime as dt

    client = client_for("taobao", Credentials("k4", "secret-k4", "t"), sandbox.url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with pytest.raises(PlatformError, match="一天"):
        client.orders(now - dt.timedelta(hours=25), now, 1)
    with pytest.raises(PlatformError, match="三个月"):
        client.orders(now - dt.timedelta(days=91), now - dt.timedelta(days=90, hours=23), 1)
    # A shop last downloaded four months ago reads the three months TOP still lists, a day a
    # call (newest first on TOP), and gets today's order.
    shop = platform_shop("taobao")
    shop.sell((co.tea.sku, 1))
    shop.look_back(days=120)
    assert shop.sync().get_json()["new"] == 1


def test_a_shop_outside_the_callers_branch_is_not_found(platform_shop, co, client):
    shop = platform_shop("taobao", warehouse=co.gz)
    co.add_staff("cs_e2", "customer_service", co.east, username="cs_e2", data_scope="branch")
    response = client.post(f"{ADMIN}/shops/{shop.id}/sync", headers=co.headers("cs_e2"))
    assert response.status_code == 404


def test_the_worker_downloads_a_few_pages_per_turn_and_resumes(platform_shop, co, monkeypatch):
    import datetime as dt
    import time

    from app.shops import download

    shop = platform_shop("taobao")
    shop.sell_many(150, co.tea.sku)
    time.sleep(1.02 - time.time() % 1)
    assert shop.id in download.due_shops(dt.timedelta(seconds=60))
    monkeypatch.setattr(download, "PAGES_PER_TASK", 1)
    seen = []
    while not download.run_in_worker(shop.id):  # a page a turn, the rest queued
        count = ShopOrder.select().where(ShopOrder.shop == shop.id).count()
        seen.append((Shop.get_by_id(shop.id).sync_page, count))
    # The 150 orders of one second came a page of 100 at a time, resumed at page 2.
    assert (2, 100) in seen
    assert ShopOrder.select().where(ShopOrder.shop == shop.id).count() == 150
    assert shop.id not in download.due_shops(dt.timedelta(seconds=60))
