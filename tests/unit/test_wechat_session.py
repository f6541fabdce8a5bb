"""The WeChat clients' HTTP session takes the environment's proxy and CA settings once, when it
is set up, as requests would take them on every call: the proxy for WeChat's host unless
NO_PROXY names it, the CA bundle REQUESTS_CA_BUNDLE names. No request is sent."""

import pytest
import requests

from app.adapters.wechat import WECHAT_ORIGIN, RebaseAdapter, rebase_session


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_proxy_and_ca_bundle_are_read_once_at_set_up(clean_env):
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.9:3128")
    clean_env.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = requests.Session()
    rebase_session(session, None)
    assert session.proxies["https"] == "http://127.0.0.9:3128"
    assert session.verify == "/etc/ssl/certs/ca-certificates.crt"
    assert session.trust_env is False  # nothing read again per call
    # Changed later, the environment no longer reaches the session's calls.
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.10:3128")
    settings = session.merge_environment_settings(WECHAT_ORIGIN, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://127.0.0.9:3128"


def test_no_proxy_for_a_host_no_proxy_names_and_the_sandbox_is_mounted(clean_env):
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.9:3128")
    clean_env.setenv("HTTP_PROXY", "http://127.0.0.9:3128")
    clean_env.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = requests.Session()
    rebase_session(session, "http://127.0.0.1:5001")
    assert not session.proxies
    assert session.verify is True
    assert isinstance(session.get_adapter(WECHAT_ORIGIN), RebaseAdapter)
