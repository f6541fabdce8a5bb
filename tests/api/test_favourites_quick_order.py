"""Mall commerce for the dealer: favourites (收藏) marked on the catalogue, quick order
(POST /cart/bulk) and order search (GET /orders?q=)."""

from __future__ import annotations

import json

import requests

from app.core.orders import LineRequest
from app.mall import favourites, ordering
from app.mall.models import Favourite
from devkit.databases import statements
from devkit.factories import make_product
from devkit.testing.clients import MP, HttpClient, bind_dealer
from devkit.testing.concurrency import all_at_once


def catalogue(client, headers, **query) -> dict[int, dict]:
    response = client.get(f"{MP}/catalog/products", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {p["id"]: p for p in response.get_json()["items"]}


# --- favourites ------------------------------------------------------------------------------


def test_a_favourite_is_listed_and_marked_on_the_catalogue(client, shop, dealer):
    assert not any(p["favourite"] for p in catalogue(client, dealer).values())
    put = client.put(f"{MP}/favourites/{shop.oil.id}", headers=dealer)
    assert put.status_code == 200, put.get_json()
    body = put.get_json()
    assert [p["id"] for p in body["items"]] == [shop.oil.id] and body["total"] == 1
    assert body["items"][0]["price"] == "170.00" and body["items"][0]["favourite"] is True
    marked = {pid for pid, p in catalogue(client, dealer).items() if p["favourite"]}
    assert marked == {shop.oil.id}
    detail = client.get(f"{MP}/catalog/products/{shop.oil.id}", headers=dealer).get_json()
    assert detail["favourite"] is True
    other = client.get(f"{MP}/catalog/products/{shop.tea.id}", headers=dealer).get_json()
    assert other["favourite"] is False


def test_recently_ordered_products_carry_their_heart(client, shop, dealer):
    ordering.place_order(shop.customer, [LineRequest(shop.tea.id, 10), LineRequest(shop.oil.id, 1)])
    favourites.add(shop.customer.id, shop.oil.id)
    items = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()["items"]
    assert {i["id"]: i["favourite"] for i in items} == {shop.tea.id: False, shop.oil.id: True}


def test_putting_twice_is_one_favourite_and_deleting_twice_is_harmless(client, shop, dealer):
    client.put(f"{MP}/favourites/{shop.tea.id}", headers=dealer)
    again = client.put(f"{MP}/favourites/{shop.tea.id}", headers=dealer).get_json()
    assert again["total"] == 1
    gone = client.delete(f"{MP}/favourites/{shop.tea.id}", headers=dealer)
    assert gone.status_code == 200 and gone.get_json()["items"] == []
    assert client.delete(f"{MP}/favourites/{shop.tea.id}", headers=dealer).status_code == 200
    assert not catalogue(client, dealer)[shop.tea.id]["favourite"]


def test_favourites_are_the_customers_own(client, shop, dealer, other_dealer):
    client.put(f"{MP}/favourites/{shop.tea.id}", headers=dealer)
    assert client.get(f"{MP}/favourites", headers=other_dealer).get_json()["items"] == []
    assert not catalogue(client, other_dealer)[shop.tea.id]["favourite"]
    # The other dealer's delete of the same product leaves this dealer's favourite alone.
    client.delete(f"{MP}/favourites/{shop.tea.id}", headers=other_dealer)
    assert client.get(f"{MP}/favourites", headers=dealer).get_json()["total"] == 1


def test_a_product_not_on_sale_cannot_be_a_favourite(client, shop, dealer):
    response = client.put(f"{MP}/favourites/{shop.gone.id}", headers=dealer)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "商品不存在或已下架"
    assert client.put(f"{MP}/favourites/999999", headers=dealer).status_code == 404


def test_favourites_need_a_dealer(client, shop):
    assert client.get(f"{MP}/favourites").status_code == 401


def test_marking_a_catalogue_page_is_one_query_whatever_its_length(client, shop, dealer):
    for i in range(15):
        favourites.add(shop.customer.id, make_product(name=f"收藏品{i}").id)
    catalogue(client, dealer, per_page=5)  # (with Redis, both pages come from the cache)
    catalogue(client, dealer, per_page=40)
    with statements() as few:
        catalogue(client, dealer, per_page=5)
    with statements() as many:
        marked = catalogue(client, dealer, per_page=40)
    assert sum(p["favourite"] for p in marked.values()) == 15
    assert len(many) == len(few), many


def test_flags_are_set_in_the_cached_bytes_or_else_the_slow_way(app, shop):
    from miniprogram_api.catalog import _with_favourites

    favourites.add(shop.customer.id, shop.tea.id)
    items = [
        {"id": shop.oil.id, "name": '"favourite":false,"id":1', "favourite": False},
        {"id": shop.tea.id, "name": "茶", "favourite": False},
    ]
    layouts = [
        json.dumps({"items": items}, sort_keys=True, separators=(",", ":")).encode(),  # the usual
        json.dumps({"items": items}, indent=2, ensure_ascii=False).encode(),  # another
    ]
    with app.test_request_context():
        for body in layouts:
            marked, etag = _with_favourites({shop.tea.id}, body, '"cached"')
            page = json.loads(marked)
            assert [i["favourite"] for i in page["items"]] == [False, True]
            assert page["items"][0]["name"] == '"favourite":false,"id":1' and etag != '"cached"'
        untouched = json.dumps({"items": items[:1]}, sort_keys=True).encode()
        assert _with_favourites({shop.tea.id}, untouched, '"cached"') == (untouched, '"cached"')


def test_the_favourites_page_is_bounded(client, shop, dealer):
    r = client.get(f"{MP}/favourites", headers=dealer, query_string={"per_page": 1000})
    assert r.status_code == 422 and "每页条数" in str(r.get_json()["error"])


# --- quick order -------------------------------------------------------------------------------


def bulk(client, headers, items):
    return client.post(f"{MP}/cart/bulk", json={"items": items}, headers=headers)


def test_a_list_of_skus_goes_into_the_cart(client, shop, dealer):
    response = bulk(
        client,
        dealer,
        [
            {"sku": shop.tea.sku, "qty": 10},
            {"sku": shop.boxed.sku, "qty": 4},  # minimum 6, multiple of 6
            {"sku": "NO-SUCH", "qty": 1},
            {"sku": shop.gone.sku, "qty": 1},  # not on sale
            {"sku": shop.oil.sku, "qty": 2, "unit": shop.oil.unit},
        ],
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    lines = {i["product_id"]: i["qty"] for i in body["items"]}
    assert lines == {shop.tea.id: 10, shop.boxed.id: 6, shop.oil.id: 2}
    assert body["not_found"] == ["NO-SUCH", shop.gone.sku]
    assert body["adjusted"] == [
        {
            "sku": shop.boxed.sku,
            "product_id": shop.boxed.id,
            "name": "饼干",
            "requested": 4,
            "qty": 6,
            "reason": "起订量 6 箱",
        }
    ]
    assert body["refused"] == []
    assert body["total"] == "850.00"  # 10 × 45 + 6 × 10 + 2 × 170 (the dealer's prices)


def test_quick_order_adds_to_the_cart_and_sums_repeated_skus(client, shop, dealer):
    client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 3}, headers=dealer)
    body = bulk(
        client,
        dealer,
        [
            {"sku": shop.tea.sku, "qty": 2},
            {"sku": shop.tea.sku.lower(), "qty": 5},
            {"sku": shop.boxed.sku, "qty": 7},
        ],
    ).get_json()
    lines = {i["product_id"]: i["qty"] for i in body["items"]}
    assert lines == {shop.tea.id: 10, shop.boxed.id: 12}
    assert body["adjusted"][0]["reason"] == "须按 6 的整数倍订购"


def test_another_unit_is_refused_in_words(client, shop, dealer):
    body = bulk(client, dealer, [{"sku": shop.tea.sku, "qty": 2, "unit": "托"}]).get_json()
    assert body["items"] == []
    assert body["refused"] == [{"sku": shop.tea.sku, "reason": "茉莉绿茶 没有单位“托”，可选：箱"}]


def test_a_line_the_cart_cannot_hold_is_refused(client, shop, dealer):
    client.put(f"{MP}/cart/items/{shop.tea.id}", json={"qty": 99990}, headers=dealer)
    body = bulk(
        client, dealer, [{"sku": shop.tea.sku, "qty": 20}, {"sku": shop.oil.sku, "qty": 1}]
    ).get_json()
    assert [r["sku"] for r in body["refused"]] == [shop.tea.sku]
    assert {i["product_id"]: i["qty"] for i in body["items"]}[shop.tea.id] == 99990


def test_bad_quick_orders_are_refused_in_words(client, shop, dealer):
    cases = [
        {},
        {"items": []},
        {"items": [{"sku": "", "qty": 1}]},
        {"items": [{"sku": shop.tea.sku, "qty": 0}]},
        {"items": [{"sku": shop.tea.sku, "qty": "3"}]},
        {"items": [{"sku": shop.tea.sku}]},
        {"items": [{"sku": "X" * 65, "qty": 1}]},
        {"items": [{"sku": shop.tea.sku, "qty": 1}] * 201},
        {"items": "TEA,1"},
    ]
    for body in cases:
        response = client.post(f"{MP}/cart/bulk", json=body, headers=dealer)
        assert response.status_code == 422, (body, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "validation_error" and error["message"]
    assert client.get(f"{MP}/cart", headers=dealer).get_json()["items"] == []


# --- order search --------------------------------------------------------------------------------


def test_orders_are_found_by_number_product_name_or_sku(client, shop, dealer, other_dealer):
    tea = ordering.place_order(shop.customer, [LineRequest(shop.tea.id, 10)]).order
    oil = ordering.place_order(shop.customer, [LineRequest(shop.oil.id, 1)]).order
    theirs = ordering.place_order(shop.other, [LineRequest(shop.tea.id, 10)]).order

    def found(**query):
        r = client.get(f"{MP}/orders", headers=dealer, query_string=query)
        assert r.status_code == 200, r.get_json()
        return [o["id"] for o in r.get_json()["items"]]

    assert found(q="绿茶") == [tea.id]
    assert found(q=shop.oil.sku) == [oil.id]
    assert found(q=oil.number) == [oil.id]
    assert found(q=oil.number[-4:]) == [oil.id]
    assert found(q="没有这种商品") == []
    assert found(q="绿茶", status="approved") == []
    assert sorted(found()) == sorted([tea.id, oil.id])
    other = client.get(f"{MP}/orders", headers=other_dealer, query_string={"q": "绿茶"})
    assert [o["id"] for o in other.get_json()["items"]] == [theirs.id]


def test_a_search_word_too_long_is_refused(client, shop, dealer):
    r = client.get(f"{MP}/orders", headers=dealer, query_string={"q": "x" * 65})
    assert r.status_code == 422 and r.get_json()["error"]["message"]


def test_racing_hearts_make_one_favourite(gunicorn, shop):
    headers = bind_dealer(HttpClient(gunicorn.url), shop.customer, "racing-heart")

    def put():
        r = requests.put(
            f"{gunicorn.url}{MP}/favourites/{shop.tea.id}", headers=headers, timeout=30
        )
        return r.status_code, r.json()["total"]

    assert all_at_once([put] * 8) == [(200, 1)] * 8
    assert Favourite.select().count() == 1
