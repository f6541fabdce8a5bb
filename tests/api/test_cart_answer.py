"""The cart's answer names its lines twice (`items`, and `lines` as API.md calls them): the lines
are dumped once and answered under both names, on a hot path (every cart change, a rep's visit)."""

from app.mall import cart
from app.mall.models import CartItem
from devkit.testing.clients import MP
from miniprogram_api.schemas import CartOut


def test_the_cart_lines_are_dumped_once_and_answered_under_both_names(client, shop, dealer):
    r = client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 2}, headers=dealer)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["lines"] == r.get_json()["items"] != []
    user_id = CartItem.get().wechat_user_id
    data = CartOut().dump(cart.view_cart(user_id, shop.customer, 20))
    assert data["lines"] is data["items"]  # the same list, not a second dump of the lines
    assert [line["product_id"] for line in data["lines"]] == [shop.tea.id]


def test_the_openapi_document_says_lines_are_cart_lines(client):
    spec = client.get("/api/openapi.json").get_json()
    cart_schema = spec["components"]["schemas"]["CartOut"]["properties"]
    assert cart_schema["lines"]["type"] == "array"
    assert cart_schema["lines"]["items"] == cart_schema["items"]["items"]
