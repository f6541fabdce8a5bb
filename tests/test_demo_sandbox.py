"""The demo against the sandbox over HTTP, as `make run` runs them: once told what the database
holds (`flask tell-sandbox`), the sandbox's platforms take a seeded shop order's tracking number
and its WeChat Pay refunds a seeded payment — also a sandbox started again after the seed, whose
waybill service then issues no number twice."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests

from app.core.models import Staff
from app.payments.models import Payment, Refund
from app.shops.models import PlatformOrder, Shop, ShopOrder, ShopOrderLine, ShopSku
from devkit.testing.clients import ADMIN, staff_headers
from devkit.testing.payments import PaySandbox
from devkit.testing.shops import ask_waybills, send_pushes, send_write_backs, ship_shop_orders


@pytest.fixture
def demo(app, sandbox, app_server):
    """The demo seeded beside a sandbox just started (knowing nothing); yields a function that
    tells the sandbox what the database holds, as `make run` does."""
    sandbox.restart()
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo", "--if-empty"])
    assert seeded.exit_code == 0, seeded.output

    def tell() -> str:
        told = runner.invoke(args=["tell-sandbox", "--wait", "5"])
        assert told.exit_code == 0, told.output
        return told.output

    yield tell
    sandbox.restart()


def platform_orders(sandbox, shop: Shop) -> dict[str, dict]:
    """What the sandbox's platform lists for the shop: platform order id → {"status", …}."""
    store = sandbox.shops
    with store.lock:
        return dict(store.shop(shop.platform, shop.app_key).orders)


def shipments(sandbox, shop: Shop) -> list[dict]:
    url = f"{sandbox.url}/_sandbox/shops/{shop.platform}/{shop.app_key}/shipments"
    return requests.get(url, timeout=5).json()["items"]


def ship_and_write_back(client, shop: Shop) -> tuple[ShopOrder, str]:
    """The warehouse clerk ships a seeded order of the shop waiting to ship; its tracking number
    goes back to the platform (the outbox sent by hand). Returns it and its platform order id."""
    order = (
        ShopOrder.select()
        .where((ShopOrder.shop == shop.id) & (ShopOrder.status == "pending"))
        .order_by(ShopOrder.id)
        .first()
    )
    clerk = staff_headers(Staff.get(Staff.username == "warehouse"))
    assert ask_waybills(client, clerk, [order.id], "SF").status_code == 200
    shipped = ship_shop_orders(client, clerk, [order.id]).get_json()
    assert shipped["shipped"] == [order.id], shipped
    assert send_write_backs().get("delivered", 0) >= 1
    line = ShopOrderLine.get(ShopOrderLine.order == order.id)
    return ShopOrder.get_by_id(order.id), PlatformOrder.get_by_id(line.platform_order_id)


def refund(client, payment: Payment, amount: str):
    finance = staff_headers(Staff.get(Staff.username == "finance"))
    return client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": amount, "reason": "演示退款"},
        headers=finance,
    )


def test_the_sandbox_takes_a_seeded_shop_orders_write_back_and_refunds_a_seeded_payment(
    app, client, sandbox, demo
):
    told = demo()
    assert "sandbox told of" in told
    for shop in Shop.select():
        listed = platform_orders(sandbox, shop)
        ours = PlatformOrder.select().where(PlatformOrder.shop == shop.id)
        assert {o.platform_order_id: o.status for o in ours} == {
            k: v["status"] for k, v in listed.items()
        }
    taobao = Shop.get(Shop.platform == "taobao")
    order, platform_order = ship_and_write_back(client, taobao)
    assert order.written_back == "done"
    (sent,) = shipments(sandbox, taobao)
    assert (sent["platform_order_id"], sent["tracking_no"]) == (
        platform_order.platform_order_id,
        order.tracking_no,
    )
    # A download after it finds the seeded orders as they were: nothing new, nothing changed.
    pdd = Shop.get(Shop.platform == "pdd")
    synced = client.post(
        f"{ADMIN}/shops/{pdd.id}/sync", headers=staff_headers(Staff.get(Staff.username == "admin"))
    )
    assert synced.status_code == 200, synced.get_json()
    assert (synced.get_json()["new"], synced.get_json()["updated"]) == (0, 0)

    topup = Payment.get(Payment.purpose == "topup")
    asked = refund(client, topup, "100.00")
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["status"] == "processing"
    pay = PaySandbox(sandbox)
    pay.finish_refund(asked.get_json()["out_refund_no"])
    pay.wait_answered(topup.out_trade_no)
    assert Refund.get_by_id(asked.get_json()["id"]).status == "succeeded"
    assert Payment.get_by_id(topup.id).status == "partially_refunded"


def test_a_sandbox_started_again_after_the_seed_is_told_again(app, client, sandbox, demo):
    # make run's worker pushes the seed's stock as soon as the sandbox is up: the shops' SKUs
    # are looked up on their platforms (and kept) before the sandbox hears of any order.
    send_pushes()
    demo()
    taobao, youzan = Shop.get(Shop.platform == "taobao"), Shop.get(Shop.platform == "youzan")
    shipped, shipped_on_platform = ship_and_write_back(client, taobao)
    topup = Payment.get(Payment.purpose == "topup")
    first = refund(client, topup, "100.00").get_json()
    assert first["status"] == "processing"

    listings = {
        (s.shop.platform, s.platform_sku): (s.platform_item_id, s.platform_sku_id)
        for s in ShopSku.select().where(ShopSku.platform_item_id != "")
    }
    assert listings

    sandbox.restart()  # `make run` again: the sandbox remembers nothing
    assert platform_orders(sandbox, taobao) == {}
    refused = refund(client, topup, "50.00").get_json()
    assert refused["status"] == "failed", refused  # what the review saw: unknown to WeChat Pay

    told = demo()
    told_of = f"{len(listings)} listings, 24 platform orders, 1 waybills, 2 payments"
    assert f"sandbox told of {told_of}" in told
    for (platform, code), ids in listings.items():
        assert sandbox.shops.listing(platform, f"demo-{platform}", code) == ids
    listed = platform_orders(sandbox, taobao)
    assert listed[shipped_on_platform.platform_order_id]["status"] == "shipped"
    assert sorted(ln["sku"] for ln in listed[shipped_on_platform.platform_order_id]["lines"]) == [
        ln.platform_sku for ln in ShopOrderLine.select().where(ShopOrderLine.order == shipped.id)
    ]
    order, platform_order = ship_and_write_back(client, youzan)
    assert order.written_back == "done"
    assert order.tracking_no != shipped.tracking_no  # the courier never issues a number twice
    # Its stock goes to every shop's listings, as the database knows them: none refused.
    pushed = send_pushes()
    assert pushed.get("delivered") and set(pushed) <= {"delivered", "superseded"}, pushed
    assert [s["platform_order_id"] for s in shipments(sandbox, youzan)] == [
        platform_order.platform_order_id
    ]
    # WeChat Pay knows the payment with the refund it took: the refund still finishes, and the
    # next one is held to what is left.
    pay = PaySandbox(sandbox)
    assert pay.transaction(topup.out_trade_no)["trade_state"] == "REFUND"
    pay.finish_refund(first["out_refund_no"])
    pay.wait_answered(topup.out_trade_no)
    assert Refund.get_by_id(first["id"]).status == "succeeded"
    again = refund(client, topup, "50.00").get_json()
    assert again["status"] == "processing", again
    paid = Payment.get_by_id(topup.id)
    assert paid.refunded_amount == D("150.00")
    # Told twice, the sandbox keeps what it has.
    assert "sandbox told of 0 listings, 0 platform orders, 0 waybills, 0 payments" in demo()
    assert len(shipments(sandbox, youzan)) == 1


def test_tell_sandbox_refuses_in_production(app):
    app.config["ENV_NAME"] = "production"
    try:
        told = app.test_cli_runner().invoke(args=["tell-sandbox", "--wait", "0"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert told.exit_code != 0 and "for development" in told.output
