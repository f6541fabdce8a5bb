"""待我处理 in the console: each kind of work waiting — shop orders to ship, transfers to
receive, stock documents and refunds to sign, invoices to issue, refunds WeChat Pay could not pay
out — reaches the roles that may act on it, inside their data scope, with the bar's count and a
link to where it is done; roles that may not act never see it."""

from __future__ import annotations

import html
import re

import pytest

from app.approval import services as approvals
from app.backoffice import accounts as staff_accounts
from app.core import orders
from app.core.models import Order
from app.inventory import services as inventory
from app.payments import refunds
from app.payments.models import Refund
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, bind_dealer


def todo_page(console) -> str:
    response = console.get("/admin/todo")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def bar_count(page: str) -> int:
    return int(re.search(r'id="todo-count">(\d+)<', page).group(1))


def group(page: str, kind: str) -> str | None:
    """The group of one kind on the page (its label, count and rows), or None when the role has
    no such kind."""
    found = re.search(rf'<article id="todo-{kind}">(.*?)</article>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def count_of(page: str, kind: str) -> int:
    return int(re.search(r'class="badge[^"]*">(\d+)<', group(page, kind)).group(1))


def links(page: str, kind: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', group(page, kind))


def add_staff(co, key: str, role: str, branch):
    co.staff[key] = make_staff(role, branch, username=key)


def _transfer(co, maker=None):
    return inventory.create_transfer(
        maker or co.staff["wh"],
        {
            "from_warehouse_id": co.sh.id,
            "to_warehouse_id": co.gz.id,
            "lines": [{"product_id": co.tea.id, "qty": 2}],
        },
    )


# --- shop orders -------------------------------------------------------------------------------


@pytest.fixture
def shop_order(platform_shop, co):
    """One paid order of the east's shop (its warehouse is 上海), downloaded: waiting to ship."""
    shop = platform_shop("taobao", warehouse=co.sh)
    shop.sell((co.tea.sku, 2, "45.00"))
    assert shop.sync().status_code == 200
    (order,) = shop.orders()
    assert order["status"] == "pending"
    return order


def test_a_shop_order_waiting_to_ship_is_the_warehouses_todo_in_its_scope(
    shop_order, co, signed_in
):
    page = todo_page(signed_in("wh"))
    assert "待发货网店订单" in group(page, "shop_ship")
    assert count_of(page, "shop_ship") == 1 and bar_count(page) == 1
    assert links(page, "shop_ship") == [f"/admin/shop-orders/{shop_order['id']}"]
    assert shop_order["number"] in group(page, "shop_ship")
    # Customer service works the shop queue too, in its branch.
    assert count_of(todo_page(signed_in("cs_east")), "shop_ship") == 1
    # The south's warehouse does not see the east's shop.
    add_staff(co, "wh_south", "warehouse", co.south)
    south = todo_page(signed_in("wh_south"))
    assert count_of(south, "shop_ship") == 0 and bar_count(south) == 0


def test_roles_that_read_shop_orders_but_do_not_ship_them_have_no_such_todo(
    shop_order, co, signed_in
):
    for who in ("fin", "hq"):
        assert group(todo_page(signed_in(who)), "shop_ship") is None, who


# --- transfers and stock receipts --------------------------------------------------------------


def test_a_transfer_in_transit_is_the_receiving_warehouses_todo(co, signed_in):
    transfer = _transfer(co)
    assert transfer.status == "in_transit"
    add_staff(co, "wh_south", "warehouse", co.south)
    add_staff(co, "wh_east", "warehouse", co.east)

    receiver = todo_page(signed_in("wh_south"))
    assert "待收货调拨单" in group(receiver, "transfer_receive")
    assert count_of(receiver, "transfer_receive") == 1 and bar_count(receiver) == 1
    assert links(receiver, "transfer_receive") == [f"/admin/stock/transfers/{transfer.id}"]
    assert "在途" in group(receiver, "transfer_receive")
    # The sending warehouse sees the transfer on its page but has nothing to receive.
    assert count_of(todo_page(signed_in("wh_east")), "transfer_receive") == 0
    # Finance reads stock and does not receive goods.
    assert group(todo_page(signed_in("fin")), "transfer_receive") is None

    lines = [{"product_id": co.tea.id, "qty": 2}]
    inventory.receive_transfer(co.staff["wh_south"], transfer.id, lines)
    assert count_of(todo_page(signed_in("wh_south")), "transfer_receive") == 0


def test_stock_documents_waiting_for_a_signature_are_the_signers_todo(co, signed_in):
    approvals.create_rule("调拨需经理", {}, [{"role": "branch_manager"}], document="transfer")
    approvals.create_rule("入库需财务", {}, [{"role": "finance"}], document="stock_receipt")
    transfer = _transfer(co)
    receipt = inventory.create_receipt(
        co.staff["wh"],
        {
            "warehouse_id": co.sh.id,
            "reference": "DN-TODO",
            "lines": [{"product_id": co.tea.id, "qty": 2, "unit_cost": "10.00"}],
        },
    )
    assert (transfer.status, receipt.status) == ("pending", "pending")

    manager = todo_page(signed_in("bm_east"))
    assert "待审批调拨单" in group(manager, "transfer_sign")
    assert links(manager, "transfer_sign") == [f"/admin/stock/transfers/{transfer.id}"]
    assert count_of(manager, "receipt_sign") == 0

    finance = todo_page(signed_in("fin"))
    assert "待审批入库单" in group(finance, "receipt_sign")
    assert links(finance, "receipt_sign") == [f"/admin/stock/receipts/{receipt.id}"]
    assert "¥20.00" in group(finance, "receipt_sign")
    assert count_of(finance, "transfer_sign") == 0
    assert bar_count(finance) == 1

    assert count_of(todo_page(signed_in("hq")), "transfer_sign") == 0  # not the rule's role
    assert group(todo_page(signed_in("rep")), "transfer_sign") is None  # reps read no stock


# --- refunds and invoices ----------------------------------------------------------------------


@pytest.fixture
def paid(paid_top_up):
    return paid_top_up("100.00", "todo-dealer")


def ask_refund(client, co, payment, amount="30.00") -> dict:
    response = client.post(
        f"{ADMIN}/payments/{payment.id}/refunds",
        json={"amount": amount, "reason": "客户多付"},
        headers=co.headers("fin"),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_refund_awaiting_approval_is_reviewed_by_customer_service_then_signed(
    client, co, paid, signed_in
):
    approvals.create_rule("退款需财务", {}, [{"role": "finance"}], document="refund")
    asked = ask_refund(client, co, paid)
    assert asked["status"] == "pending_approval"

    service = todo_page(signed_in("cs_east"))
    assert "待审核退款" in group(service, "refund_review")
    assert count_of(service, "refund_review") == 1
    assert links(service, "refund_review") == [
        f"/admin/refunds?status=pending_approval#refund-{asked['id']}"
    ]
    page = signed_in("cs_east").get(links(service, "refund_review")[0]).get_data(as_text=True)
    assert f'id="refund-{asked["id"]}"' in page and "同意退款" in page
    assert count_of(todo_page(signed_in("fin")), "refund_review") == 0  # after the review
    add_staff(co, "cs_south", "customer_service", co.south)
    assert count_of(todo_page(signed_in("cs_south")), "refund_review") == 0  # the east's
    assert group(todo_page(signed_in("wh")), "refund_review") is None

    refunds.approve(co.staff["cs_east"], asked["id"], "")
    finance = todo_page(signed_in("fin"))
    assert "待审批退款" in group(finance, "refund_review")
    assert count_of(finance, "refund_review") == 1
    assert count_of(todo_page(signed_in("cs_east")), "refund_review") == 0


def test_a_refund_wechat_pay_could_not_pay_out_is_finances_todo(
    client, co, paid, pay_sandbox, signed_in
):
    asked = ask_refund(client, co, paid)
    pay_sandbox.finish_refund(asked["out_refund_no"], status="ABNORMAL")
    pay_sandbox.wait_answered(paid.out_trade_no, count=2)
    assert Refund.get_by_id(asked["id"]).status == "abnormal"

    finance = todo_page(signed_in("fin"))
    assert "退款异常" in group(finance, "refund_abnormal")
    assert count_of(finance, "refund_abnormal") == 1 and bar_count(finance) == 1
    assert links(finance, "refund_abnormal") == [
        f"/admin/refunds?status=abnormal#refund-{asked['id']}"
    ]
    assert "请在商户平台处理" in group(finance, "refund_abnormal")
    # Customer service sees refunds and does not refund.
    assert group(todo_page(signed_in("cs")), "refund_abnormal") is None


def test_an_invoice_request_waits_for_finance_in_its_scope(client, co, signed_in):
    order = co.order(co.east_customer, (co.tea, 2))
    orders.approve_order(order.id, "staff:1")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 2)], "顺丰", "SF-TODO", "staff:2")
    dealer = bind_dealer(client, co.east_customer, "todo-invoice-dealer")
    body = {"kind": "normal", "title": "上海某某商贸有限公司", "tax_no": "91310000MA1FL0000X"}
    asked = client.post(f"{MP}/invoices", json={**body, "order_ids": [order.id]}, headers=dealer)
    assert asked.status_code == 201, asked.get_json()
    invoice = asked.get_json()

    finance = todo_page(signed_in("fin"))
    assert "待开票申请" in group(finance, "invoice_issue")
    assert count_of(finance, "invoice_issue") == 1 and bar_count(finance) == 1
    assert links(finance, "invoice_issue") == [
        f"/admin/invoices?status=requested#invoice-{invoice['id']}"
    ]
    add_staff(co, "fin_south", "finance", co.south)
    assert count_of(todo_page(signed_in("fin_south")), "invoice_issue") == 0
    for who in ("cs", "bm_east"):  # they read invoices; finance issues them
        assert group(todo_page(signed_in(who)), "invoice_issue") is None, who


def test_the_phones_staff_page_lists_the_new_kinds_and_sends_them_to_the_console(phone, co):
    add_staff(co, "wh_south", "warehouse", co.south)
    transfer = _transfer(co)
    clerk = phone("wh-south-phone")
    invitation = staff_accounts.invite_staff(co.staff["admin"], co.staff["wh_south"].id)
    clerk.post("/h5/bind", {"code": invitation.code})
    page = html.unescape(clerk.open("/h5/staff/").get_data(as_text=True))
    assert "待我处理：<strong>1</strong> 项" in page
    section = page.split('id="todo-transfer_receive"')[1].split("</section>")[0]
    assert transfer.number in section and "在途" in section
    assert "待收货调拨单请在电脑上的管理后台处理" in section


def test_the_bars_count_is_every_kinds_count_together_in_one_statement(co, signed_in, app_ctx):
    from app.backoffice import todo
    from devkit.databases import statements

    _transfer(co)
    co.order(co.east_customer, (co.tea, 1))  # waiting for review
    admin = co.staff["admin"]
    with statements() as ran:
        counted = todo.todo_count(admin)
    assert len(ran) == 1  # the bar asks on every console page
    each = todo.todos(admin)
    assert len(each) > 5 and counted == sum(t.count for t in each) >= 2
    assert todo.todo_count(co.staff["wh"]) == sum(t.count for t in todo.todos(co.staff["wh"]))
