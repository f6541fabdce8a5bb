"""Bad input to the admin API is a 422 in words, never a 500: control characters and line breaks
in single-line fields, names longer than their column, expiry times with impossible offsets."""

from __future__ import annotations

import pytest

from devkit.testing.clients import ADMIN


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


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/branches", {"code": "B9"}),
        ("/warehouses", {"code": "W9"}),
        ("/categories", {}),
        ("/approval-rules", {"steps": [{"role": "branch_manager"}]}),
    ],
)
@pytest.mark.parametrize("length", [101, 200])
def test_a_name_longer_than_its_column_is_refused_not_a_500(client, co, path, body, length):
    r = client.post(
        f"{ADMIN}{path}", json={**body, "name": "名" * length}, headers=co.headers("admin")
    )
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["details"]["name"] == ["长度须在 1 到 100 之间"]


@pytest.mark.parametrize("offset", ["+21:59", "-15:00", "+14:01"])
def test_an_announcement_expiry_with_an_impossible_offset_is_refused(client, co, offset):
    body = {"title": "通知", "body": "内容", "expires_at": f"2027-01-01T00:00:00{offset}"}
    r = client.post(f"{ADMIN}/announcements", json=body, headers=co.headers("admin"))
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["details"] == {"expires_at": ["时区偏移无效"]}


def test_an_announcement_expiry_is_stored_in_utc_whatever_offset_it_was_given_in(client, co):
    from app.mall.models import Announcement

    for given in ("2027-01-01T08:00:00+08:00", "2027-01-01T08:00:00", "2027-01-01T00:00:00Z"):
        body = {"title": "通知", "body": "内容", "expires_at": given}
        r = client.post(f"{ADMIN}/announcements", json=body, headers=co.headers("admin"))
        assert r.status_code == 201, r.get_json()
    stored = {a.expires_at.isoformat() for a in Announcement.select()}
    assert stored == {"2027-01-01T00:00:00"}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "put",
            "/replenishment-settings",
            {"method": "stock_gap", "window_days": 1.5},
            "window_days",
        ),
        ("post", "/categories", {"name": "茶叶", "sort": 2.5}, "sort"),
        ("post", "/products", {"sku": "T-1", "name": "茶", "pack_size": 2.5}, "pack_size"),
        ("post", "/approval-rules", {"name": "大单", "priority": 0.5}, "priority"),
    ],
)
def test_a_fraction_where_a_whole_number_belongs_is_refused_not_rounded(
    client, co, method, path, body, field
):
    r = getattr(client, method)(f"{ADMIN}{path}", json=body, headers=co.headers("admin"))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["details"]
    assert r.get_json()["error"]["details"][field] == ["须为整数"]
