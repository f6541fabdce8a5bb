"""Invariant 6 (a dealer sees only their own customer's data) and bad input getting clear errors."""

import pytest

from app.core.models import CustomerAddress
from devkit.testing.clients import MP


@pytest.fixture
def their_order(client, shop, other_dealer):
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}]}
    r = client.post(f"{MP}/orders", json=body, headers=other_dealer)
    assert r.status_code == 201
    return r.get_json()["id"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/orders/{id}"),
        ("post", "/orders/{id}/cancel"),
        ("post", "/orders/{id}/confirm-receipt"),
        ("post", "/orders/{id}/reorder"),
    ],
)
def test_another_dealers_order_is_not_found(client, dealer, their_order, method, path):
    response = getattr(client, method)(MP + path.format(id=their_order), headers=dealer)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "茉莉绿茶" not in response.get_data(as_text=True)


def test_another_dealers_orders_never_appear_in_my_lists(client, dealer, their_order):
    assert client.get(f"{MP}/orders", headers=dealer).get_json()["total"] == 0
    recent = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()
    assert recent["items"] == []
    assert client.get(f"{MP}/account/statement", headers=dealer).get_json()["items"] == []


def test_another_dealers_address_cannot_be_used(client, shop, dealer):
    theirs = CustomerAddress.create(
        customer=shop.other.id, contact="王", phone="1", address="别人的地址"
    )
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}], "address_id": theirs.id}
    response = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert response.status_code == 404
    mine = client.get(f"{MP}/addresses", headers=dealer).get_json()["items"]
    assert [a["address"] for a in mine] == ["上海市浦东新区 1 号"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/catalog/products"),
        ("get", "/cart"),
        ("get", "/orders"),
        ("get", "/account"),
        ("get", "/announcements"),
    ],
)
def test_reps_cannot_use_dealer_endpoints(client, rep_headers, method, path):
    response = getattr(client, method)(MP + path, headers=rep_headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


BAD_ORDERS = [
    ({}, "lines"),
    ({"lines": []}, "lines"),
    ({"lines": "all of them"}, "lines"),
    ({"lines": [{"product_id": 1}]}, "lines"),
    ({"lines": [{"product_id": "abc", "qty": 1}]}, "lines"),
    ({"lines": [{"product_id": 1, "qty": -3}]}, "lines"),
    ({"lines": [{"product_id": 1, "qty": 0}]}, "lines"),
    ({"lines": [{"product_id": 1, "qty": 10**12}]}, "lines"),
    ({"lines": [{"product_id": 1, "qty": 1.5}]}, "lines"),
    ({"lines": [{"product_id": 1, "qty": 1}], "hack": True}, "hack"),
    ({"lines": [{"product_id": 1, "qty": 1}], "remark": "x" * 501}, "remark"),
    ([1, 2, 3], "_schema"),
]


@pytest.mark.parametrize("body, field", BAD_ORDERS)
def test_bad_order_bodies_get_field_errors(client, dealer, body, field):
    response = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert error["message"] == "提交的数据不正确"


def test_field_errors_are_in_chinese(client, dealer):
    body = {"lines": [{"product_id": "abc", "qty": -1}]}
    details = client.post(f"{MP}/orders", json=body, headers=dealer).get_json()["error"]["details"]
    assert details == {
        "lines": {"0": {"product_id": ["须为整数"], "qty": ["数量须在 1 到 99999 之间"]}}
    }


def test_length_and_format_errors_are_in_chinese(client, dealer):
    """Fields whose schema gives no words of its own get marshmallow's validators' defaults,
    said in Chinese (app.validation), not "Length must be between 1 and 32."."""
    body = {
        "contact": "王" * 40,
        "phone": "13800000000",
        "province": "",
        "city": "上海市",
        "district": "浦东新区",
        "address": "张江路 88 号",
    }
    details = client.post(f"{MP}/addresses", json=body, headers=dealer).get_json()["error"][
        "details"
    ]
    assert details == {
        "contact": ["长度须在 1 到 32 之间"],
        "province": ["长度须在 1 到 32 之间"],
    }


def test_unknown_products_are_not_found(client, shop, dealer):
    body = {"lines": [{"product_id": 999999, "qty": 1}, {"product_id": shop.gone.id, "qty": 1}]}
    response = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert response.status_code == 404
    assert response.get_json()["error"]["details"]["product_ids"] == sorted([999999, shop.gone.id])


def test_malformed_json_is_a_400(client, dealer):
    response = client.post(
        f"{MP}/orders", data="{lines: [", headers={**dealer, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "请求体不是合法的 JSON"


def test_wrong_content_type_is_a_400(client, dealer):
    response = client.post(
        f"{MP}/orders", data="lines=1", headers={**dealer, "Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]["message"]


def test_bad_query_strings_are_422(client, dealer):
    for query in ({"page": "0"}, {"per_page": "1000"}, {"page": "x"}, {"category_id": "-1"}):
        response = client.get(f"{MP}/catalog/products", headers=dealer, query_string=query)
        assert response.status_code == 422, query
    response = client.get(f"{MP}/orders", headers=dealer, query_string={"status": "paid"})
    assert response.get_json()["error"]["details"] == {"status": ["订单状态无效"]}


def test_bad_idempotency_key_is_rejected(client, shop, dealer):
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}]}
    response = client.post(
        f"{MP}/orders", json=body, headers={**dealer, "Idempotency-Key": "x" * 200}
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["error"]["details"]


def test_bad_report_bodies_get_field_errors(client, shop, dealer):
    bad = [
        {"period_end": "yesterday", "lines": [{"product_id": 1, "stock_qty": 1, "sales_qty": 1}]},
        {"period_end": "2026-01-01", "lines": [{"product_id": 1, "stock_qty": -1, "sales_qty": 1}]},
        {"period_end": "2026-01-01", "lines": []},
    ]
    for body in bad:
        response = client.post(f"{MP}/reports/stock-sales", json=body, headers=dealer)
        assert response.status_code == 422, body


def test_nul_characters_are_refused_not_stored(client, shop, dealer):
    r = client.get(f"{MP}/catalog/products", headers=dealer, query_string={"q": "a\x00b"})
    assert r.status_code == 422 and r.get_json()["error"]["details"] == {"q": ["包含空字符"]}
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}], "remark": "x\x00"}
    r = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert r.status_code == 422 and "remark" in r.get_json()["error"]["details"]
