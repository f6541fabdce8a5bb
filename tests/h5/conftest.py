"""H5 fixtures: the API's shop, and a phone signed in through the sandbox's OAuth."""

from __future__ import annotations

import contextvars
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.mall import accounts
from tests.admin.conftest import co  # noqa: F401 - fixtures shared with tests/admin
from tests.api.conftest import shop  # noqa: F401 - shared with tests/api

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class _Client:
    """Each request in a context of its own, as a real request is: a test that holds an app
    context (the admin company fixture) would otherwise share Flask's g between requests."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name in ("get", "post", "open"):
            return lambda *a, **kw: contextvars.Context().run(attr, *a, **kw)
        return attr


class Phone:
    """WeChat's browser on one person's phone, against the app's test client."""

    def __init__(self, client, sandbox, openid: str):
        self.client, self.sandbox, self.openid = _Client(client), sandbox, openid

    def open(self, path: str):
        """Open a page as a person would: through WeChat's OAuth when there is no session."""
        response = self.client.get(path)
        if response.status_code == 302 and "/connect/oauth2/authorize" in response.location:
            wechat = requests.get(
                response.location.split("#")[0],
                cookies={"sandbox_openid": self.openid},
                allow_redirects=False,
                timeout=5,
            )
            back = urlsplit(wechat.headers["Location"])
            response = self.client.get(f"{back.path}?{back.query}")
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            response = self.client.get(response.location)
        return response

    def token(self, path: str = "/h5/bind") -> str:
        return TOKEN.search(self.open(path).get_data(as_text=True)).group(1)

    def post(self, path: str, data: dict | None = None, from_page: str = "/h5/bind", **kw):
        return self.client.post(
            path, data={**(data or {}), "csrf_token": self.token(from_page)}, **kw
        )


def oauth_query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def phone(app, sandbox):
    """phone("dealer-a"): a phone whose WeChat user is sandbox-oa-dealer-a."""
    sandbox.state.reset()

    def make(person: str) -> Phone:
        return Phone(app.test_client(), sandbox, f"sandbox-oa-{person}")

    return make


@pytest.fixture
def dealer_phone(phone, shop):  # noqa: F811 - the shop fixture imported above
    """A dealer of the shop's customer, bound through the H5 binding page."""
    p = phone("h5-dealer")
    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    response = p.post("/h5/bind", {"code": invitation.code})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return p
