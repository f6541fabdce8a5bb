"""Mall orders and shop orders racing for the last units, with real concurrent clients against
gunicorn (several worker processes): stock is never oversold (invariant 1)."""

import time

import requests

from app.core.models import Order, Stock
from app.shops.models import ShopOrder, ShopOrderLine
from devkit.factories import make_product, put_stock
from devkit.testing.clients import ADMIN
from devkit.testing.concurrency import all_at_once


def test_mall_and_shop_orders_racing_for_the_last_units_never_oversell(gunicorn, co, platform_shop):
    scarce = make_product("30.00", name="限量礼盒")
    put_stock(co.sh, scarce, 6)
    mall = [co.order(co.east_customer, (scarce, 1)) for _ in range(5)]
    shops = [platform_shop(p) for p in ("taobao", "pdd", "doudian")]
    for shop in shops:
        for i in range(3):
            shop.sell(
                (scarce.sku, 1),
                buyer=f"买家{i}",
                receiver={"name": f"收件人{i}", "phone": f"1390000000{i}"},
            )
    time.sleep(1.02 - time.time() % 1)  # the platforms list whole seconds: let this one pass

    def approve(order_id):
        def call():
            return requests.post(
                f"{gunicorn.url}{ADMIN}/orders/{order_id}/approve",
                json={},
                headers=co.headers("cs"),
                timeout=60,
            ).status_code

        return call

    def sync(shop_id):
        def call():
            return requests.post(
                f"{gunicorn.url}{ADMIN}/shops/{shop_id}/sync", headers=co.headers("cs"), timeout=60
            ).status_code

        return call

    results = all_at_once([approve(o.id) for o in mall] + [sync(s.id) for s in shops])
    assert all(status in (200, 409) for status in results), results
    row = Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == scarce.id))
    approved = (
        Order.select()
        .where((Order.id << [o.id for o in mall]) & (Order.status == "approved"))
        .count()
    )
    shop_reserved = (
        ShopOrderLine.select()
        .join(ShopOrder)
        .where((ShopOrderLine.product == scarce.id) & ShopOrder.reserved)
        .count()
    )
    assert 0 <= row.reserved <= row.on_hand == 6
    assert row.reserved == approved + shop_reserved == 6  # every unit taken once, none twice
    short = ShopOrder.select().where(ShopOrder.status == "exception").count()
    assert short == 9 - shop_reserved
