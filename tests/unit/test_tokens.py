"""Tokens are checked once and remembered, and still refused the moment they expire, under another
secret, or for another kind of caller."""

from __future__ import annotations

import time

import pytest

from app.auth import tokens
from app.errors import Unauthorized


@pytest.fixture
def secret():
    saved = dict(tokens._settings)
    tokens.configure("unit-secret-" + "x" * 32, 3600)
    yield
    tokens._settings.update(saved)


def test_a_token_is_checked_once_then_remembered(secret):
    token = tokens.issue("mp", 7, role="dealer")
    before = tokens._signed_payload.cache_info()
    first, again = tokens.verify(token, "mp"), tokens.verify(token, "mp")
    after = tokens._signed_payload.cache_info()
    assert first == again and first["sub"] == "7"
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    again["sub"] = "8"  # a caller's copy: the remembered claims stay as signed
    assert tokens.verify(token, "mp")["sub"] == "7"


def test_a_remembered_token_is_refused_once_it_expires(secret):
    expires_at = int(time.time()) + 2
    token = tokens.issue("mp", 7, exp=expires_at)
    assert tokens.verify(token, "mp")["sub"] == "7"
    time.sleep(expires_at - time.time() + 0.05)
    with pytest.raises(Unauthorized, match="登录已过期"):
        tokens.verify(token, "mp")


def test_a_remembered_token_is_refused_for_another_kind_or_after_the_secret_changes(secret):
    token = tokens.issue("mp", 7)
    tokens.verify(token, "mp")
    with pytest.raises(Unauthorized, match="登录凭证无效"):
        tokens.verify(token, "staff")
    tokens.configure("another-secret-" + "y" * 32, 3600)
    with pytest.raises(Unauthorized, match="登录凭证无效"):
        tokens.verify(token, "mp")
