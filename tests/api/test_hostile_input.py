"""Input no client should send still gets a 4xx in the error envelope, never a 500."""

import json

from devkit.testing.clients import MP


def test_a_lone_surrogate_in_a_remark_is_refused(client, shop, dealer):
    # json.dumps escapes it as \\ud800, as a client's JSON library would send it.
    body = json.dumps({"lines": [{"product_id": shop.tea.id, "qty": 10}], "remark": "\ud800"})
    r = client.post(f"{MP}/orders", data=body, content_type="application/json", headers=dealer)
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "validation_error")
    assert "remark" in r.get_json()["error"]["details"]


def test_deeply_nested_json_is_refused(client, dealer):
    r = client.post(
        f"{MP}/orders", data="[" * 100_000, content_type="application/json", headers=dealer
    )
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "validation_error"
