"""Catalogue at the dealer's prices with stock status; the cart."""

from app.core import catalog, stock
from devkit.testing.clients import MP


def products(client, headers, **query):
    response = client.get(f"{MP}/catalog/products", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_dealer_sees_their_own_prices(client, shop, dealer, other_dealer):
    mine = {p["id"]: p["price"] for p in products(client, dealer)["items"]}
    theirs = {p["id"]: p["price"] for p in products(client, other_dealer)["items"]}
    assert mine[shop.tea.id] == "45.00"  # level 3
    assert mine[shop.oil.id] == "170.00"  # price book
    assert theirs[shop.tea.id] == "50.00"  # level 1 has no price: list price
    assert theirs[shop.oil.id] == "200.00"


def test_stock_status_never_shows_quantities(client, shop, dealer, app):
    items = {p["id"]: p for p in products(client, dealer)["items"]}
    assert items[shop.tea.id]["stock_status"] == "in_stock"  # 100 > 20
    assert items[shop.oil.id]["stock_status"] == "low"  # 5 ≤ 20
    assert items[shop.boxed.id]["stock_status"] == "out"
    assert "on_hand" not in str(items) and "available" not in str(items)
    stock.reserve(shop.warehouse.id, [(shop.oil.id, 5)], "SO-X")
    assert products(client, dealer, q="花生油")["items"][0]["stock_status"] == "out"


def test_inactive_products_are_hidden(client, shop, dealer):
    ids = [p["id"] for p in products(client, dealer)["items"]]
    assert shop.gone.id not in ids
    assert client.get(f"{MP}/catalog/products/{shop.gone.id}", headers=dealer).status_code == 404


def test_search_category_and_pagination(client, shop, dealer):
    assert [p["name"] for p in products(client, dealer, q="绿茶")["items"]] == ["茉莉绿茶"]
    in_drinks = products(client, dealer, category_id=shop.drinks.id)  # includes sub-categories
    assert [p["id"] for p in in_drinks["items"]] == [shop.tea.id]
    page = products(client, dealer, per_page=2, page=2)
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 3)
    assert len(page["items"]) == 1


def test_category_tree(client, shop, dealer):
    tree = client.get(f"{MP}/catalog/categories", headers=dealer).get_json()["items"]
    drinks = next(c for c in tree if c["name"] == "饮料")
    assert [c["name"] for c in drinks["children"]] == ["茶饮料"]


def test_product_detail_carries_the_dealer_price(client, shop, dealer):
    body = client.get(f"{MP}/catalog/products/{shop.oil.id}", headers=dealer).get_json()
    assert body["price"] == "170.00" and body["sku"] == shop.oil.sku


def test_cart_keeps_quantities_and_prices_at_todays_price(client, shop, dealer):
    client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 10}, headers=dealer)
    body = client.put(f"{MP}/cart/items/{shop.oil.id}", json={"qty": 2}, headers=dealer).get_json()
    assert body["total"] == "790.00" and body["count"] == 12
    catalog.set_customer_price(shop.customer.id, shop.oil.id, 150)
    body = client.get(f"{MP}/cart", headers=dealer).get_json()
    assert body["total"] == "750.00"
    body = client.delete(f"{MP}/cart/items/{shop.tea.id}", headers=dealer).get_json()
    assert [i["product_id"] for i in body["items"]] == [shop.oil.id]


def test_cart_checks_min_qty_and_order_multiple(client, shop, dealer):
    r = client.put(f"{MP}/cart/items/{shop.boxed.id}", json={"qty": 4}, headers=dealer)
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "below_min_qty")
    r = client.put(f"{MP}/cart/items/{shop.boxed.id}", json={"qty": 8}, headers=dealer)
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "bad_step")
    r = client.put(f"{MP}/cart/items/{shop.boxed.id}", json={"qty": 12}, headers=dealer)
    assert r.status_code == 200


def test_carts_are_per_wechat_user(client, shop, dealer, other_dealer):
    client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 10}, headers=dealer)
    assert client.get(f"{MP}/cart", headers=other_dealer).get_json()["items"] == []
    r = client.delete(f"{MP}/cart/items/{shop.tea.id}", headers=other_dealer)
    assert r.status_code == 404
