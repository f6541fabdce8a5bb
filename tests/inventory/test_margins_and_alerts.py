"""True margins (cost of goods, gross profit, fees, profit after fees) in the sales and profit
reports, by branch, rep, customer, brand and channel, each in the caller's scope; and the alerts
(GET /alerts) each role sees."""

import datetime as dt
from decimal import Decimal

from app.core import receivables, returns
from app.core.models import Order, Product, Receivable
from app.db import utcnow
from app.shops.models import Shop
from app.timeutil import local_today
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN
from devkit.testing.inventory import sell, stocked_at_cost

D = Decimal


def get(client, path, headers, **query):
    r = client.get(ADMIN + path, headers=headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_sales_rows_carry_cost_gross_profit_and_margin(client, co):
    stocked_at_cost(co)
    east = sell(co, co.east_customer, co.tea, 10, ship=10)  # 10 × 45.00 = 450, cost 200
    request = returns.request_return(
        co.east_customer.id, east.id, [(east.lines[0].id, 2)], "破损", "dealer"
    )
    returns.approve(request.id, co.staff["cs"], "staff:cs")
    returns.receive(request.id, [(request.lines[0].id, 2)], "wh")  # 90.00 back, cost 40
    sell(co, co.south_customer, co.tea, 4, ship=4)  # 4 × 50.00 = 200, cost 80

    report = get(client, "/reports/sales", co.headers("admin"), group_by="branch")
    rows = {r["name"]: r for r in report["items"]}
    east_row = rows["华东分公司"]
    assert (east_row["shipped_amount"], east_row["returned_amount"]) == ("450.00", "90.00")
    assert (east_row["cost"], east_row["gross_profit"], east_row["gross_margin"]) == (
        "160.00",
        "200.00",
        "55.6",
    )
    assert (rows["华南分公司"]["cost"], rows["华南分公司"]["gross_margin"]) == ("80.00", "60.0")
    totals = report["totals"]
    assert (totals["cost"], totals["gross_profit"], totals["gross_margin"]) == (
        "240.00",
        "320.00",
        "57.1",
    )


def test_sales_by_brand_and_by_channel(client, co):
    stocked_at_cost(co)
    sell(co, co.east_customer, co.tea, 10, ship=10)
    sell(co, co.east_customer, co.oil, 1, ship=1)  # oil at cost 0
    by_brand = get(client, "/reports/sales", co.headers("admin"), group_by="brand")["items"]
    assert {r["key"]: (r["shipped_amount"], r["cost"]) for r in by_brand} == {
        "茗香": ("450.00", "200.00"),
        "金龙": ("200.00", "0.00"),
    }
    by_channel = get(client, "/reports/sales", co.headers("admin"), group_by="channel")["items"]
    assert [(r["key"], r["name"], r["orders"], r["shipped_amount"]) for r in by_channel] == [
        ("mall", "订货商城", 2, "650.00")
    ]


def test_profit_nets_customer_fees_by_customer_and_brand(client, co):
    stocked_at_cost(co)
    sell(co, co.east_customer, co.tea, 10, ship=10)
    today = local_today().isoformat()
    fees = f"/customers/{co.east_customer.id}/fees"
    for body in (
        {"kind": "listing", "amount": "100.00", "date": today, "brand": "茗香"},
        {"kind": "display", "amount": "30.00", "date": today},
    ):
        assert client.post(ADMIN + fees, json=body, headers=co.headers("fin")).status_code == 201
    by_customer = get(client, "/reports/profit", co.headers("admin"), group_by="customer")
    row = by_customer["items"][0]
    assert row["key"] == co.east_customer.id
    assert (row["net_sales"], row["cost"], row["gross_profit"], row["fees"], row["profit"]) == (
        "450.00",
        "200.00",
        "250.00",
        "130.00",
        "120.00",
    )
    by_brand = {
        r["name"]: r
        for r in get(client, "/reports/profit", co.headers("admin"), group_by="brand")["items"]
    }
    assert (by_brand["茗香"]["fees"], by_brand["茗香"]["profit"]) == ("100.00", "150.00")
    assert (by_brand["未指定品牌"]["fees"], by_brand["未指定品牌"]["profit"]) == ("30.00", "-30.00")


def test_a_branch_manager_sees_their_branchs_own_figures(client, co):
    stocked_at_cost(co)
    sell(co, co.east_customer, co.tea, 10, ship=10)
    sell(co, co.south_customer, co.tea, 4, ship=4)
    mine = get(client, "/reports/profit", co.headers("bm_south"), group_by="branch")
    assert [r["name"] for r in mine["items"]] == ["华南分公司"]
    assert mine["totals"]["net_sales"] == "200.00"
    other = client.get(
        ADMIN + "/reports/profit",
        headers=co.headers("bm_south"),
        query_string={"branch_id": co.east.id},
    )
    assert other.status_code == 403


def kinds(client, co, who):
    return {a["kind"] for a in get(client, "/alerts", co.headers(who))["items"]}


def test_low_stock_against_safety_stock_in_the_callers_warehouses(client, co):
    Product.update(safety_stock=15).where(Product.id == co.oil.id).execute()  # 10 in each
    alerts = get(client, "/alerts", co.headers("wh"))["items"]
    low = [a for a in alerts if a["kind"] == "low_stock"]
    assert len(low) == 2
    assert "花生油" in low[0]["title"] and "低于安全库存 15" in low[0]["title"]
    keeper = make_staff("warehouse", co.south, username="wh_south")
    co.staff["wh_south"] = keeper
    south = [a for a in get(client, "/alerts", co.headers("wh_south"))["items"]]
    assert [a["details"]["warehouse_id"] for a in south] == [co.gz.id]


def test_credit_near_limit_overdue_and_stuck_orders(client, co):
    # 20,000 limit: 18,000 of tea on an approved order is 90% used.
    stuck = sell(co, co.east_customer, co.tea, 400)
    Order.update(approved_at=utcnow() - dt.timedelta(days=4)).where(Order.id == stuck.id).execute()
    shipped = sell(co, co.south_customer, co.tea, 2, ship=2)
    Receivable.update(posted_at=utcnow() - dt.timedelta(days=61)).where(
        Receivable.order == shipped.id
    ).execute()
    alerts = {a["kind"]: a for a in get(client, "/alerts", co.headers("admin"))["items"]}
    assert alerts["credit_near_limit"]["ref"] == co.east_customer.code
    assert "90%" in alerts["credit_near_limit"]["title"]
    assert alerts["stuck_order"]["ref"] == stuck.number
    assert "4 天未发货" in alerts["stuck_order"]["title"]
    assert alerts["overdue"]["ref"] == co.south_customer.code
    assert "¥100.00 应收超过 60 天" in alerts["overdue"]["title"]
    # A branch manager of the south sees only the south's; the warehouse no credit at all.
    assert kinds(client, co, "bm_south") == {"overdue"}
    assert "credit_near_limit" not in kinds(client, co, "wh")
    receivables.record_receipt(co.south_customer.id, D("100.00"), "bank")
    assert "overdue" not in kinds(client, co, "admin")


def test_a_shop_whose_download_failed_alerts_those_who_see_its_warehouse(client, co):
    failed_at = utcnow() - dt.timedelta(minutes=5)
    shop = Shop.create(
        name="茗香天猫店",
        platform="taobao",
        app_key="k",
        app_secret="s",
        access_token="t",
        warehouse=co.sh.id,
        sync_error="淘宝接口暂时不可用",
        sync_failed_at=failed_at,
    )
    alerts = {a["kind"]: a for a in get(client, "/alerts", co.headers("admin"))["items"]}
    failed = alerts["shop_sync_failed"]
    assert failed["title"] == "网店「茗香天猫店」同步订单失败：淘宝接口暂时不可用"
    assert failed["ref"] == "茗香天猫店" and failed["details"]["shop_id"] == shop.id
    assert failed["since"] is not None
    assert "shop_sync_failed" in kinds(client, co, "cs_east")  # the east's shop
    co.staff["wh_south"] = make_staff("warehouse", co.south, username="wh_south")
    assert "shop_sync_failed" not in kinds(client, co, "wh_south")  # not the south's warehouse
    assert "shop_sync_failed" not in kinds(client, co, "fin")  # finance does not see shops
    Shop.update(sync_error="", sync_failed_at=None).where(Shop.id == shop.id).execute()
    assert "shop_sync_failed" not in kinds(client, co, "admin")
