"""The H5 catalogue shows a style once, from its lowest price; the style's page picks a SKU by
its spec values (greying out values only out-of-stock or missing combinations have) and puts
the chosen SKU in the cart. Through the test client, and on a 375 px phone in Chromium."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.backoffice import catalog as staff_catalog
from app.core import styles as core_styles
from app.mall import styles as mall_styles
from app.mall.models import CartItem
from devkit.factories import make_staff, make_style

SPECS = [
    {"name": "口味", "values": ["茉莉", "乌龙", "普洱"]},
    {"name": "规格", "values": ["小盒", "大盒"]},
]


@pytest.fixture
def giftbox(shop):
    """茶礼盒: 茉莉 both sizes in stock, 乌龙 小盒 out and 大盒 low, 普洱 小盒 only."""
    return make_style(
        "茶礼盒",
        SPECS,
        {
            ("茉莉", "小盒"): ("GB-01", "12.00", 50),
            ("茉莉", "大盒"): ("GB-02", "22.00", 50),
            ("乌龙", "小盒"): ("GB-03", "13.00", 0),
            ("乌龙", "大盒"): ("GB-04", "24.00", 3),
            ("普洱", "小盒"): ("GB-05", "15.00", 40),
        },
        warehouse=shop.warehouse,
        category_id=shop.tea_cat.id,
    )


def jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), colour).save(out, "JPEG")
    return out.getvalue()


def state(picker) -> dict[str, dict[str, str]]:
    """Each dimension's values as on, off (greyed) or free."""
    return {
        name: {c.value: "on" if c.selected else "off" if c.disabled else "free" for c in choices}
        for name, choices in picker.dimensions
    }


def test_values_grey_out_when_only_out_of_stock_or_missing_combinations_have_them(shop, giftbox):
    group, _ = giftbox
    view = mall_styles.style_view(shop.customer, group.id, 5)
    nothing = mall_styles.picker(view, {})
    assert state(nothing) == {
        "口味": {"茉莉": "free", "乌龙": "free", "普洱": "free"},
        "规格": {"小盒": "free", "大盒": "free"},
    }
    assert nothing.sku is None and nothing.missing == ["口味", "规格"]
    oolong = mall_styles.picker(view, {"口味": "乌龙"})
    assert state(oolong)["规格"] == {"小盒": "off", "大盒": "free"}  # 小盒 is out of stock
    puer = mall_styles.picker(view, {"口味": "普洱"})
    assert state(puer)["规格"] == {"小盒": "free", "大盒": "off"}  # 大盒 was never made
    big = mall_styles.picker(view, {"规格": "大盒"})
    assert state(big)["口味"] == {"茉莉": "free", "乌龙": "free", "普洱": "off"}
    chosen = mall_styles.picker(view, {"口味": "乌龙", "规格": "大盒", "x": "y"})
    assert chosen.sku.product.sku == "GB-04" and chosen.sku.stock_status == "low"
    assert chosen.chosen == {"口味": "乌龙", "规格": "大盒"}
    # Tapping a chosen value again unchooses it.
    on = next(c for c in state_choices(chosen, "口味") if c.selected)
    assert on.chosen_next == {"规格": "大盒"}


def state_choices(picker, name):
    return next(choices for n, choices in picker.dimensions if n == name)


def test_the_catalogue_shows_the_style_once_from_its_lowest_price(dealer_phone, shop, giftbox):
    page = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert page.count("茶礼盒") == 1 and "¥12.00/件 起" in page
    assert "GB-02" not in page and f"/h5/styles/{giftbox[0].id}" in page
    assert shop.tea.name in page  # products outside styles as before
    found = dealer_phone.open("/h5/products?q=GB-04").get_data(as_text=True)
    assert "茶礼盒" in found
    # A style taken off sale falls apart into its SKUs, each a product of its own.
    core_styles.update_group(giftbox[0].id, active=False)
    page = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert "¥12.00/件 起" not in page and all(f"GB-0{i}" in page for i in range(1, 6))


def test_the_style_page_adds_the_chosen_sku_to_the_cart(dealer_phone, shop, giftbox):
    group, made = giftbox
    url = (
        f"/h5/styles/{group.id}?s-{quote('口味')}={quote('乌龙')}&s-{quote('规格')}={quote('大盒')}"
    )
    page = dealer_phone.open(url).get_data(as_text=True)
    assert "¥24.00" in page and "GB-04" in page and "库存紧张" in page
    done = dealer_phone.post(
        f"/h5/cart/items/{made[('乌龙', '大盒')].id}/add",
        {"qty": "2", "back": "style"},
        from_page=url,
    )
    assert done.status_code == 302 and f"/h5/styles/{group.id}?" in done.location
    assert {c.product_id: c.qty for c in CartItem.select()} == {made[("乌龙", "大盒")].id: 2}
    sku_page = dealer_phone.open(f"/h5/products/{made[('普洱', '小盒')].id}").get_data(as_text=True)
    assert "普洱 / 小盒 · 选择其他规格" in sku_page
    assert f"/h5/styles/{group.id}?s-" in sku_page
    # The chosen SKU's picture shows; without a choice, the first picture any SKU has.
    admin = make_staff("admin", username="style-pictures")
    first = staff_catalog.add_product_image(admin, made[("茉莉", "大盒")].id, jpeg((200, 40, 40)))
    chosen = staff_catalog.add_product_image(admin, made[("乌龙", "大盒")].id, jpeg((40, 40, 200)))
    assert f'id="style-picture" src="/media/{chosen.thumb_key}"' in dealer_phone.open(url).get_data(
        as_text=True
    )
    unchosen = dealer_phone.open(f"/h5/styles/{group.id}").get_data(as_text=True)
    assert f'id="style-picture" src="/media/{first.thumb_key}"' in unchosen
    unknown = dealer_phone.open("/h5/styles/999999")
    assert unknown.status_code == 404


def test_a_dealer_picks_a_spec_on_the_phone(dealer_on_phone, shop, giftbox, screenshots):
    group, made = giftbox
    admin = make_staff("admin", username="picker-pictures")
    staff_catalog.add_product_image(admin, made[("乌龙", "大盒")].id, jpeg((40, 90, 160)))
    dealer, user = dealer_on_phone("picker")
    page = dealer.page
    dealer.go("/h5/products")
    card = page.locator(f"#style-{group.id}")
    expect(card).to_contain_text("¥12.00/件 起")
    dealer.shot("style-in-catalogue", full_page=False)
    card.get_by_role("link").click()
    page.wait_for_url(f"**/h5/styles/{group.id}")
    expect(page.locator("#style-price")).to_have_text("¥12.00 – ¥24.00")
    page.get_by_role("link", name="乌龙").click()
    expect(page.get_by_role("link", name="乌龙")).to_have_attribute("aria-pressed", "true")
    small = page.locator(".spec-off", has_text="小盒")
    expect(small).to_have_attribute("aria-disabled", "true")
    dealer.shot("style-picker-greyed", full_page=False)
    page.get_by_role("link", name="大盒").click()
    expect(page.locator("#style-price")).to_contain_text("¥24.00")
    expect(page.locator("#chosen-stock")).to_have_text("库存紧张")
    expect(page.locator("#style-picture")).to_have_attribute("width", "240")
    dealer.shot("style-picker-chosen", full_page=False)
    dealer.button("加入购物车").click()
    page.get_by_text("已加入购物车").wait_for()
    expect(page.get_by_role("link", name="大盒")).to_have_attribute("aria-pressed", "true")
    dealer.shot("style-added")
    rows = CartItem.select().where(CartItem.wechat_user == user.id)
    assert {c.product_id: c.qty for c in rows} == {made[("乌龙", "大盒")].id: 1}
    assert dealer.errors == []


def test_a_reps_visit_catalogue_lists_a_style_once_as_the_dealers_does(
    phone, dealer_phone, shop, giftbox
):
    import re

    from app.field.models import Visit
    from app.mall import accounts
    from devkit.factories import make_store

    group, made = giftbox
    rep = make_staff("rep", shop.branch, username="style-rep")
    store = make_store(shop.branch, shop.warehouse, rep, "款式门店")
    rep_phone = phone("style-rep")
    code = accounts.create_invitation("rep", staff_id=rep.id).code
    assert rep_phone.post("/h5/bind", {"code": code}).status_code == 302
    visit = Visit.create(
        staff=rep.id,
        customer=store.id,
        open_for_staff=rep.id,
        checkin_lat=0,
        checkin_lng=0,
        checkin_distance_m=0,
    )

    def count(page: str) -> int:
        return int(re.search(r"共 (\d+) 种商品", page).group(1))

    dealers = dealer_phone.open("/h5/products").get_data(as_text=True)
    reps = rep_phone.open(f"/h5/rep/visits/{visit.id}/products").get_data(as_text=True)
    assert count(reps) == count(dealers)  # the style counts once, as in the dealer's catalogue
    assert reps.count(f'id="style-{group.id}"') == 1
    style = reps[reps.index(f'id="style-{group.id}"') : reps.index("</details>")]
    assert "茶礼盒" in style and "共 5 款规格" in style and "¥12.00 起" in style
    assert all(f'id="p-{sku.id}"' in style for sku in made.values())  # each SKU to add, within
    added = rep_phone.post(
        f"/h5/rep/visits/{visit.id}/cart/items/{made[('普洱', '小盒')].id}/add", {"qty": "2"}
    )
    assert added.status_code == 302
    assert CartItem.get(CartItem.product == made[("普洱", "小盒")].id).qty == 2
