"""Shop orders reach the ERP's webhook: shop_order.downloaded and shop_order.shipped, with the
order as the admin API shows it."""

from app import outbox
from app.integrations.webhooks import WEBHOOKS
from devkit.testing.clients import ADMIN


def test_a_downloaded_and_a_shipped_shop_order_are_delivered_to_the_webhook(
    platform_shop, co, client, receiver
):
    made = client.post(
        f"{ADMIN}/webhooks",
        json={"url": receiver.url, "events": ["shop_order.downloaded", "shop_order.shipped"]},
        headers=co.headers("admin"),
    )
    assert made.status_code == 201, made.get_json()
    shop = platform_shop("doudian")
    placed = shop.sell((co.tea.sku, 2))
    shop.sync()
    (order,) = shop.orders()
    client.post(
        f"{ADMIN}/shop-orders/waybills",
        json={"ids": [order["id"]], "carrier": "JD"},
        headers=co.headers("wh"),
    )
    client.post(f"{ADMIN}/shop-orders/ship", json={"ids": [order["id"]]}, headers=co.headers("wh"))
    outbox.deliver_due(WEBHOOKS)
    kinds = [r["json"]["type"] for r in receiver.requests]
    assert kinds == ["shop_order.downloaded", "shop_order.shipped"]
    shipped = receiver.requests[1]["json"]["data"]
    assert shipped["platform_order_ids"] == [placed] and shipped["status"] == "shipped"
    assert shipped["receiver"]["name"] == "张*"
