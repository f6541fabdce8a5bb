"""解除绑定 in the console: an admin unbinds a dealer's WeChat user on the customer page and a
staff member's on the staff page; roles without the permission cannot."""

from __future__ import annotations

from app.mall import accounts
from app.mall.models import WechatUser
from devkit.testing.clients import MP, bind


def mp_bind(client, code: str, **invitation) -> tuple[dict, int]:
    headers = bind(client, code, accounts.create_invitation(**invitation))
    return headers, WechatUser.get(WechatUser.openid.endswith(code)).id


def test_an_admin_unbinds_a_dealers_wechat_user_on_the_customer_page(client, co, signed_in):
    headers, user_id = mp_bind(
        client, "console-lost", role="dealer", customer_id=co.east_customer.id
    )
    admin = signed_in("admin")
    page = admin.get(f"/admin/customers/{co.east_customer.id}").get_data(as_text=True)
    assert f"/admin/wechat-users/{user_id}/unbind" in page
    response = admin.post(f"/admin/wechat-users/{user_id}/unbind")
    said = response.get_data(as_text=True)
    assert f"已解除经销商“{co.east_customer.name}”的微信绑定" in said
    assert f"#{user_id}" not in said  # in words, not the internal id
    assert client.get(f"{MP}/cart", headers=headers).status_code == 403


def test_an_admin_unbinds_a_reps_wechat_user_on_the_staff_page(client, co, signed_in):
    headers, user_id = mp_bind(client, "console-rep", role="rep", staff_id=co.staff["rep"].id)
    admin = signed_in("admin")
    assert f"/admin/wechat-users/{user_id}/unbind" in admin.get("/admin/staff").get_data(
        as_text=True
    )
    response = admin.post(f"/admin/wechat-users/{user_id}/unbind")
    rep = co.staff["rep"]
    said = response.get_data(as_text=True)
    assert f"已解除“{rep.name or rep.username}”的微信绑定" in said
    assert f"#{user_id}" not in said
    assert client.get(f"{MP}/rep/customers", headers=headers).status_code == 403


def test_customer_service_cannot_unbind_in_the_console(client, co, signed_in):
    _, user_id = mp_bind(client, "console-cs", role="dealer", customer_id=co.east_customer.id)
    signed_in("cs").post(f"/admin/wechat-users/{user_id}/unbind")
    assert WechatUser.get_by_id(user_id).role == "dealer"
