"""Delivery addresses in the browser: the dealer keeps an address book on the phone and the cart
offers it; what customer service changes in the console is what the dealer's cart offers; a rep
keeps a store's addresses."""

from __future__ import annotations

from app.core.models import Order
from app.mall import addresses, cart
from devkit.factories import make_staff, make_store


def bound_dealer(dealer_on_phone, shop, person: str):
    phone, user = dealer_on_phone(person)
    cart.set_item(user.id, shop.tea.id, 2)
    return phone


def an_address(*values: str) -> dict:
    """An address as `addresses.add` takes it and as the form asks for it, in that order."""
    return dict(zip(addresses.FIELDS, values, strict=True))


TIANHE = an_address(
    "李店长", "13912345678", "广东省", "广州市", "天河区", "体育西路 191 号中石化大厦 B 座"
)
JIADING = an_address(
    "仓库收货", "021-5888 6666", "上海市", "上海市", "嘉定区", "嘉定工业区叶城路 1118 号"
)
JINGAN = an_address("静安店收货", "13700000000", "上海市", "上海市", "静安区", "南京西路 1601 号")
XIHU = an_address("赵六", "13911112222", "浙江省", "杭州市", "西湖区", "文三路 90 号")


def fill_address(page, address: dict) -> None:
    page.get_by_label("收货人").fill(address["contact"])
    page.get_by_label("联系电话").fill(address["phone"])
    page.get_by_label("省份").select_option(address["province"])
    page.get_by_label("城市").select_option(address["city"])  # offered once the province is picked
    page.get_by_label("区县").select_option(address["district"])
    page.get_by_label("详细地址").fill(address["address"])


def new_address(phone, start: str, link: str, address: dict) -> None:
    """From the page at `start`, through `link` to the address book, and its new address form
    filled in with `address`."""
    phone.go(start)
    phone.page.get_by_role("link", name=link).click()
    phone.page.get_by_role("link", name="新增收货地址").click()
    fill_address(phone.page, address)


def submit_the_cart_to(dealer, shop, address: str) -> None:
    """The dealer submits the cart; the order goes to `address`."""
    dealer.button("提交订单").click()
    dealer.page.wait_for_url(f"{dealer.base}/h5/orders/*")
    assert Order.get(Order.customer == shop.customer.id).address == address


def test_a_dealer_adds_a_default_address_and_the_order_goes_there(dealer_on_phone, shop):
    dealer = bound_dealer(dealer_on_phone, shop, "address-dealer")
    page = dealer.page
    new_address(dealer, "/h5/account", "收货地址", TIANHE)
    page.get_by_label("设为默认收货地址").check()
    dealer.shot("address-new")
    dealer.button("保存").click()
    page.get_by_text("收货地址已保存").wait_for()
    first = page.locator(".address-card").first
    assert (
        "广东省广州市天河区体育西路 191 号" in first.inner_text() and "默认" in first.inner_text()
    )
    dealer.shot("addresses")

    dealer.go("/h5/cart")
    chosen = page.locator("input[name=address_id]:checked")
    assert "李店长" in page.locator(f"label[for={chosen.get_attribute('id')}]").inner_text()
    dealer.shot("cart-addresses")
    submit_the_cart_to(
        dealer, shop, "李店长 13912345678 广东省广州市天河区体育西路 191 号中石化大厦 B 座"
    )
    assert "体育西路 191 号" in page.content()
    assert dealer.errors == []


def test_a_dealer_picks_another_address_in_the_cart(dealer_on_phone, shop):
    dealer = bound_dealer(dealer_on_phone, shop, "address-picker")
    page = dealer.page
    new_address(dealer, "/h5/cart", "管理收货地址", JIADING)
    dealer.button("保存").click()
    page.wait_for_url(f"{dealer.base}/h5/cart")  # back where the dealer came from
    page.get_by_text("仓库收货").click()  # the radio's label
    submit_the_cart_to(dealer, shop, "仓库收货 021-5888 6666 上海市嘉定区嘉定工业区叶城路 1118 号")
    assert dealer.errors == []


def test_wrong_fields_keep_what_the_dealer_typed_and_say_what_is_wrong(dealer_on_phone, shop):
    dealer = bound_dealer(dealer_on_phone, shop, "address-typo")
    page = dealer.page
    dealer.go("/h5/addresses/new")
    fill_address(page, XIHU | {"phone": "打电话给我", "address": "门"})
    dealer.button("保存").click()
    page.get_by_role("alert").wait_for()
    # Each wrong field by name, and what is wrong with it.
    assert page.get_by_role("alert").inner_text().strip() == (
        "请填写正确的联系电话；详细地址：长度须在 2 到 200 之间"
    )
    assert page.get_by_label("收货人").input_value() == "赵六"
    assert page.get_by_label("区县").input_value() == "西湖区"
    dealer.shot("address-error")
    dealer.errors = [e for e in dealer.errors if "422" not in e]  # that refusal was the point
    assert dealer.errors == []


def test_what_customer_service_changes_in_the_console_is_what_the_cart_offers(
    dealer_on_phone, desk, shop
):
    dealer = bound_dealer(dealer_on_phone, shop, "address-console")
    admin = desk(make_staff("admin", username="address-admin").username)
    page = admin.page
    admin.go(f"/admin/customers/{shop.customer.id}")
    page.locator("#addresses summary", has_text="修改此地址").first.click()
    form = page.locator("form.address-form").first
    form.get_by_label("联系电话").fill("13800001111")  # the address was written without one
    form.get_by_label("省份").select_option("上海市")
    form.get_by_label("城市").select_option("上海市")
    form.get_by_label("区县").select_option("浦东新区")
    form.get_by_label("详细地址").fill("张江路 88 号")
    form.get_by_role("button", name="保存收货地址").click()
    page.wait_for_selector(".flash-success")
    assert admin.flash() == "收货地址已保存"
    admin.shot("customer-addresses")

    dealer.go("/h5/cart")
    offered = dealer.page.locator("fieldset.delivery").inner_text()
    assert "上海市浦东新区张江路 88 号" in offered and "1 号" not in offered
    dealer.shot("cart-after-console-edit")
    assert admin.errors == [] and dealer.errors == []


def test_a_rep_adds_a_delivery_address_for_their_store(wechat, shop):
    rep = make_staff("rep", shop.branch, username="address-rep", name="业务员小陈")
    store = make_store(shop.branch, shop.warehouse, rep, "静安便利店")
    phone = wechat("address-rep")
    phone.bind_staff(rep)
    page = phone.page
    new_address(phone, f"/h5/rep/customers/{store.id}", "收货地址", JINGAN)
    phone.button("保存").click()
    page.get_by_text("收货地址已保存").wait_for()
    assert "上海市静安区南京西路 1601 号" in page.locator(".address-card").first.inner_text()
    phone.shot("rep-store-addresses")
    assert phone.errors == []


def test_a_dealer_edits_deletes_and_picks_the_default_address(dealer_on_phone, shop):
    dealer = bound_dealer(dealer_on_phone, shop, "address-book")
    addresses.add(shop.customer.id, XIHU)
    page = dealer.page
    dealer.go("/h5/addresses")
    assert page.locator(".address-card").count() == 2
    assert "文三路 90 号" not in page.locator(".address-card").first.inner_text()

    page.get_by_role("button", name="设为默认 浙江省杭州市西湖区文三路 90 号").click()
    page.get_by_text("已设为默认收货地址").wait_for()
    first = page.locator(".address-card").first
    assert "文三路 90 号" in first.inner_text() and first.locator(".tag-default").count() == 1

    page.get_by_role("link", name="编辑 浙江省杭州市西湖区文三路 90 号").click()
    assert page.get_by_label("收货人").input_value() == "赵六"  # the address as it is
    page.get_by_label("详细地址").fill("文三路 100 号 2 楼")
    dealer.button("保存").click()
    page.get_by_text("收货地址已保存").wait_for()
    assert "西湖区文三路 100 号 2 楼" in page.locator(".address-card").first.inner_text()
    dealer.go("/h5/cart")
    chosen = page.locator("input[name=address_id]:checked")
    assert (
        "文三路 100 号 2 楼"
        in page.locator(f"label[for={chosen.get_attribute('id')}]").inner_text()
    )

    dealer.go("/h5/addresses")
    page.once("dialog", lambda dialog: dialog.accept())  # 确定删除这个收货地址吗？
    page.get_by_role("button", name="删除 浙江省杭州市西湖区文三路 100 号 2 楼").click()
    page.get_by_text("已删除收货地址").wait_for()
    left = page.locator(".address-card")
    assert left.count() == 1 and "文三路" not in left.inner_text()
    assert left.locator(".tag-default").count() == 1  # the one left is the default again
    dealer.shot("addresses-after-delete")
    dealer.go("/h5/cart")
    assert "文三路" not in page.locator("fieldset.delivery").inner_text()
    assert dealer.errors == []
