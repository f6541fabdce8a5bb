"""Admin API: staff give a product named units besides its base unit (箱 = 12 件), checked in
words; staff order for a dealer in them (代下单)."""

import pytest

from app.core.models import OrderLine
from devkit.testing.clients import ADMIN


def new_product(client, headers, **body):
    body = {"sku": "WTR-1", "name": "矿泉水", "unit": "件", "list_price": "2.00", **body}
    return client.post(f"{ADMIN}/products", json=body, headers=headers)


def test_staff_set_units_and_every_product_answer_carries_them(client, co):
    h = co.headers("admin")
    r = new_product(client, h, units=[{"name": "箱", "factor": 12}, {"name": "板", "factor": 60}])
    assert r.status_code == 201, r.get_json()
    product = r.get_json()
    assert product["unit"] == "件"
    assert product["units"] == [{"name": "箱", "factor": 12}, {"name": "板", "factor": 60}]
    listed = client.get(f"{ADMIN}/products", headers=h, query_string={"q": "矿泉水"}).get_json()
    assert listed["items"][0]["units"] == product["units"]
    patched = client.patch(
        f"{ADMIN}/products/{product['id']}",
        json={"units": [{"name": "箱", "factor": 24}]},
        headers=h,
    )
    assert patched.get_json()["units"] == [{"name": "箱", "factor": 24}]
    # A patch without `units` keeps them; an empty list clears them.
    kept = client.patch(f"{ADMIN}/products/{product['id']}", json={"name": "山泉水"}, headers=h)
    assert kept.get_json()["units"] == [{"name": "箱", "factor": 24}]
    cleared = client.patch(f"{ADMIN}/products/{product['id']}", json={"units": []}, headers=h)
    assert cleared.get_json()["units"] == []
    assert new_product(client, h, sku="WTR-2").get_json()["units"] == []


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ([{"name": "箱", "factor": 12}, {"name": "箱", "factor": 24}], "单位“箱”重复了"),
        ([{"name": "件", "factor": 12}], "单位“件”就是基本单位，不用再加"),
        ([{"name": "  ", "factor": 12}], "第 1 个单位没有名称"),
    ],
)
def test_bad_units_are_refused_in_words(client, co, units, message):
    r = new_product(client, co.headers("admin"), units=units)
    assert r.status_code == 422
    assert r.get_json()["error"]["message"] == message
    assert r.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "units",
    [
        [{"name": "箱", "factor": 1}],
        [{"name": "箱", "factor": "12"}],
        [{"name": "箱", "factor": 1.5}],
        [{"name": "", "factor": 12}],
        [{"name": "箱"}],
        [{"name": f"U{i}", "factor": 2 + i} for i in range(6)],
        "箱",
    ],
)
def test_malformed_units_are_422_in_the_envelope(client, co, units):
    r = new_product(client, co.headers("admin"), units=units)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error"
    assert r.get_json()["error"]["details"]["units"]


def test_a_new_base_unit_may_not_clash_with_a_named_unit(client, co):
    h = co.headers("admin")
    pid = new_product(client, h, units=[{"name": "箱", "factor": 12}]).get_json()["id"]
    r = client.patch(f"{ADMIN}/products/{pid}", json={"unit": "箱"}, headers=h)
    assert (r.status_code, r.get_json()["error"]["message"]) == (
        422,
        "单位“箱”就是基本单位，不用再加",
    )
    ok = client.patch(f"{ADMIN}/products/{pid}", json={"unit": "瓶"}, headers=h)
    assert ok.get_json()["unit"] == "瓶" and ok.get_json()["units"] == [
        {"name": "箱", "factor": 12}
    ]


def test_staff_order_for_a_dealer_in_cases(client, co):
    h = co.headers("admin")
    pid = new_product(client, h, units=[{"name": "箱", "factor": 12}]).get_json()["id"]
    r = client.post(
        f"{ADMIN}/orders",
        json={
            "customer_id": co.east_customer.id,
            "lines": [{"product_id": pid, "qty": 2, "unit": "箱"}],
        },
        headers={**h, "Idempotency-Key": "staff-units-1"},
    )
    assert r.status_code == 201, r.get_json()
    (line,) = r.get_json()["lines"]
    assert (line["qty"], line["unit"], line["unit_qty"], line["base_unit"]) == (24, "箱", 2, "件")
    assert OrderLine.get(OrderLine.product == pid).unit_qty == 2
