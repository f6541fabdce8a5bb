"""Console fixtures: the admin tests' company, and a signed-in browser-like client (cookies, CSRF)."""

from __future__ import annotations

import contextvars
import re

import pytest

from tests.admin.conftest import Company

PASSWORD = "correct-horse-1"  # devkit.factories.make_staff's default
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FLASH = re.compile(r'class="flash flash-(\w+)"[^>]*>([^<]*)<')


class _Client:
    """A test client whose every request runs outside the test's app context, as a real request
    does: the `co` fixture keeps one pushed, and Flask would otherwise share `g` across requests."""

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
        self.client = _Client(client)
        self.token = ""

    def refresh_token(self, path: str = "/admin/login") -> str:
        page = self.client.get(path)
        self.token = TOKEN.search(page.get_data(as_text=True)).group(1)
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
    return FLASH.findall(response.get_data(as_text=True))


@pytest.fixture
def co(app, client):
    """The admin tests' company: two branches, staff in every role, the demo approval rules."""
    with app.app_context():
        yield Company()


@pytest.fixture
def console(client):
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
