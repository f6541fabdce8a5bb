"""Product pictures on the dealer's phone (375 px, WeChat): thumbnails in the catalogue, the cart
and the orders, a gallery on the product page — loaded lazily, their boxes sized beforehand, a
tile with the name's first character where a product has none."""

from __future__ import annotations

import io

from PIL import Image

from app.backoffice import catalog as staff_catalog
from app.core.orders import LineRequest, create_order
from app.mall import cart
from devkit.factories import make_staff

LOADED = "img => img.complete && img.naturalWidth > 0"


def photo(colour, size=(900, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def test_the_dealer_sees_product_pictures_everywhere(dealer_on_phone, shop):
    admin = make_staff("admin", username="pictures-admin")
    first = staff_catalog.add_product_image(admin, shop.tea.id, photo((46, 139, 87)))
    staff_catalog.add_product_image(admin, shop.tea.id, photo((240, 200, 40), (1200, 800)))
    dealer, user = dealer_on_phone("pictures")
    page = dealer.page

    dealer.go("/h5/products")
    tea = page.locator(f"#product-{shop.tea.id} img.thumb")
    assert tea.get_attribute("loading") == "lazy"
    assert (tea.get_attribute("width"), tea.get_attribute("height")) == ("64", "64")
    assert tea.get_attribute("src") == f"/media/{first.thumb_key}"
    tea.scroll_into_view_if_needed()
    page.wait_for_function(LOADED, arg=tea.element_handle())
    box = tea.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (64, 64)
    oil = page.locator(f"#product-{shop.oil.id} .thumb-none")
    assert oil.inner_text() == "花" and oil.bounding_box()["width"] == 64
    dealer.shot("catalogue-pictures", full_page=False)

    dealer.go(f"/h5/products/{shop.tea.id}")
    gallery = page.locator(".gallery img")
    assert gallery.count() == 2
    page.wait_for_function(LOADED, arg=gallery.first.element_handle())
    dealer.shot("product-gallery", full_page=False)

    cart.add_item(user.id, shop.tea.id, 10)
    cart.add_item(user.id, shop.oil.id, 1)
    dealer.go("/h5/cart")
    line = page.locator(f"#line-{shop.tea.id} img.thumb")
    page.wait_for_function(LOADED, arg=line.element_handle())
    assert line.get_attribute("loading") == "lazy"
    assert page.locator(f"#line-{shop.oil.id} .thumb-none").count() == 1
    dealer.shot("cart-pictures")

    order = create_order(
        shop.customer.id,
        [LineRequest(shop.tea.id, 10), LineRequest(shop.oil.id, 1)],
        placed_by=f"wechat:{user.id}",
    )
    dealer.go("/h5/orders")
    thumbs = page.locator(".order-card .order-thumbs").first
    assert thumbs.locator("img.thumb").count() == 1 and thumbs.locator(".thumb-none").count() == 1
    dealer.go(f"/h5/orders/{order.id}")
    line = page.locator(".order-line img.thumb").first
    page.wait_for_function(LOADED, arg=line.element_handle())
    dealer.shot("order-pictures")
    assert dealer.errors == []
