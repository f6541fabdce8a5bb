"""The "Mall commerce" rows of API.md end to end, as a client written against it sees them: a
style with a SKU sold in 箱, its picture, a special price and a full reduction, a favourite, then
the catalogue, the style, the cart and the order answering with every field the contract names."""

from __future__ import annotations

import io
from decimal import Decimal

from PIL import Image

from app.core.models import Product
from devkit.factories import make_staff, put_stock
from devkit.testing.clients import ADMIN, MP, create_promotion, staff_headers


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (500, 500), (200, 60, 60)).save(out, "JPEG")
    return out.getvalue()


def created(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_style_sku_in_cases_with_a_picture_and_promotions_answers_as_the_contract_says(
    client, shop, dealer
):
    admin = staff_headers(make_staff("admin", username="contract-admin"))
    style = created(
        client.post(
            f"{ADMIN}/product-groups",
            json={
                "name": "纯棉T恤",
                "category_id": shop.tea_cat.id,
                "brand": "棉田",
                "specs": [{"name": "颜色", "values": ["白", "黑"]}],
            },
            headers=admin,
        )
    )
    product = created(
        client.post(
            f"{ADMIN}/products",
            json={
                "sku": "TEE-W",
                "name": "纯棉T恤 白",
                "category_id": shop.tea_cat.id,
                "unit": "件",
                "list_price": "10.00",
                "brand": "棉田",
                "units": [{"name": "箱", "factor": 12}],
                "group_id": style["id"],
                "spec": {"颜色": "白"},
            },
            headers=admin,
        )
    )
    assert (product["group_id"], product["spec"], product["images"]) == (
        style["id"],
        {"颜色": "白"},
        [],
    )
    assert product["units"] == [{"name": "箱", "factor": 12}]
    pid = product["id"]
    put_stock(shop.warehouse, Product.get_by_id(pid), 500)

    picture = created(
        client.post(
            f"{ADMIN}/products/{pid}/images",
            data={"file": (io.BytesIO(jpeg()), "tee.jpg")},
            headers=admin,
            content_type="multipart/form-data",
        )
    )
    assert set(picture) >= {"id", "url", "thumb_url"}
    special_price = {"items": [{"product_id": pid, "price": "9.00"}]}
    special = create_promotion(
        client, admin, "special_price", special_price, name="T恤特价", active=True
    )
    reduction_rules = {"threshold": "100.00", "reduction": "10.00"}
    reduction = create_promotion(
        client, admin, "full_reduction", reduction_rules, name="满100减10", active=True
    )
    assert client.put(f"{MP}/favourites/{pid}", headers=dealer).status_code in (200, 201, 204)

    page = client.get(f"{MP}/catalog/products", query_string={"brand": "棉田"}, headers=dealer)
    assert page.status_code == 200, page.get_json()
    (item,) = page.get_json()["items"]
    detail = client.get(f"{MP}/catalog/products/{pid}", headers=dealer).get_json()
    for answer in (item, detail):
        assert answer["brand"] == "棉田"
        assert (answer["group_id"], answer["spec"]) == (style["id"], {"颜色": "白"})
        assert answer["units"] == [{"name": "箱", "factor": 12}]
        assert [i["url"] for i in answer["images"]] == [picture["url"]]
        assert answer["image"] == picture["url"]
        assert answer["promotion"] == "特价"
        assert answer["favourite"] is True
        assert answer["price"] == "10.00"  # the dealer's own price; the label says 特价

    group = client.get(f"{MP}/catalog/groups/{style['id']}", headers=dealer).get_json()
    (sku,) = group["skus"]
    assert (sku["id"], sku["spec"], sku["price"], sku["stock_status"]) == (
        pid,
        {"颜色": "白"},
        "10.00",
        "in_stock",
    )

    cart = client.put(f"{MP}/cart/items/{pid}", json={"qty": 2, "unit": "箱"}, headers=dealer)
    assert cart.status_code == 200, cart.get_json()
    cart = cart.get_json()
    (line,) = cart["items"]
    assert (line["qty"], line["unit"], line["unit_qty"], line["price"], line["gift"]) == (
        24,
        "箱",
        2,
        "9.00",
        False,
    )
    assert line["promotion"]
    assert (cart["subtotal"], cart["discount_total"], cart["total"]) == (
        "216.00",
        "10.00",
        "206.00",
    )
    assert [(d["promotion_id"], d["name"], d["amount"]) for d in cart["discounts"]] == [
        (reduction["id"], "满100减10", "10.00")
    ]

    placed = created(
        client.post(
            f"{MP}/orders",
            json={"lines": [{"product_id": pid, "qty": 2, "unit": "箱"}]},
            headers={**dealer, "Idempotency-Key": "contract-order-1"},
        )
    )
    (ordered,) = placed["lines"]
    assert (ordered["qty"], ordered["unit"], ordered["unit_qty"], ordered["price"]) == (
        24,
        "箱",
        2,
        "9.00",
    )
    assert ordered["gift"] is False and ordered["promotion"]
    assert Decimal(placed["total"]) == Decimal(placed["subtotal"]) - Decimal(
        placed["discount_total"]
    )
    assert [d["promotion_id"] for d in placed["discounts"]] == [reduction["id"]]
    assert special["id"] != reduction["id"]

    # Quick reorder lists it as the catalogue does: picture, label, brand, style, units.
    recent = client.get(f"{MP}/orders/recent-products", headers=dealer).get_json()
    (again,) = recent["items"]
    assert [i["url"] for i in again["images"]] == [picture["url"]]
    assert (again["promotion"], again["brand"], again["group_id"], again["spec"]) == (
        "特价",
        "棉田",
        style["id"],
        {"颜色": "白"},
    )
    assert (again["units"], again["favourite"], again["last_qty"]) == (
        [{"name": "箱", "factor": 12}],
        True,
        24,
    )
