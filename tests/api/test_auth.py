"""WeChat login through the sandbox, binding by invitation, tokens."""

import datetime as dt

import jwt
import pytest

from app.mall import accounts
from app.mall.models import Invitation, WechatUser
from devkit.testing.clients import MP, bearer, login
from devkit.testing.concurrency import all_at_once


def test_login_with_a_wx_code_returns_our_token_and_no_session_key(client, shop):
    body = login(client, "dealer-1")
    assert body["bound"] is False and body["role"] is None
    assert "session_key" not in str(body)
    user = WechatUser.get(WechatUser.openid == "sandbox-dealer-1")
    assert user.session_key  # kept on the server
    assert login(client, "dealer-1")["token"]
    assert WechatUser.select().count() == 1  # the same WeChat user every time


def test_logging_in_again_renews_the_session_key_and_keeps_the_binding(client, shop, dealer):
    """The dealer fixture's user (bound to the shop's customer) logs in once more: a new session
    key and last login, the same user, binding, unionid and first login."""
    before = WechatUser.get(WechatUser.openid == "sandbox-dealer-a")
    again = login(client, "dealer-a")
    assert (again["bound"], again["role"]) == (True, "dealer")
    after = WechatUser.get_by_id(before.id)
    assert after.session_key != before.session_key
    assert after.last_login_at > before.last_login_at
    assert (after.customer_id, after.role, after.unionid, after.created_at) == (
        before.customer_id,
        before.role,
        before.unionid,
        before.created_at,
    )
    assert WechatUser.select().where(WechatUser.openid == "sandbox-dealer-a").count() == 1


def test_login_with_an_invalid_code_is_a_clear_400(client, shop):
    response = client.post(f"{MP}/auth/login", json={"code": "invalid-xyz"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_code"


@pytest.mark.parametrize("path", ["/auth/login", "/auth/oauth"])
def test_a_code_wechat_could_not_have_issued_is_a_400_not_a_wechat_outage(client, shop, path):
    """WeChat refuses a code it never issued (40029): a long run of symbols is a client's
    mistake, not WeChat being down, whether from wx.login or the official account's OAuth."""
    code = "Ω≈ç√∫˜µ≤≥÷åß∂ƒ©˙∆˚¬…æœ∑´®†¥¨ˆøπ“‘¡™£¢∞§¶•ªº–≠¸˛Ç◊ı˜Â¯˘¿ÅÍÎÏ˝ÓÔÒÚÆ☃Œ„´‰ˇÁ"
    response = client.post(f"{MP}{path}", json={"code": code})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_code"


def test_login_when_wechat_is_down_is_a_502_not_a_500(client, shop, sandbox):
    sandbox.faults(down_seconds=5)
    response = client.post(f"{MP}/auth/login", json={"code": "dealer-1"})
    sandbox.faults()
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "wechat_unavailable"


def test_binding_makes_the_user_a_dealer_of_that_customer(client, shop):
    token = login(client, "dealer-1")["token"]
    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    response = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code.lower()}, headers=bearer(token)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["role"] == "dealer" and body["customer"]["id"] == shop.customer.id
    me = client.get(f"{MP}/me", headers=bearer(body["token"])).get_json()
    assert me["customer"]["price_level"] == 3 and me["customer"]["price_level_name"] == "3级价"
    again = login(client, "dealer-1")
    assert again["bound"] is True and again["customer"]["code"] == shop.customer.code


def test_several_wechat_users_can_bind_to_one_customer(client, shop):
    for code in ("boss", "clerk"):
        token = login(client, code)["token"]
        invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
        r = client.post(
            f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(token)
        )
        assert r.status_code == 200
    assert shop.customer.wechat_users.count() == 2


def test_an_invitation_binds_only_once(client, shop):
    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    first = login(client, "first")["token"]
    second = login(client, "second")["token"]
    ok = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(first)
    )
    assert ok.status_code == 200
    again = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(second)
    )
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "invalid_invitation"


def test_expired_or_unknown_invitations_are_invalid(client, shop):
    token = login(client, "late")["token"]
    invitation = accounts.create_invitation(
        "dealer", customer_id=shop.customer.id, ttl=dt.timedelta(seconds=-1)
    )
    for code in (invitation.code, "NOSUCHCODE"):
        r = client.post(f"{MP}/auth/bind", json={"invite_code": code}, headers=bearer(token))
        assert r.status_code == 400
        assert r.get_json()["error"]["code"] == "invalid_invitation"


def test_concurrent_binds_of_one_invitation_have_one_winner(gunicorn, shop, sandbox):
    import requests

    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    tokens = [
        requests.post(f"{gunicorn.url}{MP}/auth/login", json={"code": f"u{i}"}, timeout=10).json()[
            "token"
        ]
        for i in range(8)
    ]

    def bind(token):
        return lambda: (
            requests.post(
                f"{gunicorn.url}{MP}/auth/bind",
                json={"invite_code": invitation.code},
                headers=bearer(token),
                timeout=10,
            ).status_code
        )

    results = all_at_once([bind(t) for t in tokens])
    assert sorted(results) == [200] + [400] * 7
    assert Invitation.get_by_id(invitation.id).used_by is not None


def test_requests_without_a_valid_token_are_401(client, shop, app):
    assert client.get(f"{MP}/me").status_code == 401
    assert client.get(f"{MP}/me", headers=bearer("not-a-token")).status_code == 401
    forged = jwt.encode({"typ": "mp", "sub": "1", "exp": 9999999999}, "x" * 32, "HS256")
    assert client.get(f"{MP}/me", headers=bearer(forged)).status_code == 401
    expired = jwt.encode(
        {"typ": "mp", "sub": "1", "exp": 1}, app.config["SECRET_KEY"], algorithm="HS256"
    )
    response = client.get(f"{MP}/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "登录已过期，请重新登录"


def test_unbound_users_cannot_use_dealer_endpoints(client, shop):
    token = login(client, "stranger")["token"]
    response = client.get(f"{MP}/catalog/products", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "请先使用邀请码绑定账号"


def test_a_deactivated_customer_locks_its_dealers_out(client, shop, dealer):
    from app.core import organisation

    organisation.update_customer(shop.customer.id, active=False)
    assert client.get(f"{MP}/cart", headers=dealer).status_code == 401


def test_login_is_rate_limited(client, shop, app):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        responses = [
            client.post(
                f"{MP}/auth/login",
                json={"code": f"x{i}"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"},
            )
            for i in range(5)
        ]
        elsewhere = client.post(
            f"{MP}/auth/login", json={"code": "y"}, environ_base={"REMOTE_ADDR": "10.9.9.10"}
        )
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert responses[-1].get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60
    assert elsewhere.status_code == 200  # counted per client address


def _order(client, headers, key="signed-1", lines=None):
    lines = lines if lines is not None else [{"product_id": 1, "qty": 1}]
    key_header = {"Idempotency-Key": key} if key else {}
    return client.post(f"{MP}/orders", json={"lines": lines}, headers={**headers, **key_header})


def _refusal(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["message"]


def test_an_order_signs_the_dealer_in_as_every_dealer_endpoint_does(client, shop, dealer):
    """Submitting an order reads the dealer with the key's look-up, not before it: the same
    answers as any dealer endpoint, for every way a caller can be refused, whatever the body."""
    from app.core import organisation
    from app.core.models import Order

    lines = [{"product_id": shop.tea.id, "qty": 1}]
    assert _order(client, dealer, "signed-1", lines).status_code == 201
    stranger = bearer(login(client, "stranger")["token"])
    unbound = (403, "请先使用邀请码绑定账号")
    assert _refusal(_order(client, stranger, "signed-2", lines)) == unbound
    assert _refusal(_order(client, stranger, None, lines)) == unbound
    assert _refusal(_order(client, stranger, "signed-2", [])) == unbound  # not the body's 422

    organisation.update_customer(shop.customer.id, active=False)
    orders_before = Order.select().count()
    locked = (401, "账号已停用，请联系客服")
    assert _refusal(_order(client, dealer, "signed-3", lines)) == locked  # a new key
    assert _refusal(_order(client, dealer, "signed-1", lines)) == locked  # not its stored order
    assert _refusal(_order(client, dealer, None, lines)) == locked  # no key
    assert _refusal(_order(client, dealer, "signed-3", [])) == locked  # not the body's 422
    assert _refusal(_order(client, dealer, "signed-3", "x")) == locked
    assert Order.select().count() == orders_before
    organisation.update_customer(shop.customer.id, active=True)
    assert _order(client, dealer, "signed-1", lines).status_code == 200
    assert _order(client, dealer, "signed-3", []).status_code == 422


def test_a_rep_or_a_user_gone_cannot_submit_an_order(client, shop, rep_headers):
    lines = [{"product_id": shop.tea.id, "qty": 1}]
    assert _refusal(_order(client, rep_headers, "rep-1", lines)) == (403, "当前账号无权使用此功能")
    from app.auth import tokens

    gone = bearer(tokens.issue("mp", 999_999, role="dealer"))  # a user no longer there
    assert _refusal(_order(client, gone, "gone-1", lines)) == (401, "登录凭证无效，请重新登录")
    assert _refusal(_order(client, gone, "gone-1", [])) == (401, "登录凭证无效，请重新登录")
