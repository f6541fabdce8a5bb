"""Real client addresses (TRUSTED_PROXY_COUNT, werkzeug's ProxyFix): behind a proxy the login
limit, the sign-in audit, the request log and the links the app builds see the client the
proxy saw; with no proxy configured, what a client writes in X-Forwarded-For changes nothing."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask import request

from app import create_app
from app.auth.models import LoginAttempt
from devkit.testing.clients import ADMIN


@pytest.fixture
def node(app, app_config):
    """node(proxies): an app that believes `proxies` proxies, logins limited to 3 a minute."""

    def make(proxies: int):
        class Config(app_config):
            TRUSTED_PROXY_COUNT = proxies
            RATELIMIT_LOGIN = "3 per minute"
            RATELIMIT_KEY_PREFIX = f"dm-test-{uuid.uuid4().hex[:8]}"

        return create_app(Config).test_client()

    return make


def sign_in(client, forwarded_for: str | None = None, peer: str = "127.0.0.1"):
    """A wrong password from `peer` (the address the socket shows), with the X-Forwarded-For
    header the last proxy sent on, if any."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        f"{ADMIN}/auth/login",
        json={"username": "nobody", "password": "wrong-password"},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    ).status_code


def test_behind_a_proxy_the_login_limit_counts_each_client_the_proxy_saw(node):
    behind_nginx = node(1)
    assert [sign_in(behind_nginx, "203.0.113.7") for _ in range(4)] == [401, 401, 401, 429]
    # Another person behind the same proxy is not locked out by the first one.
    assert sign_in(behind_nginx, "203.0.113.8") == 401


def test_behind_a_proxy_a_client_cannot_slip_the_limit_by_writing_its_own_forwarded_for(node):
    behind_nginx = node(1)
    # nginx appends the address it saw to whatever the client sent.
    answers = [sign_in(behind_nginx, f"198.18.0.{i}, 203.0.113.7") for i in range(4)]
    assert answers == [401, 401, 401, 429]


def test_with_no_proxy_configured_a_forwarded_for_header_changes_nothing(node):
    direct = node(0)
    answers = [sign_in(direct, f"198.18.0.{i}", peer="192.0.2.10") for i in range(4)]
    assert answers == [401, 401, 401, 429]
    audited = {a.address for a in LoginAttempt.select()}
    assert audited == {"192.0.2.10"}


def test_the_sign_in_audit_and_the_request_log_record_the_client_the_proxy_saw(node, caplog):
    behind_nginx = node(1)
    with caplog.at_level(logging.INFO, logger="app.requests"):
        sign_in(behind_nginx, "198.18.0.1, 203.0.113.9")
    assert [a.address for a in LoginAttempt.select()] == ["203.0.113.9"]
    logged = [r for r in caplog.records if r.name == "app.requests"]
    assert [(r.path, r.status, r.client) for r in logged] == [
        (f"{ADMIN}/auth/login", 401, "203.0.113.9")
    ]


def scheme_seen(node, headers: dict) -> str:
    """The scheme the app takes the request to have come in with (is it HTTPS? — the CSRF
    check's same-origin rule, secure redirects)."""
    application = node.application

    @application.get("/_scheme")
    def scheme():
        return request.scheme

    return node.get("/_scheme", headers=headers).get_data(as_text=True)


def test_behind_a_tls_proxy_the_app_knows_the_request_came_over_https(node):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    assert scheme_seen(node(1), headers) == "https"


def test_with_no_proxy_configured_a_forwarded_proto_header_is_ignored(node):
    assert scheme_seen(node(0), {"X-Forwarded-Proto": "https"}) == "http"
