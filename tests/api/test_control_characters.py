"""Control characters are refused at the boundary of every surface, field by field, in Chinese:
C0 (tab, line feed and carriage return only in multi-line fields such as a remark), DEL, C1."""

from __future__ import annotations

import pytest

from app.core.models import Order
from devkit.testing.clients import MP


@pytest.mark.parametrize("text", ["备注\x0b", "\x01", "a\x1fb", "删除\x7f", "C1\x85", "\x9b31m"])
def test_a_control_character_in_an_order_remark_is_refused(client, shop, dealer, text):
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}], "remark": text}
    r = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["details"]["remark"] == ["包含控制字符"]
    assert Order.select().count() == 0


def test_line_breaks_and_tabs_are_kept_in_a_multi_line_remark(client, shop, dealer):
    body = {"lines": [{"product_id": shop.tea.id, "qty": 10}], "remark": "第一行\r\n第二行\t完"}
    r = client.post(f"{MP}/orders", json=body, headers=dealer)
    assert r.status_code == 201, r.get_json()
    assert Order.get().remark == "第一行\r\n第二行\t完"
