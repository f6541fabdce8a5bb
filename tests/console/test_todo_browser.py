"""待我处理 at 1366 px with the kinds beyond orders and returns: the warehouse's shop orders to
ship and transfer to receive, finance's stock receipt to sign, invoice to issue and refund WeChat
Pay could not pay out — each row opening where it is done."""

from __future__ import annotations

from app.approval import services as approvals
from app.core import orders, organisation
from app.core.models import Order
from app.inventory import services as inventory
from devkit.factories import put_stock
from devkit.testing.clients import ADMIN, MP, bind_dealer
from devkit.testing.shops import RECEIVER


def _warehouse_work(co, platform_shop):
    shop = platform_shop("taobao", warehouse=co.sh, name="茗香天猫旗舰店")
    shop.sell((co.tea.sku, 2, "45.00"), buyer="买家甲")
    shop.sell((co.tea.sku, 1, "45.00"), buyer="买家乙", receiver={**RECEIVER, "name": "李四"})
    shop.sync()
    hangzhou = organisation.create_warehouse("HZ", "杭州仓", co.east.id)
    put_stock(hangzhou, co.oil, 10)
    transfer = inventory.create_transfer(
        co.staff["admin"],
        {
            "from_warehouse_id": hangzhou.id,
            "to_warehouse_id": co.sh.id,
            "lines": [{"product_id": co.oil.id, "qty": 3}],
        },
    )
    return shop.orders(), transfer


def _finance_work(client, co, paid_top_up, pay_sandbox):
    approvals.create_rule("入库需财务", {}, [{"role": "finance"}], document="stock_receipt")
    receipt = inventory.create_receipt(
        co.staff["wh"],
        {
            "warehouse_id": co.sh.id,
            "supplier": "杭州茶厂",
            "reference": "DN-2026-118",
            "lines": [{"product_id": co.tea.id, "qty": 40, "unit_cost": "31.50"}],
        },
    )
    order = co.order(co.east_customer, (co.tea, 4))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF-TODO-1", "staff:2")
    dealer = bind_dealer(client, co.east_customer, "todo-browser-dealer")
    body = {"kind": "special", "title": "上海某某商贸有限公司", "tax_no": "91310000MA1FL0000X"}
    client.post(f"{MP}/invoices", json={**body, "order_ids": [order.id]}, headers=dealer)
    payment = paid_top_up("200.00", "todo-browser-payer")
    asked = client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": "50.00", "reason": "重复付款"},
        headers=co.headers("fin"),
    ).get_json()
    pay_sandbox.finish_refund(asked["out_refund_no"], status="ABNORMAL")
    pay_sandbox.wait_answered(payment.out_trade_no, count=2)
    return receipt, asked


def test_the_warehouse_and_finance_see_their_new_kinds_of_work(
    desk, client, co, platform_shop, paid_top_up, pay_sandbox
):
    shop_orders, transfer = _warehouse_work(co, platform_shop)
    receipt, refund = _finance_work(client, co, paid_top_up, pay_sandbox)

    clerk = desk(co.staff["wh"].username)
    assert clerk.page.locator("#todo-count").inner_text() == "3"  # 2 shop orders, 1 transfer
    clerk.page.get_by_role("link", name="待我处理").click()
    shops = clerk.page.locator("#todo-shop_ship")
    assert "待发货网店订单" in shops.inner_text() and "茗香天猫旗舰店" in shops.inner_text()
    transfers = clerk.page.locator("#todo-transfer_receive").inner_text()
    assert "待收货调拨单" in transfers and "杭州仓 → 上海仓" in transfers
    clerk.shot("todo-warehouse-kinds")
    clerk.page.locator("#todo-transfer_receive").get_by_role("link", name=transfer.number).click()
    assert clerk.page.url.endswith(f"/admin/stock/transfers/{transfer.id}")
    clerk.go("/admin/todo")
    oldest = min(shop_orders, key=lambda o: o["id"])
    shops.get_by_role("link", name=oldest["number"]).click()
    assert clerk.page.url.endswith(f"/admin/shop-orders/{oldest['id']}")

    clerk_of_money = desk(co.staff["fin"].username)
    assert clerk_of_money.page.locator("#todo-count").inner_text() == "3"
    clerk_of_money.go("/admin/todo")
    page = clerk_of_money.page
    receipts = page.locator("#todo-receipt_sign").inner_text()
    assert receipt.number in receipts and "杭州茶厂" in receipts
    assert "¥1,260.00" in page.locator("#todo-receipt_sign").inner_text()
    assert "待开票申请" in page.locator("#todo-invoice_issue").inner_text()
    assert "¥50.00" in page.locator("#todo-refund_abnormal").inner_text()
    assert page.locator("#todo-shop_ship").count() == 0  # finance reads shop orders, ships none
    clerk_of_money.shot("todo-finance-kinds")
    page.locator("#todo-refund_abnormal").get_by_role("link", name=refund["out_refund_no"]).click()
    row = page.locator(f"#refund-{refund['id']}")
    assert "退款异常" in row.inner_text()
    assert clerk.errors == [] and clerk_of_money.errors == []
