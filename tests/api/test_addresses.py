"""The dealer's address book over the mini-program API: add, change, make default, delete, and
orders sent to the address chosen or the default."""

from __future__ import annotations

from app.core.models import Order

MP = "/api/mp/v1"
PUDONG = {
    "contact": "王经理",
    "phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "address": "世纪大道 100 号 3 楼",
}


def add(client, headers, **changes):
    response = client.post(f"{MP}/addresses", json={**PUDONG, **changes}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_dealer_adds_an_address_with_province_city_and_district(client, dealer):
    created = add(client, dealer, default=True)
    assert {k: created[k] for k in PUDONG} == PUDONG
    assert created["default"] is True
    listed = client.get(f"{MP}/addresses", headers=dealer).get_json()["items"]
    assert listed[0]["id"] == created["id"]


def test_a_new_default_address_takes_the_default_from_the_old_one(client, dealer):
    first = add(client, dealer, default=True)
    second = add(client, dealer, district="徐汇区", default=True)
    listed = client.get(f"{MP}/addresses", headers=dealer).get_json()["items"]
    defaults = [a["id"] for a in listed if a["default"]]
    assert defaults == [second["id"]] and first["id"] in [a["id"] for a in listed]


def test_changing_an_address_keeps_the_fields_not_sent(client, dealer):
    created = add(client, dealer)
    response = client.patch(
        f"{MP}/addresses/{created['id']}", json={"phone": "021-5888 6666"}, headers=dealer
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "021-5888 6666"
    assert response.get_json()["address"] == PUDONG["address"]


def test_a_district_that_is_not_in_the_city_is_refused_in_words(client, dealer):
    response = client.post(f"{MP}/addresses", json={**PUDONG, "district": "天河区"}, headers=dealer)
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert body["message"] == "上海市没有“天河区”，请重新选择区县"
    assert "district" in body["details"]


def test_a_missing_field_is_named(client, dealer):
    response = client.post(
        f"{MP}/addresses", json={k: v for k, v in PUDONG.items() if k != "phone"}, headers=dealer
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["phone"] == ["此项必填"]


def test_deleting_the_default_makes_the_oldest_remaining_address_the_default(client, dealer):
    add(client, dealer, district="徐汇区")
    default = add(client, dealer, default=True)
    response = client.delete(f"{MP}/addresses/{default['id']}", headers=dealer)
    assert response.status_code == 200 and response.get_json()["id"] == default["id"]
    listed = client.get(f"{MP}/addresses", headers=dealer).get_json()["items"]
    oldest = min(a["id"] for a in listed)
    assert [a["id"] for a in listed if a["default"]] == [oldest]
    assert default["id"] not in [a["id"] for a in listed]


def test_another_dealers_address_cannot_be_read_changed_or_deleted(client, dealer, other_dealer):
    created = add(client, dealer)
    path = f"{MP}/addresses/{created['id']}"
    assert (
        client.patch(path, json={"phone": "13900000000"}, headers=other_dealer).status_code == 404
    )
    assert client.delete(path, headers=other_dealer).status_code == 404
    theirs = client.get(f"{MP}/addresses", headers=other_dealer).get_json()["items"]
    assert created["id"] not in [a["id"] for a in theirs]


def test_an_order_without_an_address_goes_to_the_default_written_in_full(client, dealer, shop):
    add(client, dealer, default=True)
    response = client.post(
        f"{MP}/orders",
        json={"lines": [{"product_id": shop.tea.id, "qty": 1}]},
        headers={**dealer, "Idempotency-Key": "address-default-1"},
    )
    assert response.status_code == 201, response.get_json()
    order = Order.get_by_id(response.get_json()["id"])
    assert order.address == "王经理 13800138000 上海市浦东新区世纪大道 100 号 3 楼"


def test_an_order_goes_to_the_address_it_names(client, dealer, shop):
    add(client, dealer, default=True)
    chosen = add(client, dealer, province="广东省", city="广州市", district="天河区")
    response = client.post(
        f"{MP}/orders",
        json={"lines": [{"product_id": shop.tea.id, "qty": 1}], "address_id": chosen["id"]},
        headers={**dealer, "Idempotency-Key": "address-chosen-1"},
    )
    assert response.status_code == 201, response.get_json()
    assert "广东省广州市天河区" in Order.get_by_id(response.get_json()["id"]).address
