"""H5 sign-in: a disabled account gets a page in words after a bounded number of hops (never a
loop through WeChat's OAuth), the OAuth redirect_uri comes from the configured address and never
from the Host header, binding and the OAuth callback are rate limited, and a staff member's H5
session ends when they are re-enabled or change their password."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from app.auth import services
from app.core import organisation
from app.core.models import Staff
from app.mall import accounts
from devkit.factories import make_staff

MAX_HOPS = 12


def follow(phone, path: str):
    """Open a page as WeChat's browser would, following every redirect (the app's and the
    sandbox's OAuth page); returns (final response, number of redirects)."""
    response, hops = phone.client.get(path), 0
    while response.status_code in (301, 302, 303) and hops < MAX_HOPS:
        hops += 1
        location = response.location
        if "/connect/oauth2/authorize" in location:
            wechat = requests.get(
                location.split("#")[0],
                cookies={"sandbox_openid": phone.openid},
                allow_redirects=False,
                timeout=5,
            )
            back = urlsplit(wechat.headers["Location"])
            response = phone.client.get(f"{back.path}?{back.query}")
        else:
            response = phone.client.get(location)
    return response, hops


def test_a_deactivated_dealer_gets_a_page_in_words_not_an_oauth_loop(dealer_phone, shop):
    organisation.update_customer(shop.customer.id, active=False)  # binding kept: core alone
    response, hops = follow(dealer_phone, "/h5/orders")
    assert hops < 4, "looped between the app and WeChat's OAuth"
    assert response.status_code == 401
    assert "账号已停用" in response.get_data(as_text=True)


def test_a_disabled_staff_member_with_a_fresh_browser_gets_a_page_in_words(phone, shop):
    person = make_staff("customer_service", username="h5-cs-disabled")
    staff_phone = phone("h5-cs-disabled")
    invitation = accounts.create_invitation("staff", staff_id=person.id)
    assert staff_phone.post("/h5/bind", {"code": invitation.code}).status_code == 302
    Staff.update(active=False).where(Staff.id == person.id).execute()  # binding kept
    fresh = phone("h5-cs-disabled")  # the same WeChat user, no session yet
    response, hops = follow(fresh, "/h5/staff/")
    assert hops < 4, "looped between the app and WeChat's OAuth"
    assert response.status_code == 401
    assert "账号已停用" in response.get_data(as_text=True)


@pytest.mark.parametrize("change", ["disable_and_enable", "password"])
def test_a_staff_members_h5_session_ends_when_re_enabled_or_the_password_changes(
    phone, shop, co, change
):
    person = make_staff("customer_service", username="h5-cs")
    staff_phone = phone("h5-cs")
    invitation = accounts.create_invitation("staff", staff_id=person.id)
    assert staff_phone.post("/h5/bind", {"code": invitation.code}).status_code == 302
    assert follow(staff_phone, "/h5/staff/")[0].status_code == 200
    if change == "password":
        services.change_password(person, "correct-horse-1", "a-new-password-2")
    else:
        services.set_active(person.id, False, co.staff["admin"])
        services.set_active(person.id, True, co.staff["admin"])
    response, _ = follow(staff_phone, "/h5/staff/")
    assert "/h5/bind" in response.request.path or "绑定" in response.get_data(as_text=True)
    assert "待审" not in response.get_data(as_text=True)


def test_the_oauth_redirect_uri_comes_from_the_configured_address_not_the_host_header(phone, app):
    response = phone("visitor").client.get("/h5/", headers={"Host": "evil.example"})
    assert response.status_code == 302
    query = dict(
        p.split("=", 1) for p in urlsplit(response.location.split("#")[0]).query.split("&")
    )
    redirect_uri = requests.utils.unquote(query["redirect_uri"])
    assert redirect_uri == f"{app.config['H5_BASE_URL']}/oauth"
    assert "evil.example" not in response.location


@pytest.fixture
def tight_login_limit(app):
    before = app.config["RATELIMIT_LOGIN"]
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    yield
    app.config["RATELIMIT_LOGIN"] = before


def test_binding_attempts_on_h5_are_rate_limited(dealer_phone, tight_login_limit):
    token = dealer_phone.token("/h5/bind")
    statuses = [
        dealer_phone.client.post(
            "/h5/bind",
            data={"code": f"WRONG{i}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.8.8.8"},
        ).status_code
        for i in range(5)
    ]
    assert statuses[:3] == [422, 422, 422] and statuses[3:] == [429, 429]


def test_the_oauth_callback_is_rate_limited(phone, tight_login_limit):
    p = phone("visitor")
    statuses = [
        p.client.get(
            "/h5/oauth?code=x&state=y", environ_base={"REMOTE_ADDR": "10.8.8.9"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses[3:] == [429, 429] and 429 not in statuses[:3]
