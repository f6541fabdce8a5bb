"""Staff on their phones (375 px, WeChat): asked to follow the official account until they do,
their own to-do count, and the warehouse ships an order there — with where it goes and what the
dealer asked, the tracking number scanned from the waybill's barcode."""

from __future__ import annotations

from playwright.sync_api import expect

from app.core.models import Order, Shipment
from app.core.orders import LineRequest, approve_order, create_order
from app.mall import addresses
from devkit.factories import make_staff

# What Chromium's BarcodeDetector would read off the waybill: the browser's own API, faked here
# as headless Chromium on Linux has none (the camera is Chromium's fake test pattern).
BARCODE = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["code_128"]; }
  async detect() { return [{ rawValue: "SF1402398877665", format: "code_128" }]; }
};
"""


def staff_phone(wechat, staff, person: str, **options):
    phone = wechat(person, **options)
    phone.bind_staff(staff, "staff")
    return phone


def test_a_bound_staff_member_is_asked_to_follow_until_they_do(wechat, shop):
    clerk = make_staff("warehouse", username="follow-wh", name="仓管老周")
    phone = staff_phone(wechat, clerk, "follow-wh")
    prompt = phone.page.locator(".follow-prompt")
    assert "请关注公众号" in prompt.inner_text() and "等您审核、审批或发货" in prompt.inner_text()
    qr = prompt.get_by_role("img")
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert qr.evaluate("img => img.naturalWidth") > 0  # a real image, long-pressable
    phone.shot("staff-follow-prompt")

    phone.follow_official_account()
    assert phone.page.locator(".follow-prompt").count() == 0
    assert phone.errors == []


def test_staff_see_their_own_to_do_count_on_the_phone(wechat, shop):
    for qty in (1, 2):
        create_order(shop.customer.id, [LineRequest(shop.tea.id, qty)], placed_by="wechat:1")
    approve_order(
        create_order(shop.customer.id, [LineRequest(shop.tea.id, 3)], placed_by="x").id, "t"
    )
    cs = staff_phone(wechat, make_staff("customer_service", username="todo-cs"), "todo-cs")
    assert "待我处理：2 项" in cs.page.locator(".todo-total").inner_text()
    assert cs.page.locator("#todo-review .weui-badge").inner_text() == "2"
    cs.shot("staff-todo-cs")
    clerk = staff_phone(wechat, make_staff("warehouse", username="todo-wh"), "todo-wh")
    assert clerk.page.locator("#todo-ship .weui-badge").inner_text() == "1"
    assert clerk.page.locator("#todo-review").count() == 0  # not the warehouse's work
    assert cs.errors == [] and clerk.errors == []


def test_the_warehouse_ships_on_the_phone_scanning_the_tracking_barcode(wechat, shop):
    address = addresses.add(
        shop.customer.id,
        {
            "contact": "陈经理",
            "phone": "13600001111",
            "province": "浙江省",
            "city": "宁波市",
            "district": "鄞州区",
            "address": "天童南路 588 号",
        },
    )
    order = create_order(
        shop.customer.id,
        [LineRequest(shop.tea.id, 6)],
        placed_by="wechat:1",
        remark="请周二上午送货",
        address_id=address.id,
    )
    approve_order(order.id, "staff:1")
    clerk = make_staff("warehouse", username="ship-wh", name="仓管小吴")
    phone = staff_phone(wechat, clerk, "ship-wh", permissions=["camera"])
    phone.context.add_init_script(BARCODE)
    page = phone.page
    page.locator("#todo-ship a.weui-cell", has_text=shop.customer.name).click()
    page.wait_for_url(f"{phone.base}/h5/staff/orders/{order.id}")
    delivery = page.locator("section[aria-label=收货与备注]").inner_text()
    assert "陈经理 13600001111 浙江省宁波市鄞州区天童南路 588 号" in delivery
    assert "请周二上午送货" in delivery

    page.get_by_label("茉莉绿茶 本次发货数量").fill("4")
    page.get_by_label("承运商").fill("顺丰速运")
    page.get_by_role("button", name="扫码").click()
    expect(page.get_by_label("运单号")).to_have_value("SF1402398877665")
    expect(page.locator(".scanner")).to_be_hidden()  # the camera closed once it read the code
    phone.shot("staff-ship")
    page.get_by_role("button", name="确认发货").click()
    page.get_by_text("已发货：顺丰速运 SF1402398877665").wait_for()
    shipment = Shipment.get(Shipment.order == order.id)
    assert (shipment.carrier, shipment.tracking_no) == ("顺丰速运", "SF1402398877665")
    assert Order.get_by_id(order.id).status == "partially_shipped"
    assert page.get_by_label("茉莉绿茶 本次发货数量").input_value() == "2"  # what is left
    phone.shot("staff-shipped")
    assert phone.errors == []


def test_without_a_barcode_reader_the_number_is_typed_and_mistakes_keep_it(wechat, shop):
    order = create_order(shop.customer.id, [LineRequest(shop.tea.id, 2)], placed_by="x")
    approve_order(order.id, "staff:1")
    clerk = make_staff("warehouse", username="type-wh")
    phone = staff_phone(wechat, clerk, "type-wh")
    page = phone.page
    phone.go(f"/h5/staff/orders/{order.id}")
    assert page.get_by_role("button", name="扫码").is_hidden()
    page.get_by_label("茉莉绿茶 本次发货数量").fill("5")  # more than is left
    page.get_by_label("承运商").fill("中通快递")
    page.get_by_label("运单号").fill("ZT778899")
    # A number past the field's max, as an old browser would send it: the server says no.
    page.get_by_label("茉莉绿茶 本次发货数量").evaluate("el => el.removeAttribute('max')")
    page.get_by_role("button", name="确认发货").click()
    page.get_by_role("alert").wait_for()
    assert "茉莉绿茶 发货数量须在 0 到 2 之间" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("运单号").input_value() == "ZT778899"
    assert page.get_by_label("承运商").input_value() == "中通快递"
    phone.errors = [e for e in phone.errors if "422" not in e]  # the refusal was the point
    assert phone.errors == [] and Shipment.select().count() == 0


def test_a_bound_branch_manager_is_named_as_one_on_the_binding_page(wechat, shop):
    manager = make_staff("branch_manager", shop.branch, username="bind-bm", name="王经理")
    phone = staff_phone(wechat, manager, "bind-bm")
    phone.go("/h5/bind")
    said = phone.page.locator(".weui-form__desc").inner_text()
    assert "当前已绑定分公司经理“王经理”" in said and "业务员" not in said
    phone.shot("bind-branch-manager")
    assert phone.errors == []
