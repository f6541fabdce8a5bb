"""Every credential ends with its person: API keys with their maker (and never more than the
maker may do), WeChat bindings (and so mini-program tokens and H5 sessions) when the staff member
is disabled, re-enabled or changes password or the customer is deactivated; an admin unbinds a
WeChat user (a lost phone) through the admin API."""

from __future__ import annotations

import pytest

from app.auth import services
from app.core.models import Staff
from app.mall import accounts
from app.mall.models import WechatUser
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, bearer, bind


def make_key(client, co, maker: str = "admin", **body) -> dict:
    body = {"name": "金蝶同步", "scopes": ["customers.write"], **body}
    r = client.post(f"{ADMIN}/api-keys", json=body, headers=co.headers(maker))
    assert r.status_code == 201, r.get_json()
    return bearer(r.get_json()["key"])


def customers_seen(client, key) -> int:
    r = client.get(f"{ADMIN}/customers", headers=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["total"]


@pytest.mark.parametrize("change", ["disable", "disable_and_enable", "password"])
def test_an_api_key_ends_when_its_maker_is_disabled_re_enabled_or_changes_password(
    client, co, change
):
    maker = make_staff("admin", username="key-maker")
    co.staff["maker"] = maker
    key = make_key(client, co, "maker")
    assert customers_seen(client, key) == 2
    if change == "password":
        services.change_password(maker, "correct-horse-1", "a-new-password-2")
    else:
        services.set_active(maker.id, False, co.staff["admin"])
        if change == "disable_and_enable":
            services.set_active(maker.id, True, co.staff["admin"])
    r = client.get(f"{ADMIN}/customers", headers=key)
    assert r.status_code == 401
    assert "API 密钥已失效" in r.get_json()["error"]["message"]


def test_an_api_key_never_does_more_than_its_makers_role_now(client, co):
    key = make_key(client, co)
    body = {"code": "K1", "name": "密钥客户", "branch_id": co.east.id, "warehouse_id": co.sh.id}
    Staff.update(role="customer_service").where(Staff.id == co.staff["admin"].id).execute()
    r = client.post(f"{ADMIN}/customers", json=body, headers=key)
    assert r.status_code == 403, r.get_json()


def test_an_api_key_never_sees_beyond_its_makers_data_scope_now(client, co):
    key = make_key(client, co)
    Staff.update(data_scope="branch", branch=co.east.id).where(
        Staff.id == co.staff["admin"].id
    ).execute()
    assert customers_seen(client, key) == 1  # the east customer only


def test_an_api_key_for_a_branch_its_maker_no_longer_covers_is_refused(client, co):
    key = make_key(client, co, data_scope="branch", branch_id=co.south.id)
    Staff.update(data_scope="branch", branch=co.east.id).where(
        Staff.id == co.staff["admin"].id
    ).execute()
    assert client.get(f"{ADMIN}/customers", headers=key).status_code == 403


# --- WeChat bindings ----------------------------------------------------------------------------


def mp_bind(client, code: str, **invitation) -> tuple[dict, int]:
    """Log in as WeChat user `code` and bind it with a fresh invitation; (token headers, user id)."""
    headers = bind(client, code, accounts.create_invitation(**invitation))
    return headers, WechatUser.get(WechatUser.openid.endswith(code)).id


@pytest.mark.parametrize("change", ["disable_and_enable", "password"])
def test_a_reps_mini_program_token_ends_when_the_rep_is_re_enabled_or_changes_password(
    client, co, change
):
    rep = co.staff["rep"]
    headers, _ = mp_bind(client, "rep-phone", role="rep", staff_id=rep.id)
    assert client.get(f"{MP}/rep/customers", headers=headers).status_code == 200
    if change == "password":
        services.change_password(rep, "correct-horse-1", "a-new-password-2")
    else:
        services.set_active(rep.id, False, co.staff["admin"])
        services.set_active(rep.id, True, co.staff["admin"])
    r = client.get(f"{MP}/rep/customers", headers=headers)
    assert r.status_code == 403
    assert WechatUser.get().role is None  # the binding itself is gone


def test_deactivating_a_customer_ends_its_dealers_bindings(client, co):
    headers, _ = mp_bind(client, "dealer-phone", role="dealer", customer_id=co.east_customer.id)
    r = client.patch(
        f"{ADMIN}/customers/{co.east_customer.id}",
        json={"active": False},
        headers=co.headers("admin"),
    )
    assert r.status_code == 200
    client.patch(
        f"{ADMIN}/customers/{co.east_customer.id}",
        json={"active": True},
        headers=co.headers("admin"),
    )
    assert client.get(f"{MP}/cart", headers=headers).status_code == 403
    assert WechatUser.get().customer_id is None


def test_an_admin_lists_and_unbinds_a_dealers_wechat_user(client, co):
    headers, user_id = mp_bind(client, "lost-phone", role="dealer", customer_id=co.east_customer.id)
    path = f"{ADMIN}/customers/{co.east_customer.id}/wechat-users"
    listed = client.get(path, headers=co.headers("admin")).get_json()["items"]
    assert [u["id"] for u in listed] == [user_id]
    r = client.delete(f"{ADMIN}/wechat-users/{user_id}", headers=co.headers("admin"))
    assert r.status_code == 200 and r.get_json()["role"] is None
    assert client.get(path, headers=co.headers("admin")).get_json()["items"] == []
    assert client.get(f"{MP}/cart", headers=headers).status_code == 403


def test_an_admin_unbinds_a_staff_members_wechat_user(client, co):
    headers, user_id = mp_bind(client, "rep-lost", role="rep", staff_id=co.staff["rep"].id)
    path = f"{ADMIN}/staff/{co.staff['rep'].id}/wechat-users"
    assert [u["id"] for u in client.get(path, headers=co.headers("admin")).get_json()["items"]] == [
        user_id
    ]
    assert (
        client.delete(f"{ADMIN}/wechat-users/{user_id}", headers=co.headers("admin")).status_code
        == 200
    )
    assert client.get(f"{MP}/rep/customers", headers=headers).status_code == 403


def test_unbinding_is_kept_to_the_callers_scope_and_role(client, co):
    _, user_id = mp_bind(client, "south-dealer", role="dealer", customer_id=co.south_customer.id)
    east_admin = make_staff("admin", co.east, username="east-admin", data_scope="branch")
    co.staff["east_admin"] = east_admin
    for who in ("east_admin", "cs"):
        r = client.delete(f"{ADMIN}/wechat-users/{user_id}", headers=co.headers(who))
        assert r.status_code in (403, 404), (who, r.get_json())
    assert WechatUser.get_by_id(user_id).customer_id == co.south_customer.id
