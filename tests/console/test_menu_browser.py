"""The console's menu at 1366 px: an admin's 26 entries fit one row, the settings a role changes
now and then under 设置; finance reads shop orders as 网店订单 (it does not pack them)."""


def test_an_admins_menu_is_one_row_with_the_settings_under_one_entry(desk, gunicorn, co):
    admin = desk(co.staff["admin"].username, viewport={"width": 1366, "height": 768})
    page = admin.page
    admin.go("/admin/dashboard")
    menu = page.locator("header .menu-wide")
    row = page.locator("header .menu-wide > li").first.bounding_box()
    admin.shot("menu-admin", full_page=False)
    assert menu.bounding_box()["height"] < 1.7 * row["height"]  # one row, not two or three
    assert page.locator("header .menu-wide > li > a", has_text="员工").count() == 0
    page.locator("#menu-settings summary").click()
    settings = page.locator("#menu-settings ul")
    assert settings.get_by_role("link").all_inner_texts() == [
        "公告",
        "消息通知",
        "审批规则",
        "员工",
        "机构与仓库",
        "对接 ERP",
    ]
    admin.shot("menu-settings-open", full_page=False)
    settings.get_by_role("link", name="员工").click()
    page.wait_for_url("**/admin/staff")
    assert page.locator("#menu-settings summary").get_attribute("aria-current") == "page"
    assert admin.errors == []


def test_finance_reads_shop_orders_as_online_orders_and_has_no_settings_entry(desk, gunicorn, co):
    finance = desk(co.staff["fin"].username, viewport={"width": 1366, "height": 768})
    finance.go("/admin/dashboard")
    wide = finance.page.locator("header .menu-wide")
    assert "网店订单" in wide.inner_text() and "打单发货" not in wide.inner_text()
    assert finance.page.locator("#menu-settings").count() == 0
    clerk = desk(co.staff["wh"].username, viewport={"width": 1366, "height": 768})
    clerk.go("/admin/dashboard")
    assert "打单发货" in clerk.page.locator("header .menu-wide").inner_text()
