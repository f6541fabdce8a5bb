"""Bad input on the H5 forms gets a page in words, never a 500: digits that are not ASCII,
numbers beyond what a column holds, control characters in text the view reads itself."""

from __future__ import annotations

import pytest

from app.core import orders as core_orders
from app.core.models import Order, ReturnRequest
from app.field import visits
from app.field.models import StockSalesReport
from app.mall import accounts
from app.payments.models import Invoice
from devkit.factories import make_customer, make_staff, place


@pytest.fixture
def shipped_order(shop, dealer_phone):
    order = place(shop.customer, (shop.tea, 4))
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF1", "test")
    return order, line


@pytest.mark.parametrize("qty", ["²", "٣", "１", "99999999999999999999", "5"])
def test_a_return_quantity_that_is_not_a_plain_number_in_range_is_refused_in_words(
    dealer_phone, shipped_order, qty
):
    order, line = shipped_order
    path = f"/h5/orders/{order.id}/returns"
    response = dealer_phone.post(
        path, {f"qty-{line.id}": qty, "reason": "破损"}, from_page=f"{path}/new"
    )
    assert response.status_code == 422
    assert "退货数量" in response.get_data(as_text=True)
    assert ReturnRequest.select().count() == 0


def test_a_control_character_in_a_return_reason_is_refused(dealer_phone, shipped_order):
    order, line = shipped_order
    path = f"/h5/orders/{order.id}/returns"
    response = dealer_phone.post(
        path, {f"qty-{line.id}": "1", "reason": "破\x0b损"}, from_page=f"{path}/new"
    )
    assert response.status_code == 422
    assert "控制字符" in response.get_data(as_text=True)
    assert ReturnRequest.select().count() == 0


@pytest.fixture
def rep_on_a_visit(phone, shop):
    rep = make_staff("rep", shop.branch, username="h5-bad-input-rep")
    store = make_customer(shop.branch, shop.warehouse, rep_id=rep.id, lat=31.2, lng=121.4)
    rep_phone = phone("h5-bad-input-rep")
    invitation = accounts.create_invitation("rep", staff_id=rep.id)
    assert rep_phone.post("/h5/bind", {"code": invitation.code}).status_code == 302
    visit = visits.check_in(rep, store.id, 31.2, 121.4, 500)
    return rep_phone, visit


@pytest.mark.parametrize(
    "field",
    [
        ("stock-{tea}", "2147483648"),
        ("stock-{tea}", "²"),
        ("stock-2147483648", "1"),
        ("stock-99999999999999999999", "1"),
    ],
)
def test_a_stock_report_with_numbers_out_of_range_is_refused_in_words(rep_on_a_visit, shop, field):
    rep_phone, visit = rep_on_a_visit
    key, value = field
    path = f"/h5/rep/visits/{visit.id}"
    response = rep_phone.post(
        f"{path}/report", {key.format(tea=shop.tea.id): value}, from_page=path
    )
    assert response.status_code == 302
    assert "须" in rep_phone.open(path).get_data(as_text=True)
    assert StockSalesReport.select().count() == 0


def test_a_wrong_invoice_request_says_what_is_wrong_with_each_field(dealer_phone, shipped_order):
    """Each field the dealer typed, by the name the page gives it, with what is wrong with it;
    what was typed stays in the form."""
    order, _ = shipped_order
    form = {
        "order_ids": str(order.id),
        "kind": "normal",
        "title": "上海某某商贸有限公司",
        "tax_no": "9131",
        "email": "不是邮箱",
    }
    response = dealer_phone.post("/h5/invoices", form, from_page="/h5/invoices/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "税号：长度须在 15 到 20 之间；邮箱地址无效" in page
    assert 'value="上海某某商贸有限公司"' in page and 'value="9131"' in page
    assert Invoice.select().count() == 0


def test_a_form_whose_hidden_fields_are_wrong_says_the_form_is_not_right(dealer_phone, shop):
    """A field the dealer never typed (the page's own key) is not named: the page was stale."""
    response = dealer_phone.post(
        "/h5/pay/topup", {"amount": "100", "idempotency_key": "x"}, from_page="/h5/pay/topup"
    )
    assert response.status_code == 422
    assert "提交的内容不正确" in response.get_data(as_text=True)
