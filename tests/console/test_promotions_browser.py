"""Promotions in the console at 1366 px: an admin creates a 满减 for one branch, previews what a
dealer of it pays, and ends it early; the dealer's next order no longer gets it."""

from __future__ import annotations

import datetime as dt

from app.core.models import Promotion
from app.core.orders import LineRequest, price_lines
from app.db import utcnow
from app.timeutil import to_local


def local_input(moment: dt.datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def new_promotion(admin, name: str, kind: str, starts: dt.timedelta, ends: dt.timedelta):
    """The console's 新建促销 form opened, with its name, its kind (as the select shows it) and
    its period (from now) filled in; returns the form."""
    admin.go("/admin/promotions")
    admin.page.locator("summary", has_text="新建促销").click()
    form = admin.page.locator("#promotion-form")
    form.get_by_label("名称").fill(name)
    form.get_by_label("类型").select_option(label=kind)
    form.get_by_label("开始时间").fill(local_input(utcnow() + starts))
    form.get_by_label("结束时间").fill(local_input(utcnow() + ends))
    return form


def test_an_admin_creates_targets_previews_and_ends_a_promotion(desk, co):
    admin = desk(co.staff["admin"].username)
    page = admin.page
    form = new_promotion(
        admin, "华东满千减五十", "满减", -dt.timedelta(hours=1), dt.timedelta(days=7)
    )
    form.get_by_label("分支机构").select_option(label=co.east.name)
    form.get_by_label("满减门槛").fill("1000")
    form.get_by_label("减免金额").fill("50")
    form.get_by_role("button", name="创建促销").click()
    assert "已创建（满1000减50，进行中）" in admin.flash()
    row = page.locator("#promotions tbody tr", has_text="华东满千减五十")
    assert "分支机构：华东分公司" in row.inner_text() and "进行中" in row.inner_text()
    admin.shot("promotions-created")

    preview = page.locator("#promotion-preview")
    preview.get_by_label("预览客户").select_option(
        label=f"{co.east_customer.code} {co.east_customer.name}"
    )
    preview.get_by_label("预览商品").select_option(label=f"{co.tea.sku} {co.tea.name}")
    preview.get_by_label("预览数量").fill("30")
    preview.get_by_role("button", name="预览").click()
    shown = page.locator("#promotion-preview").inner_text()
    assert "华东满千减五十（满1000减50）" in shown and "−¥50.00" in shown
    assert "¥1300.00" in shown  # 30 × 45.00 − 50
    admin.shot("promotions-preview")

    page.get_by_role("button", name="提前结束 华东满千减五十").click()
    assert "已结束" in admin.flash()
    promotion = Promotion.get(Promotion.name == "华东满千减五十")
    assert promotion.ends_at <= utcnow()
    assert price_lines(co.east_customer, [LineRequest(co.tea.id, 30)]).discounts == []
    assert admin.errors == []


def test_a_rule_left_out_is_refused_in_words(desk, co):
    admin = desk(co.staff["admin"].username)
    page = admin.page
    form = new_promotion(admin, "少填了", "满赠 / 买赠", dt.timedelta(0), dt.timedelta(days=1))
    form.get_by_label("赠送数量").fill("2")
    form.get_by_role("button", name="创建促销").click()
    error = page.locator("#promotion-error").inner_text()
    assert "促销规则不正确" in error and "买赠须选择购买商品，满赠须填写满赠门槛" in error
    assert "请填写赠品" in error  # what is wrong, in words: no gift chosen
    assert "_id" not in error and "threshold" not in error  # no internal names
    form = page.locator("#promotion-form")  # the form comes back open, as it was typed
    assert form.get_by_label("名称").input_value() == "少填了"
    assert form.get_by_label("类型").input_value() == "gift"
    assert form.get_by_label("赠送数量").input_value() == "2"
    assert Promotion.select().count() == 0
    admin.shot("promotions-refused")
    assert admin.errors == []
