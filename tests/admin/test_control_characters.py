"""The admin API refuses control characters and line breaks in single-line fields."""

from __future__ import annotations

import pytest

ADMIN = "/api/admin/v1"


@pytest.mark.parametrize("text", ["华北\n分公司", "华北\t分公司", "华北\x0b分公司"])
def test_a_line_break_or_control_character_in_a_name_is_refused_by_the_admin_api(client, co, text):
    r = client.post(
        f"{ADMIN}/branches", json={"code": "B9", "name": text}, headers=co.headers("admin")
    )
    assert r.status_code == 422, r.get_json()
    assert list(r.get_json()["error"]["details"]) == ["name"]


def test_a_control_character_in_an_admin_api_query_is_refused(client, co):
    r = client.get(f"{ADMIN}/customers", query_string={"q": "a\x1b"}, headers=co.headers("admin"))
    assert r.status_code == 422
    assert r.get_json()["error"]["details"] == {"q": ["包含控制字符"]}
