"""Every list the API answers has the contract's shape (API.md, common rules): `items` beside
`page`, `per_page` and `total` — read off the OpenAPI document the app serves, so a list added
later is held to it too."""

from __future__ import annotations


def _schema(spec: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _list_answers(spec: dict):
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        answer = get and get["responses"].get("200", {}).get("content", {})
        if not answer or "application/json" not in answer:
            continue
        schema = _schema(spec, answer["application/json"]["schema"])
        if schema.get("type") == "array" or "items" in schema.get("properties", {}):
            yield path, schema


# Answers that carry `items` but are one document, not a list of records: a report's rows with
# their totals, a statement's lines between its balances, the cart, a replenishment proposal,
# the catalogue's category tree (API.md: "tree"), a picker's twenty best matches, and a shop's
# SKU mapping, which PUT writes whole.
DOCUMENTS = {
    "/api/admin/v1/reports/ar-aging",
    "/api/admin/v1/reports/profit",
    "/api/admin/v1/reports/sales",
    "/api/admin/v1/visits/daily",
    "/api/mp/v1/account/statement",
    "/api/mp/v1/account/statements/{period}",
    "/api/mp/v1/cart",
    "/api/mp/v1/rep/visits/{visit_id}/cart",
    "/api/admin/v1/customers/{customer_id}/suggestions",
    "/api/mp/v1/rep/customers/{customer_id}/suggestions",
    "/api/mp/v1/replenishment",
    "/api/mp/v1/catalog/categories",
    "/api/admin/v1/customers/{customer_id}/products",
    "/api/admin/v1/shops/{shop_id}/sku-map",
}


def test_every_list_carries_page_per_page_and_total(client):
    spec = client.get("/api/openapi.json").get_json()
    lists = {p: s for p, s in _list_answers(spec) if p not in DOCUMENTS}
    assert "/api/mp/v1/addresses" in lists and "/api/admin/v1/alerts" in lists
    wrong = {
        path: sorted(schema.get("properties", {"(a bare array)": None}))
        for path, schema in lists.items()
        if not {"items", "page", "per_page", "total"} <= set(schema.get("properties", {}))
    }
    assert wrong == {}, "\n".join(f"{p}: {k}" for p, k in sorted(wrong.items()))


def test_a_short_list_is_read_whole_or_a_page_at_a_time(client, shop, dealer):
    from devkit.testing.clients import MP

    body = {
        "contact": "王经理",
        "phone": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
    }
    for n in range(3):
        client.post(f"{MP}/addresses", json={**body, "address": f"{n} 号"}, headers=dealer)
    whole = client.get(f"{MP}/addresses", headers=dealer).get_json()
    assert (whole["page"], whole["per_page"], whole["total"]) == (1, 100, len(whole["items"]))
    second = client.get(
        f"{MP}/addresses", headers=dealer, query_string={"page": 2, "per_page": 2}
    ).get_json()
    assert second["items"] == whole["items"][2:4] and second["total"] == whole["total"]
