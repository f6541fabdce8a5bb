"""The webhook URL checker: every spelling of a forbidden address refused, without sending
anything anywhere (names are answered by resolvers of the test's own)."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.integrations import safe_http


def no_lookup(host, port):
    raise AssertionError(f"no lookup expected for {host}")


def resolver(*addresses):
    calls = []

    def resolve(host, port):
        calls.append((host, port))
        return list(addresses)

    resolve.calls = calls
    return resolve


ALIBABA_METADATA_SPELLINGS = [
    "http://100.100.100.200/latest/meta-data/",
    "http://1684301000/",
    "http://0144.0144.0144.0310/",
    "http://0x64.0x64.0x64.0xc8/",
    "http://100.100.25800/",
    "http://0x646464c8/",
    "http://100.100.100.200./",
    "http://[::ffff:100.100.100.200]/",
    "http://[::ffff:6464:64c8]/",
    "http://[64:ff9b::6464:64c8]/",
    "http://[2002:6464:64c8::1]/",
]


@pytest.mark.parametrize("url", ALIBABA_METADATA_SPELLINGS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_every_spelling_of_the_alibaba_metadata_address_is_refused(url, allow_private):
    with pytest.raises(ValidationFailed) as refused:
        safe_http.check_url(url, allow_private, resolve=no_lookup)
    assert "url" in refused.value.details


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",  # 169.254.169.254 as one number
        "http://0251.0376.0251.0376/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",  # AWS's IPv6 metadata, inside the private fc00::/7
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://0.0.0.0/",
        "http://0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://192.0.0.192/",  # Oracle Cloud's metadata
        "http://198.18.0.1/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[fec0::1]/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_link_local_metadata_reserved_and_disguised_addresses_are_refused_even_when_private_is_allowed(
    url,
):
    with pytest.raises(ValidationFailed):
        safe_http.check_url(url, allow_private=True, resolve=no_lookup)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://127.1/",
        "http://2130706433/",  # 127.0.0.1
        "http://0x7f.0.0.1/",
        "http://10.0.0.5/",
        "http://012.0.0.5/",  # 10.0.0.5 in octal
        "http://172.16.3.4/",
        "http://192.168.1.10/",
        "http://[::1]/",
        "http://[fd12:3456::1]/",
    ],
)
def test_private_and_loopback_addresses_are_refused_unless_allowed(url):
    with pytest.raises(ValidationFailed):
        safe_http.check_url(url, allow_private=False, resolve=no_lookup)
    assert safe_http.check_url(url, allow_private=True, resolve=no_lookup).addresses


def test_an_odd_ipv4_spelling_is_read_as_the_system_reads_it():
    target = safe_http.check_url("http://0x7f.1:9000/x?y=1", allow_private=True, resolve=no_lookup)
    assert target.addresses == ("127.0.0.1",)
    assert (target.port, target.path, target.host_header) == (9000, "/x?y=1", "127.0.0.1:9000")


@pytest.mark.parametrize(
    "name", ["metadata.google.internal", "METADATA.google.internal.", "metadata", "metadata.goog"]
)
def test_cloud_metadata_names_are_refused_before_any_lookup(name):
    with pytest.raises(ValidationFailed):
        safe_http.check_url(f"http://{name}/", allow_private=True, resolve=no_lookup)


@pytest.mark.parametrize(
    "answers",
    [
        ["93.184.215.14", "100.100.100.200"],
        ["93.184.215.14", "169.254.169.254"],
        ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:10.0.0.1"],
        ["93.184.215.14", "10.1.2.3"],
    ],
)
def test_a_name_is_refused_when_any_address_it_resolves_to_is_forbidden(answers):
    with pytest.raises(ValidationFailed):
        safe_http.check_url("https://hooks.example.com/in", resolve=resolver(*answers))


def test_a_public_name_is_resolved_once_and_keeps_every_checked_address():
    resolve = resolver("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    target = safe_http.check_url("https://Hooks.Example.com/in?a=1", resolve=resolve)
    assert resolve.calls == [("hooks.example.com", 443)]
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert (target.host, target.host_header, target.path) == (
        "hooks.example.com",
        "hooks.example.com",
        "/in?a=1",
    )


def test_a_public_ipv6_form_of_a_public_ipv4_address_is_allowed():
    assert safe_http.check_url("http://[::ffff:93.184.215.14]/", resolve=no_lookup).addresses


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http:///nohost",
        "http://user:pw@example.com/",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://1.2.3.4 x/",
        "http://example.com%2f@127.0.0.1/",
        "http://[not-an-ip]/",
        "javascript:alert(1)",
    ],
)
def test_malformed_or_non_http_urls_are_refused_in_chinese(url):
    with pytest.raises(ValidationFailed) as refused:
        safe_http.check_url(url, allow_private=True, resolve=resolver("93.184.215.14"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_a_name_that_does_not_resolve_is_refused():
    def fails(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(ValidationFailed, match="无法解析"):
        safe_http.check_url("https://nowhere.invalid/", resolve=fails)
