"""Staff in the console at 1366 px: each one's own to-do count, a prompt to follow the official
account when their bound WeChat does not, and an admin resetting a password or changing a role."""

from __future__ import annotations

from app.backoffice import orders as staff_orders
from app.core.models import Staff
from app.core.orders import approve_order
from app.mall.models import WechatUser


def staff_edit(admin, person):
    """The staff page's 修改角色 / 重置密码 for one person, opened."""
    admin.go("/admin/staff")
    page = admin.page
    row = page.locator("tr.staff-edit").filter(
        has=page.locator(f"form[action$='/staff/{person.id}/role']")
    )
    row.locator("summary").click()
    return row


def test_each_staff_member_sees_their_own_to_do_count(desk, co):
    first = co.order(co.east_customer, (co.tea, 2))
    co.order(co.south_customer, (co.tea, 3))
    big = co.order(co.east_customer, (co.tea, 200))  # 9,000: the branch manager signs too
    staff_orders.approve(co.staff["cs"], big.id, "")
    approve_order(co.order(co.east_customer, (co.tea, 1)).id, "staff:1")

    cs = desk(co.staff["cs"].username)
    assert cs.page.locator("#todo-count").inner_text() == "2"
    cs.page.get_by_role("link", name="待我处理").click()
    review = cs.page.locator("#todo-review").inner_text()
    assert first.number in review and big.number not in review
    cs.shot("todo-cs")

    manager = desk(co.staff["bm_east"].username)
    assert manager.page.locator("#todo-count").inner_text() == "1"
    manager.go("/admin/todo")
    assert big.number in manager.page.locator("#todo-review").inner_text()

    clerk = desk(co.staff["wh"].username)
    assert clerk.page.locator("#todo-count").inner_text() == "1"
    clerk.go("/admin/todo")
    assert "待发货订单" in clerk.page.locator("#todo-ship").inner_text()
    clerk.shot("todo-warehouse")
    assert cs.errors == [] and manager.errors == [] and clerk.errors == []


def test_staff_whose_wechat_does_not_follow_are_asked_to_follow(desk, co):
    user = WechatUser.create(
        oa_openid="sandbox-oa-bm-east", role="staff", staff=co.staff["bm_east"].id
    )
    manager = desk(co.staff["bm_east"].username)
    banner = manager.page.locator("#follow-banner")
    assert "请用手机微信关注公众号" in banner.inner_text()
    assert banner.get_by_role("img").evaluate("img => img.naturalWidth") > 0
    manager.shot("follow-banner")

    admin = desk(co.staff["admin"].username)
    assert admin.page.locator("#follow-banner").count() == 0  # no WeChat bound: nothing to ask
    admin.go("/admin/staff")
    row = admin.page.locator("tr", has_text=co.staff["bm_east"].username).first
    assert "已绑定，未关注公众号" in row.inner_text()
    unbind = row.get_by_role("button", name="解除微信绑定")
    assert unbind.inner_text() == "解除微信绑定" and f"#{user.id}" not in row.inner_text()
    admin.shot("staff-wechat")
    assert manager.errors == [] and admin.errors == []


def test_an_admin_resets_a_forgotten_password_and_the_old_sessions_end(desk, co):
    cs = desk(co.staff["cs"].username)
    admin = desk(co.staff["admin"].username)
    row = staff_edit(admin, co.staff["cs"])
    row.get_by_label("新密码（至少 8 位）").fill("new-horse-2026")
    row.get_by_role("button", name="重置密码").click()
    assert "已重置" in admin.flash()
    admin.shot("staff-password-reset")

    cs.go("/admin/review")
    cs.page.wait_for_url("**/admin/login**")  # signed out everywhere
    cs.page.fill("input[name=username]", co.staff["cs"].username)
    cs.page.fill("input[name=password]", "new-horse-2026")
    cs.page.click("button[type=submit]")
    cs.page.wait_for_url(f"{cs.base}/admin/review")  # back where they were going
    assert admin.errors == []


def test_an_admin_changes_a_role_and_it_shows_at_once(desk, co):
    rep = co.staff["rep"]
    admin = desk(co.staff["admin"].username)
    page = admin.page
    row = staff_edit(admin, rep)
    row.get_by_label("角色", exact=True).select_option(label="分公司经理")
    row.get_by_label("分支机构", exact=True).select_option(label=f"{co.east.code} {co.east.name}")
    row.get_by_label("数据范围", exact=True).select_option(label="本分支机构")
    row.get_by_role("button", name="保存角色").click()
    assert "现在是分公司经理" in admin.flash()
    changed = Staff.get_by_id(rep.id)
    assert (changed.role, changed.data_scope, changed.branch_id) == (
        "branch_manager",
        "branch",
        co.east.id,
    )
    listed = page.locator("tr", has_text=rep.username).first.inner_text()
    assert "分公司经理" in listed and "本分支机构" in listed
    admin.shot("staff-role-changed")
    assert admin.errors == []


def test_disabling_an_account_asks_first_and_names_whom(desk, co):
    person = co.staff["bm_east"]
    admin = desk(co.staff["admin"].username)
    admin.go("/admin/staff")
    page = admin.page
    row = page.locator("tr", has_text=person.username).first
    asked = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    row.get_by_role("button", name="停用").click()
    page.wait_for_timeout(300)
    assert Staff.get_by_id(person.id).active  # dismissed: nothing happened
    assert "会立即退出" in asked[0] and (person.name or person.username) in asked[0]

    page.once("dialog", lambda d: answer(d, True))
    row.get_by_role("button", name="停用").click()
    assert "账号已停用" in admin.flash()
    assert not Staff.get_by_id(person.id).active
    page.locator("tr", has_text=person.username).first.get_by_role("button", name="启用").click()
    assert "账号已启用" in admin.flash() and len(asked) == 2  # enabling does not ask
    assert admin.errors == []
