"""Styles (款) and SKUs (规格) through the API: a style with its spec dimensions, products
attached one per combination, the spec checked against the style, a combination taken twice
refused, SKUs generated for the missing combinations; the mini-program's style answer at the
dealer's own prices with a stock status per SKU; who may read and write."""

from __future__ import annotations

import pytest

from app.core import catalog
from devkit.factories import make_customer, put_stock
from devkit.testing.clients import ADMIN, MP, bind_dealer

SPECS = [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["M", "L"]}]


@pytest.fixture
def tee(client, co):
    """A T-shirt style in a new category, no SKUs yet."""
    category = catalog.create_category("服装")
    r = client.post(
        f"{ADMIN}/product-groups",
        json={"name": "纯棉T恤", "category_id": category.id, "brand": "棉语", "specs": SPECS},
        headers=co.headers("admin"),
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def add_sku(client, co, group_id, sku, spec, price="30.00", expect=201, **more):
    body = {"sku": sku, "name": f"T恤 {sku}", "list_price": price, "group_id": group_id}
    if spec is not None:
        body["spec"] = spec
    r = client.post(f"{ADMIN}/products", json=body | more, headers=co.headers("admin"))
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_a_style_is_created_with_its_specs_and_a_code(client, co, tee):
    assert tee["name"] == "纯棉T恤" and tee["brand"] == "棉语"
    assert tee["specs"] == SPECS
    assert tee["code"] == f"K{tee['id']:06d}"
    assert tee["skus"] == [] and len(tee["missing"]) == 4
    got = client.get(f"{ADMIN}/product-groups/{tee['id']}", headers=co.headers("cs"))
    assert got.status_code == 200 and got.get_json()["specs"] == SPECS


def test_products_attach_to_a_style_one_per_combination(client, co, tee):
    red_m = add_sku(client, co, tee["id"], "TEE-RM", {"颜色": "红", "尺码": "M"})
    assert red_m["group_id"] == tee["id"] and red_m["spec"] == {"颜色": "红", "尺码": "M"}
    add_sku(client, co, tee["id"], "TEE-BL", {"尺码": "L", "颜色": "蓝"})
    style = client.get(f"{ADMIN}/product-groups/{tee['id']}", headers=co.headers("cs")).get_json()
    assert [s["sku"] for s in style["skus"]] == ["TEE-RM", "TEE-BL"]  # in the style's order
    assert style["missing"] == [{"颜色": "红", "尺码": "L"}, {"颜色": "蓝", "尺码": "M"}]
    # The same combination again, written in another key order: refused, naming the holder.
    dup = add_sku(client, co, tee["id"], "TEE-RM2", {"尺码": "M", "颜色": "红"}, expect=409)
    assert "TEE-RM" in dup["error"]["message"] and "颜色:红;尺码:M" in dup["error"]["message"]
    # Moving another SKU onto a taken combination is refused too; onto a free one it is fine.
    blue_l = style["skus"][1]["id"]
    moved = client.patch(
        f"{ADMIN}/products/{blue_l}",
        json={"spec": {"颜色": "红", "尺码": "M"}},
        headers=co.headers("admin"),
    )
    assert moved.status_code == 409
    ok = client.patch(
        f"{ADMIN}/products/{blue_l}",
        json={"spec": {"颜色": "蓝", "尺码": "M"}},
        headers=co.headers("admin"),
    )
    assert ok.status_code == 200 and ok.get_json()["spec"] == {"颜色": "蓝", "尺码": "M"}
    # Leaving the style drops the spec.
    out = client.patch(
        f"{ADMIN}/products/{blue_l}", json={"group_id": None}, headers=co.headers("admin")
    )
    assert out.get_json()["group_id"] is None and out.get_json()["spec"] == {}


@pytest.mark.parametrize(
    "spec, words",
    [
        (None, "缺少规格 颜色、尺码"),
        ({"颜色": "红"}, "缺少规格 尺码"),
        ({"颜色": "红", "尺码": "M", "袖长": "长"}, "该款式没有规格 袖长"),
        ({"颜色": "绿", "尺码": "M"}, "规格“颜色”没有值“绿”"),
    ],
)
def test_a_spec_must_be_one_combination_of_the_styles_values(client, co, tee, spec, words):
    bad = add_sku(client, co, tee["id"], "TEE-X", spec, expect=422)
    assert bad["error"]["code"] == "validation_error"
    assert words in bad["error"]["message"]


def test_a_product_without_a_style_has_no_spec(client, co, tee):
    r = client.post(
        f"{ADMIN}/products",
        json={"sku": "LONE", "name": "散装", "list_price": "1.00", "spec": {"颜色": "红"}},
        headers=co.headers("admin"),
    )
    assert r.status_code == 422 and "不属于款式" in r.get_json()["error"]["message"]
    plain = client.get(f"{ADMIN}/products", headers=co.headers("admin")).get_json()["items"][0]
    assert plain["group_id"] is None and plain["spec"] == {}
    gone = add_sku(client, co, 999999, "TEE-Y", {"颜色": "红", "尺码": "M"}, expect=404)
    assert gone["error"]["message"] == "款式不存在"


def test_style_specs_are_checked(client, co):
    category = catalog.create_category("鞋")
    h = co.headers("admin")
    for specs, words in [
        ([], "规格须有 1 到 4 个"),
        ([{"name": "颜色", "values": ["红", "红"]}], "有重复的值"),
        ([{"name": "颜色", "values": ["红"]}, {"name": "颜色", "values": ["L"]}], "重复"),
        ([{"name": "颜色", "values": ["红:深"]}], "不能含冒号或分号"),
    ]:
        r = client.post(
            f"{ADMIN}/product-groups",
            json={"name": "鞋", "category_id": category.id, "specs": specs},
            headers=h,
        )
        assert r.status_code == 422, specs
        assert words in str(r.get_json()["error"]), (specs, r.get_json())
    no_category = client.post(
        f"{ADMIN}/product-groups",
        json={"name": "鞋", "category_id": 999999, "specs": SPECS},
        headers=h,
    )
    assert no_category.status_code == 404


def test_a_value_in_use_cannot_be_dropped_but_values_can_be_added(client, co, tee):
    add_sku(client, co, tee["id"], "TEE-RM", {"颜色": "红", "尺码": "M"})
    h = co.headers("admin")
    path = f"{ADMIN}/product-groups/{tee['id']}"
    drop = client.patch(
        path, json={"specs": [{"name": "颜色", "values": ["蓝"]}, SPECS[1]]}, headers=h
    )
    assert drop.status_code == 409 and "TEE-RM" in drop.get_json()["error"]["message"]
    grown = [{"name": "颜色", "values": ["红", "蓝", "白"]}, SPECS[1]]
    ok = client.patch(path, json={"specs": grown, "name": "精梳棉T恤"}, headers=h)
    assert ok.status_code == 200
    assert ok.get_json()["specs"][0]["values"] == ["红", "蓝", "白"]
    assert ok.get_json()["name"] == "精梳棉T恤" and len(ok.get_json()["missing"]) == 5


def test_missing_skus_are_generated_with_a_prefix_and_price(client, co, tee):
    add_sku(client, co, tee["id"], "TEE-01", {"颜色": "红", "尺码": "M"})
    h = co.headers("admin")
    r = client.post(
        f"{ADMIN}/product-groups/{tee['id']}/skus",
        json={"sku_prefix": "TEE", "list_price": "35.00", "prices": {"3": "32.00"}},
        headers=h,
    )
    assert r.status_code == 200, r.get_json()
    skus = r.get_json()["skus"]
    assert [s["sku"] for s in skus] == ["TEE-01", "TEE-02", "TEE-03", "TEE-04"]
    assert skus[1]["name"] == "纯棉T恤 红 L" and skus[1]["list_price"] == "35.00"
    assert skus[1]["prices"] == {"3": "32.00"} and r.get_json()["missing"] == []
    assert skus[3]["spec"] == {"颜色": "蓝", "尺码": "L"}
    # Nothing left to make: nothing happens.
    again = client.post(
        f"{ADMIN}/product-groups/{tee['id']}/skus",
        json={"sku_prefix": "TEE", "list_price": "35.00"},
        headers=h,
    )
    assert again.status_code == 200 and len(again.get_json()["skus"]) == 4
    # A prefix whose codes another product holds: nothing is made, and the code is named.
    grown = [{"name": "颜色", "values": ["红", "蓝", "白"]}, SPECS[1]]
    client.patch(f"{ADMIN}/product-groups/{tee['id']}", json={"specs": grown}, headers=h)
    client.post(
        f"{ADMIN}/products", json={"sku": "TEE-06", "name": "别的", "list_price": "1.00"}, headers=h
    )
    taken = client.post(
        f"{ADMIN}/product-groups/{tee['id']}/skus",
        json={"sku_prefix": "TEE", "list_price": "35.00"},
        headers=h,
    )
    assert taken.status_code == 409
    assert taken.get_json()["error"]["message"] == "SKU TEE-06 已被其他商品使用，请换一个前缀"
    style = client.get(f"{ADMIN}/product-groups/{tee['id']}", headers=h).get_json()
    assert len(style["skus"]) == 4 and len(style["missing"]) == 2


def test_styles_are_listed_in_pages(client, co, tee):
    h = co.headers("cs")
    listed = client.get(f"{ADMIN}/product-groups?q=T恤&per_page=5", headers=h).get_json()
    assert listed["total"] == 1 and listed["per_page"] == 5
    assert listed["items"][0]["id"] == tee["id"]
    none = client.get(f"{ADMIN}/product-groups?q=袜子", headers=h).get_json()
    assert none["total"] == 0 and none["items"] == []


def test_only_catalogue_managers_with_every_branch_write_styles(client, co, tee):
    body = {"name": "x", "category_id": tee["category_id"], "specs": SPECS}
    for who in ("cs", "bm_east", "rep"):
        r = client.post(f"{ADMIN}/product-groups", json=body, headers=co.headers(who))
        assert r.status_code == 403, who
        r = client.patch(
            f"{ADMIN}/product-groups/{tee['id']}", json={"name": "y"}, headers=co.headers(who)
        )
        assert r.status_code == 403, who


@pytest.fixture
def stocked(client, co, tee):
    """Red M (in stock, level-3 price), red L (out), blue M (2 left: low); blue L not made."""
    rm = add_sku(
        client, co, tee["id"], "TEE-RM", {"颜色": "红", "尺码": "M"}, "30.00", prices={"3": "27.00"}
    )
    rl = add_sku(client, co, tee["id"], "TEE-RL", {"颜色": "红", "尺码": "L"}, "32.00")
    bm = add_sku(client, co, tee["id"], "TEE-BM", {"颜色": "蓝", "尺码": "M"}, "30.00")
    put_stock(co.sh, type("P", (), {"id": rm["id"]}), 100)
    put_stock(co.sh, type("P", (), {"id": bm["id"]}), 2)
    return {"rm": rm, "rl": rl, "bm": bm}


def test_a_dealer_sees_a_style_at_their_prices_with_a_status_per_sku(client, co, tee, stocked):
    east = bind_dealer(client, co.customer, "style-east")  # level 3
    r = client.get(f"{MP}/catalog/groups/{tee['id']}", headers=east)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["name"] == "纯棉T恤" and body["specs"] == SPECS
    skus = {s["sku"]: s for s in body["skus"]}
    assert list(skus) == ["TEE-RM", "TEE-RL", "TEE-BM"]
    assert skus["TEE-RM"]["price"] == "27.00" and skus["TEE-RM"]["stock_status"] == "in_stock"
    assert skus["TEE-RL"]["stock_status"] == "out" and skus["TEE-BM"]["stock_status"] == "low"
    assert skus["TEE-RL"]["spec"] == {"颜色": "红", "尺码": "L"}
    assert (body["price_min"], body["price_max"]) == ("27.00", "32.00")
    # Another dealer at level 1 pays the list price.
    south = bind_dealer(client, co.south_customer, "style-south")
    theirs = client.get(f"{MP}/catalog/groups/{tee['id']}", headers=south).get_json()
    assert {s["sku"]: s["price"] for s in theirs["skus"]}["TEE-RM"] == "30.00"
    # The catalogue lists the SKUs with their style and values.
    items = client.get(f"{MP}/catalog/products?q=TEE-R", headers=east).get_json()["items"]
    assert {(i["sku"], i["group_id"], i["spec"]["尺码"]) for i in items} == {
        ("TEE-RM", tee["id"], "M"),
        ("TEE-RL", tee["id"], "L"),
    }


def test_a_style_off_sale_or_unknown_is_not_found_and_staff_tokens_are_refused(
    client, co, tee, stocked
):
    east = bind_dealer(client, co.customer, "style-east")
    assert client.get(f"{MP}/catalog/groups/999999", headers=east).status_code == 404
    client.patch(
        f"{ADMIN}/product-groups/{tee['id']}", json={"active": False}, headers=co.headers("admin")
    )
    off = client.get(f"{MP}/catalog/groups/{tee['id']}", headers=east)
    assert off.status_code == 404 and off.get_json()["error"]["message"] == "款式不存在或已下架"
    assert (
        client.get(f"{MP}/catalog/groups/{tee['id']}", headers=co.headers("admin")).status_code
        == 401
    )
    assert client.get(f"{MP}/catalog/groups/{tee['id']}").status_code == 401


def test_a_dealers_own_price_book_shows_on_the_style(client, co, tee, stocked):
    other = make_customer(co.east, co.sh, level=1)
    catalog.set_customer_price(
        other.id, stocked["rl"]["id"], __import__("decimal").Decimal("20.00")
    )
    headers = bind_dealer(client, other, "style-book")
    body = client.get(f"{MP}/catalog/groups/{tee['id']}", headers=headers).get_json()
    assert {s["sku"]: s["price"] for s in body["skus"]} == {
        "TEE-RM": "30.00",
        "TEE-RL": "20.00",
        "TEE-BM": "30.00",
    }
    assert body["price_min"] == "20.00"
