"""Plugin: how tests call the app as its people do — the mini-program API (MP) as a dealer or rep
bound by invitation, the admin API (ADMIN) as staff, the console through its forms (`Console`),
the H5 pages on a phone signed in through the sandbox's OAuth (`Phone`) — and the fixtures that
hand tests such callers: dealer, other_dealer, rep_headers, console, signed_in, phone,
dealer_phone."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.auth.services import staff_token
from app.mall import accounts
from app.mall.models import WechatUser
from devkit.factories import make_staff

MP = "/api/mp/v1"
ADMIN = "/api/admin/v1"
PASSWORD = "correct-horse-1"  # devkit.factories.make_staff's default

CONSOLE_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
H5_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FLASH = re.compile(r'class="flash flash-(\w+)"[^>]*>([^<]*)<')


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def staff_headers(staff) -> dict:
    """The admin API's Authorization header for a staff member (signed with the app's key)."""
    return bearer(staff_token(staff))


def png_bytes() -> bytes:
    """A photo as a client uploads it: PNG's signature, then nothing worth decoding."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def create_promotion(client, headers: dict, kind: str, rules: dict, *, expect=201, **fields):
    """POST /promotions with `headers`: a promotion of `kind` with `rules`, named "<kind> 测试"
    and running from a day ago to a week ahead unless `fields` say otherwise; the answer, its
    status asserted to be `expect`."""
    now = dt.datetime.now(dt.UTC)
    starts, ends = ((now + dt.timedelta(days=d)).isoformat(timespec="seconds") for d in (-1, 7))
    body = {"name": f"{kind} 测试", "kind": kind, "rules": rules}
    body |= {"starts_at": starts, "ends_at": ends, **fields}
    response = client.post(f"{ADMIN}/promotions", json=body, headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def xlsx_file(rows: list[list]) -> io.BytesIO:
    """A workbook as a client uploads it: one sheet holding `rows`, read from its start."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


# The mini-program API


def login(client, code: str) -> dict:
    """wx.login's code `code` (the sandbox's WeChat user sandbox-<code>) exchanged for our token."""
    response = client.post(f"{MP}/auth/login", json={"code": code})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bind(client, code: str, invitation) -> dict:
    """Log in as WeChat user `code`, bind with the invitation, return auth headers."""
    token = login(client, code)["token"]
    response = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    return bearer(response.get_json()["token"])


def bind_dealer(client, customer, code: str) -> dict:
    """Log in as WeChat user `code`, bind to the customer, return auth headers."""
    return bind(client, code, accounts.create_invitation("dealer", customer_id=customer.id))


def dealer_token_over_http(base_url: str, customer_id: int, code: str) -> str:
    """A dealer's mini-program token from a server running beside the tests (gunicorn): a WeChat
    login, then bound to the customer with a new invitation, both over HTTP."""
    token = requests.post(f"{base_url}{MP}/auth/login", json={"code": code}, timeout=10).json()[
        "token"
    ]
    invite = accounts.create_invitation("dealer", customer_id=customer_id)
    return requests.post(
        f"{base_url}{MP}/auth/bind",
        json={"invite_code": invite.code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["token"]


def follow_official_account(code: str):
    """The WeChat user who logged in with `code` follows the official account (its OA openid is
    sandbox-oa-<code>), as the subscribe event records it."""
    user = WechatUser.get(WechatUser.openid == f"sandbox-{code}")
    user.oa_openid, user.follows_oa = f"sandbox-oa-{code}", True
    user.save()
    return user


class HttpClient:
    """Just enough of Flask's test client over real HTTP (to gunicorn) for login and bind."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base, self.session = base, session or requests.Session()

    def post(self, path, json=None, headers=None):
        r = self.session.post(self.base + path, json=json, headers=headers, timeout=10)
        r.get_json = r.json
        return r


@pytest.fixture
def dealer(client, shop):
    """Auth headers of a dealer of the shop's customer."""
    return bind_dealer(client, shop.customer, "dealer-a")


@pytest.fixture
def other_dealer(client, shop):
    """Auth headers of a dealer of the shop's other customer (another branch)."""
    return bind_dealer(client, shop.other, "dealer-b")


@pytest.fixture
def rep_headers(client, shop):
    """Auth headers of a sales rep of the shop's branch."""
    rep = make_staff("rep", shop.branch)
    return bind(client, "rep-1", accounts.create_invitation("rep", staff_id=rep.id))


# Pages: the console and the H5 pages


class IsolatedClient:
    """A test client whose every request runs in a context of its own, as a real request does:
    a test holding an app context (the `co` fixture keeps one pushed) would otherwise share
    Flask's `g` between requests."""

    def __init__(self, client):
        self._client = client
        self.application = client.application

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name in ("get", "post", "open"):
            return lambda *a, **kw: contextvars.Context().run(attr, *a, **kw)
        return attr


class Console:
    """Drives the console as a browser would: forms with their CSRF token, redirects followed."""

    def __init__(self, client):
        self.client = IsolatedClient(client)
        self.token = ""

    def refresh_token(self, path: str = "/admin/login") -> str:
        page = self.client.get(path)
        self.token = CONSOLE_TOKEN.search(page.get_data(as_text=True)).group(1)
        return self.token

    def login(self, username: str, password: str = PASSWORD):
        self.refresh_token()
        response = self.client.post(
            "/admin/login",
            data={"username": username, "password": password, "csrf_token": self.token},
        )
        if response.status_code == 302:
            self.refresh_token("/admin/dashboard")
        return response

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, follow: bool = True, **kwargs):
        return self.client.post(
            path,
            data={**(data or {}), "csrf_token": self.token},
            follow_redirects=follow,
            **kwargs,
        )


def flashes(response) -> list[tuple[str, str]]:
    """The flash messages on a page: (category, text)."""
    return FLASH.findall(response.get_data(as_text=True))


class Phone:
    """WeChat's browser on one person's phone, against the app's test client."""

    def __init__(self, client, sandbox, openid: str):
        self.client, self.sandbox, self.openid = IsolatedClient(client), sandbox, openid

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
        return H5_TOKEN.search(self.open(path).get_data(as_text=True)).group(1)

    def post(self, path: str, data: dict | None = None, from_page: str = "/h5/bind", **kw):
        return self.client.post(
            path, data={**(data or {}), "csrf_token": self.token(from_page)}, **kw
        )


def oauth_query(location: str) -> dict:
    """The query of a redirect's location, one value a key."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def console(client):
    """The console, signed in as no one."""
    return Console(client)


@pytest.fixture
def signed_in(app, co):
    """A console signed in as one of the company's staff: signed_in("cs")."""

    def sign_in(key: str) -> Console:
        session = Console(app.test_client())
        response = session.login(co.staff[key].username)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return session

    return sign_in


@pytest.fixture
def phone(app, sandbox):
    """phone("dealer-a"): a phone whose WeChat user is sandbox-oa-dealer-a."""
    sandbox.state.reset()

    def make(person: str) -> Phone:
        return Phone(app.test_client(), sandbox, f"sandbox-oa-{person}")

    return make


@pytest.fixture
def dealer_phone(phone, shop):
    """A dealer of the shop's customer, bound through the H5 binding page."""
    p = phone("h5-dealer")
    invitation = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    response = p.post("/h5/bind", {"code": invitation.code})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return p
