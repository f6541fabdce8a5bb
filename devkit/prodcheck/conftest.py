"""`make prod-check`: the production stack (stack.py) for the session, torn down however the
session ends (a failure, Ctrl-C, SIGTERM), and the people who use it: staff signed in through
nginx, and a dealer signed in through WeChat's OAuth (the sandbox) on the H5 pages. The sandbox
fixture is the suite's own (`-p devkit.testing.stack`, in the Makefile)."""

from __future__ import annotations

import hashlib
import re
import signal
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from devkit.prodcheck.stack import ProductionStack, stop_leftovers

MP = "/api/mp/v1"
ADMIN = "/api/admin/v1"
H5_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
CONSOLE_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class FromAddress(HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all this machine's): to nginx,
    each address is another client."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(stack: ProductionStack, address: str = "127.0.0.1") -> requests.Session:
    """A client that trusts the stack's certificate, connecting from `address`."""
    session = requests.Session()
    session.trust_env = False  # no proxies, and no CA bundle from the environment over ours
    session.verify = str(stack.certificate)
    for scheme in ("http://", "https://"):
        session.mount(scheme, FromAddress(address))
    return session


def submit_form(session: requests.Session, url: str, data: dict, **kw) -> requests.Response:
    """A form sent as a browser sends it: with a Referer of the same origin, which the app's
    CSRF check requires over HTTPS."""
    return session.post(url, data=data, headers={"Referer": url}, timeout=60, **kw)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def stack(sandbox):
    stop_leftovers()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # teardown runs on SIGTERM too
    started = time.monotonic()
    production = ProductionStack(sandbox.url)
    try:
        production.start()
        print(f"prod-check: the stack is up in {time.monotonic() - started:.0f} s", flush=True)
        yield production
    finally:
        production.stop()
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Staff:
    """A staff member's admin API token; requests go through nginx, or to `base` (one node's
    own HTTPS port) when given."""

    headers: dict
    site: requests.Session
    base: str

    def get(self, path: str, base: str | None = None, **kw):
        return self.site.get(f"{base or self.base}{path}", headers=self.headers, timeout=30, **kw)

    def post(self, path: str, json=None, base: str | None = None, **kw):
        return self.site.post(
            f"{base or self.base}{path}", json=json, headers=self.headers, timeout=30, **kw
        )

    def put(self, path: str, json=None):
        return self.site.put(f"{self.base}{path}", json=json, headers=self.headers, timeout=30)


@pytest.fixture(scope="session")
def staff(stack):
    """staff("kefu"): a demo staff member signed in to the admin API through nginx."""
    signed_in: dict[str, Staff] = {}
    site = browser(stack, "127.0.0.2")

    def sign_in(username: str) -> Staff:
        if username not in signed_in:
            password = stack.admin_password if username == "ops" else stack.demo_password
            answer = site.post(
                f"{stack.site}{ADMIN}/auth/login",
                json={"username": username, "password": password},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            token = answer.json()["token"]
            signed_in[username] = Staff(
                {"Authorization": f"Bearer {token}"}, browser(stack, "127.0.0.2"), stack.site
            )
        return signed_in[username]

    return sign_in


@dataclass
class Shop:
    customer_id: int
    customer_name: str
    product_id: int
    product_name: str
    qty: int  # the least the product may be ordered in


@pytest.fixture(scope="session")
def shop(stack, staff):
    """The demo company's first credit customer and the product its warehouse has most of."""
    admin = staff("ops")
    customers = admin.get(f"{ADMIN}/customers", params={"per_page": 100}).json()["items"]
    customer = next(c for c in customers if c["code"] == "C001")
    rows = admin.get(
        f"{ADMIN}/stock", params={"warehouse_id": customer["warehouse_id"], "per_page": 100}
    ).json()["items"]
    best = max(rows, key=lambda r: r["available"])
    products = admin.get(f"{ADMIN}/products", params={"per_page": 100}).json()["items"]
    product = next(p for p in products if p["id"] == best["product_id"])
    return Shop(
        customer["id"], customer["name"], product["id"], product["name"], product["min_qty"]
    )


@dataclass
class Dealer:
    """A dealer on their phone: WeChat's browser with H5 pages, and the mini-program."""

    person: str
    oa_openid: str
    h5: requests.Session
    mp: requests.Session  # signed in to the mini-program API


def wechat_sign_in(stack, session: requests.Session, path: str, oa_openid: str):
    """Open an H5 page as WeChat's browser does: through the OAuth page (the sandbox's) and back
    to the page over HTTPS."""
    answer = session.get(f"{stack.site}{path}", allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    authorize = answer.headers["Location"]
    assert authorize.startswith(f"{stack.sandbox_url}/connect/oauth2/authorize")
    wechat = requests.get(
        authorize.split("#")[0],
        cookies={"sandbox_openid": oa_openid},
        allow_redirects=False,
        timeout=10,
    )
    back = wechat.headers["Location"]
    assert back.startswith(f"{stack.site}/h5/oauth?"), back  # the app named itself as https
    return session.get(back, timeout=30)


def send_follow_event(stack, oa_openid: str) -> None:
    """The official account's callback, as WeChat sends it when someone follows: signed with
    the callback token, through nginx."""
    timestamp, nonce = str(int(time.time())), f"n{time.monotonic_ns()}"
    token = stack.env["WECHAT_OA_TOKEN"]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 - WeChat's signature
    body = (
        f"<xml><ToUserName>gh_prodcheck</ToUserName><FromUserName>{oa_openid}</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType>event</MsgType>"
        "<Event>subscribe</Event></xml>"
    )
    answer = browser(stack).post(
        f"{stack.site}/wechat/callback",
        params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
        data=body.encode(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="session")
def dealer(stack, staff, shop):
    """A dealer of the shop's customer: signed in on the H5 pages through WeChat's OAuth, bound
    with an invitation, following the official account, and in the mini-program (the same
    WeChat user, joined by unionid)."""
    person = "prodcheck-dealer"
    oa_openid = f"sandbox-oa-{person}"

    def mini_program_login():
        answer = browser(stack, "127.0.0.3").post(
            f"{stack.site}{MP}/auth/login", json={"code": person}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    mini_program_login()  # the mini-program first; the H5 sign-in finds them by unionid
    h5 = browser(stack, "127.0.0.3")
    page = wechat_sign_in(stack, h5, "/h5/bind", oa_openid)
    assert page.status_code == 200 and urlsplit(page.url).path == "/h5/bind", page.text[:300]
    invitation = staff("ops").post(f"{ADMIN}/customers/{shop.customer_id}/invitations", {})
    assert invitation.status_code == 201, invitation.text
    bound = submit_form(
        h5,
        f"{stack.site}/h5/bind",
        {"code": invitation.json()["invite_code"], "csrf_token": H5_TOKEN.search(page.text)[1]},
    )
    assert bound.status_code == 200 and shop.customer_name in bound.text, bound.text[:500]
    send_follow_event(stack, oa_openid)
    login = mini_program_login()
    assert login["bound"], login
    mp = browser(stack, "127.0.0.3")
    mp.headers["Authorization"] = f"Bearer {login['token']}"
    return Dealer(person, oa_openid, h5, mp)
