"""Shops in the reports: sales by channel and by shop, by platform and day, best sellers and
slow movers across the mall and the shops."""

from app.shops import reports as shop_reports
from app.timeutil import local_today
from devkit.factories import make_product, put_stock
from devkit.testing.clients import ADMIN
from devkit.testing.shops import ask_waybills, ship_shop_orders


def sales_today(client, co, group_by: str) -> dict:
    """GET /reports/sales for today, grouped by `group_by`, as the admin."""
    today = local_today().isoformat()
    return client.get(
        f"{ADMIN}/reports/sales",
        query_string={"from": today, "to": today, "group_by": group_by},
        headers=co.headers("admin"),
    ).get_json()


def test_sales_by_channel_has_the_mall_and_each_shop(platform_shop, co, client):
    shop = platform_shop("pdd", name="拼多多店")
    shop.sell((co.tea.sku, 2, "20.00"))
    shop.sync()
    order = co.order(co.east_customer, (co.tea, 10))
    client.post(f"{ADMIN}/orders/{order.id}/approve", json={}, headers=co.headers("cs"))
    body = sales_today(client, co, "channel")
    rows = {r["key"]: r for r in body["items"]}
    assert rows["mall"]["orders"] == 1 and rows["mall"]["amount"] == "450.00"
    assert rows[f"shop:{shop.id}"]["amount"] == "40.00"
    assert rows[f"shop:{shop.id}"]["name"] == "拼多多店（拼多多）"
    assert body["totals"]["amount"] == "490.00"
    assert body["totals"]["orders"] == 2
    by_shop = sales_today(client, co, "shop")
    # The mall's orders are no shop's; each shop has its own row.
    assert [r["key"] for r in by_shop["items"]] == [None, f"shop:{shop.id}"]


def test_platform_days_best_sellers_and_slow_movers(platform_shop, co):
    idle = make_product("5.00", name="无人问津")
    put_stock(co.sh, idle, 7)
    shop = platform_shop("youzan")
    first_day = local_today()  # a run across midnight (Asia/Shanghai) spans two days
    shop.sell((co.oil.sku, 3))
    shop.sync()
    today = local_today()
    admin = co.staff["admin"]
    (row,) = shop_reports.by_platform_and_day(admin, first_day, today)
    assert (row["platform"], row["orders"]) == ("youzan", 1)
    assert row["day"] in {first_day.isoformat(), today.isoformat()}
    assert shop_reports.best_sellers(admin, first_day, today)[0]["product_id"] == co.oil.id
    slow = {r["product_id"] for r in shop_reports.slow_movers(admin)}
    assert idle.id in slow and co.oil.id not in slow


def test_a_shops_gross_margin_comes_from_the_cost_its_goods_left_at(platform_shop, co, client):
    costed = make_product("60.00", name="进价茶")
    received = client.post(
        f"{ADMIN}/stock/receipts",
        json={
            "warehouse_id": co.sh.id,
            "reference": "PO-1",
            "lines": [{"product_id": costed.id, "qty": 10, "unit_cost": "35.50"}],
        },
        headers=co.headers("admin"),
    )
    assert received.status_code == 201, received.get_json()
    shop = platform_shop("taobao")
    shop.sell((costed.sku, 4, "60.00"))
    shop.sync()
    (order,) = shop.orders()
    ask_waybills(client, co.headers("wh"), [order["id"]], "SF")
    ship_shop_orders(client, co.headers("wh"), [order["id"]])
    body = sales_today(client, co, "channel")
    (row,) = [r for r in body["items"] if r["key"] == f"shop:{shop.id}"]
    assert row["shipped_amount"] == "240.00"
    assert row["cost"] == "142.00"  # 4 at the moving-average cost they left at
    assert row["gross_profit"] == "98.00"
