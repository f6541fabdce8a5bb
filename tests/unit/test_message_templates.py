"""Fitting message content to WeChat's rules before sending: pure, no I/O."""

import pytest

from app.notify.templates import (
    describe,
    fit,
    oa_template,
    sms_params,
    subscribe_data,
    subscribe_template,
    template_data,
)

ORDER = {
    "order_id": 7,
    "order_number": "SO20261127000007",
    "customer_id": 3,
    "customer_name": "上海浦东惠民批发部（第二门店）",
    "status": "shipped",
    "status_label": "已发货",
    "total": "12345.6",
    "note": "顺丰速运 SF1234567890",
    "at": "2026-11-27 14:05",
    "carrier": "顺丰速运股份有限公司华东区域配送中心浦东站",
    "tracking_no": "SF1234567890",
}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("thing4", "一" * 25, "一" * 19 + "…"),
        ("thing4", "两行\n文字", "两行 文字"),
        ("phrase2", "已审核通过了", "已审核通…"),
        ("character_string1", "SO编号-123 abc", "SO-123abc"),
        ("character_string1", "x" * 40, "x" * 32),
        ("time3", "2026-11-27 14:05", "2026-11-27 14:05"),
        ("amount4", "12345.6", "12345.60"),
        ("amount4", "not money", "0.00"),
    ],
)
def test_values_are_fitted_to_their_field_type(key, value, expected):
    assert fit(key, value) == expected


def test_template_keywords_stay_within_twenty_characters_and_have_no_first_or_remark():
    data = template_data("order_shipped", ORDER)
    assert set(data) == {"character_string1", "thing2", "character_string3", "time4", "phrase5"}
    assert all(len(v["value"]) <= 20 and "\n" not in v["value"] for v in data.values())
    assert (
        data["thing2"]["value"].endswith("…")
        and data["character_string3"]["value"] == "SF1234567890"
    )


def test_each_kind_and_audience_picks_its_template():
    assert oa_template("approve", "dealer") == "order_status"
    assert oa_template("ship_part", "dealer") == "order_shipped"
    assert oa_template("submit", "customer_service") == "staff_task"
    assert oa_template("approval_step", "approver") == "staff_task"
    assert subscribe_template("ship_all") == "order_shipped"
    assert subscribe_template("reject") == "order_status"


def test_subscribe_data_names_carrier_and_tracking_number():
    data = subscribe_data("order_shipped", describe("ship_all", "dealer", ORDER))
    assert data["character_string3"] == {"value": "SF1234567890"}
    assert len(data["thing2"]["value"]) <= 20


def test_staff_to_dos_and_sms_parameters():
    words = describe("submit", "customer_service", ORDER)
    assert (words["title"], words["task"]) == ("新订单待审核", "待审核")
    assert sms_params("staff_task", words) == [
        "SO20261127000007",
        "上海浦东惠民批发部（第…",  # 12 characters at most
        "12345.60",
        "待审核",
    ]
    asked_back = describe("return_request", "customer_service", {**ORDER, "amount": "300.00"})
    assert (asked_back["title"], asked_back["task"]) == ("退货待审核", "退货待审核")
    # What is asked back, not the order's total; and not an order to review.
    assert sms_params("staff_task", asked_back)[2:] == ["300.00", "退货待审核"]
    assert asked_back["detail"] == "上海浦东惠民批发部（第二门店） 退货金额 ¥300.00"
    assert template_data("staff_task", asked_back)["amount3"] == {"value": "300.00"}
    # A notification recorded before amounts were kept speaks of its order's total.
    assert sms_params("staff_task", describe("return_request", "customer_service", ORDER))[2] == (
        "12345.60"
    )
    received = describe("return_approve", "warehouse", ORDER)
    assert (received["title"], received["task"]) == ("退货待入库", "待入库")
    dealer = describe("reject", "dealer", {**ORDER, "note": "价格有误"})
    assert sms_params("order_status", dealer)[2] == "原因：价格有误"
