"""Outgoing requests to addresses people type (webhook URLs): the name is resolved once, every
address it resolves to is checked against an explicit deny list, and the request goes to that
checked address only (the original name in the Host header and, for https, in SNI and the
certificate check), with a timeout and no redirects followed.

Checking a name and then letting an HTTP client resolve it again would let DNS rebinding past the
check; reading an IPv4 literal differently from the resolver would let `1684301000` or
`0x64.0x64.0x64.0xc8` past it. Both are closed here by construction.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from app.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# Names of cloud metadata services, refused before any lookup (their addresses are refused too).
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.tencentyun.com",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# Networks a request may never reach, whatever the settings say.
NEVER = "never"
# Networks reachable only with allow_private (development and tests: receivers on this machine).
PRIVATE = "private"

DENY_LIST: tuple[tuple[str, str, str], ...] = (
    # (network, kind, why) - looked up in order; the first that holds decides.
    ("0.0.0.0/8", NEVER, "unspecified"),
    ("10.0.0.0/8", PRIVATE, "private"),
    ("100.64.0.0/10", NEVER, "carrier-grade NAT (Alibaba Cloud metadata lives here)"),
    ("127.0.0.0/8", PRIVATE, "loopback"),
    ("169.254.0.0/16", NEVER, "link-local (cloud metadata)"),
    ("172.16.0.0/12", PRIVATE, "private"),
    ("192.0.0.0/24", NEVER, "IETF protocol assignments (Oracle Cloud metadata)"),
    ("192.0.2.0/24", NEVER, "documentation"),
    ("192.88.99.0/24", NEVER, "6to4 relay anycast"),
    ("192.168.0.0/16", PRIVATE, "private"),
    ("198.18.0.0/15", NEVER, "benchmarking"),
    ("198.51.100.0/24", NEVER, "documentation"),
    ("203.0.113.0/24", NEVER, "documentation"),
    ("224.0.0.0/4", NEVER, "multicast"),
    ("240.0.0.0/4", NEVER, "reserved"),
    ("::/128", NEVER, "unspecified"),
    ("::1/128", PRIVATE, "loopback"),
    ("::/96", NEVER, "IPv4-compatible (deprecated)"),
    ("100::/64", NEVER, "discard-only"),
    ("64:ff9b:1::/48", NEVER, "local-use NAT64"),
    ("2001::/32", NEVER, "Teredo (hides an IPv4 address)"),
    ("2001:2::/48", NEVER, "benchmarking"),
    ("2001:10::/28", NEVER, "ORCHID"),
    ("2001:20::/28", NEVER, "ORCHIDv2"),
    ("2001:db8::/32", NEVER, "documentation"),
    ("fd00:ec2::/32", NEVER, "AWS metadata"),
    ("fc00::/7", PRIVATE, "unique local"),
    ("fe80::/10", NEVER, "link-local"),
    ("fec0::/10", NEVER, "site-local (deprecated)"),
    ("ff00::/8", NEVER, "multicast"),
)
_DENY = tuple((ipaddress.ip_network(net), kind, why) for net, kind, why in DENY_LIST)

# IPv6 forms that carry an IPv4 address the packet really goes to: judged as that address.
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")

# What a host name may be made of (after IDNA): anything else (spaces, '%', '@') is refused
# before the resolver, whose parsers accept trailing garbage ("1.2.3.4 x" is 1.2.3.4 to inet_aton).
_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")


def _refused(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, url=[reason])


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if ip.version != 6:
        return None
    if ip in _MAPPED or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> tuple[str, str] | None:
    """(kind, why) when the address is on the deny list (NEVER or PRIVATE), else None: public."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        found = classify(inner)
        return (NEVER, f"{found[1]} behind an IPv6 form") if found else None
    for network, kind, why in _DENY:
        if ip.version == network.version and ip in network:
            return kind, why
    if not ip.is_global:  # anything the standard library knows as special that the list missed
        return NEVER, "not globally routable"
    return None


def check_address(ip: IPAddress, allow_private: bool) -> None:
    """Raises: ValidationFailed when a request must not reach this address."""
    found = classify(ip)
    if found is None:
        return
    kind, _why = found
    if kind == PRIVATE and allow_private:
        return
    if kind == PRIVATE:
        raise _refused("回调地址不能指向内网或本机", "地址不安全：内网或本机地址")
    raise _refused("回调地址不能指向链路本地、云服务器元数据或保留地址", "地址不安全：保留地址")


def ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address as the system reads it (inet_aton: decimal, octal, hex, and 1 to 4 parts:
    `1684301000`, `0144.0144.0144.0310`, `0x64.0x64.0x64.0xc8`, `100.100.25800`), or None."""
    if not re.fullmatch(r"[0-9a-fx.]+", host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        return None


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the operating system's resolver gives for a name, each once, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class Target:
    """A URL that passed the check: where to connect (the checked addresses, in the resolver's
    order) and what to say (the name for Host, SNI and the certificate)."""

    url: str
    scheme: str
    host: str  # the name as written (IDNA-encoded, lower case); an IP literal for literals
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _host_of(url: str):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("回调地址格式无效", "网址格式无效") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refused("回调地址须为 http(s) 网址", "须为 http 或 https")
    if parts.username is not None or parts.password is not None:
        raise _refused("回调地址不能包含用户名或密码", "不能包含用户名或密码")
    port = port or (443 if parts.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise _refused("回调地址的端口无效", "端口无效")
    return parts, parts.hostname, port


def check_url(url: str, allow_private: bool = False, resolve: Resolver = system_resolve) -> Target:
    """Parse (http and https only), resolve the name once, and check every address it gives.

    `allow_private`: loopback and private networks allowed (development, tests); link-local,
    carrier-grade NAT, metadata and reserved addresses never. `resolve(host, port)` returns
    address strings (the system resolver unless a test gives its own).

    Raises: ValidationFailed (with a Chinese message and a `url` field error).
    """
    if not isinstance(url, str) or len(url) > 2000:
        raise _refused("回调地址格式无效", "网址格式无效")
    parts, raw_host, port = _host_of(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    literal = _ip_literal(raw_host)
    if literal is not None:
        check_address(literal, allow_private)
        return Target(url, parts.scheme, str(literal), port, path, (str(literal),))
    host = _idna(raw_host)
    if host.rstrip(".") in METADATA_NAMES:
        raise _refused("不能使用云服务器元数据地址", "地址不安全：云服务器元数据")
    try:
        found = list(resolve(host, port))
    except (OSError, UnicodeError):
        raise _refused("回调地址的域名无法解析", "无法解析") from None
    if not found:
        raise _refused("回调地址的域名无法解析", "无法解析")
    addresses = []
    for text in found:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise _refused("回调地址的域名解析结果无效", "无法解析") from None
        check_address(ip, allow_private)
        addresses.append(str(ip))
    return Target(url, parts.scheme, host, port, path, tuple(dict.fromkeys(addresses)))


def _ip_literal(host: str) -> IPAddress | None:
    if ":" in host:  # urlsplit took the brackets off an IPv6 literal
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise _refused("回调地址格式无效", "网址格式无效") from None
    return ipv4_literal(host.lower())


def _idna(host: str) -> str:
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _refused("回调地址的域名无效", "域名无效") from None
    if not _HOST_NAME.match(name) or len(name) > 253:
        raise _refused("回调地址的域名无效", "域名无效")
    return name


@dataclass(frozen=True)
class Sent:
    status: int
    duration_ms: int


class SendFailed(Exception):
    """The receiver could not be reached or did not answer in time (message in English, for logs)."""


def post(
    target: Target | str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool = False,
    *,
    resolve: Resolver = system_resolve,
    ca_certs: str | None = None,
) -> Sent:
    """POST `body` to a checked address of the target (a URL is checked first, resolving once),
    following no redirect; the receiver's body is never read. Each checked address is tried in
    the resolver's order until one connects.

    Returns the status code and how long it took. Raises: ValidationFailed (the URL is refused),
    SendFailed (no connection, a timeout, a TLS failure).
    """
    if isinstance(target, str):
        target = check_url(target, allow_private, resolve)
    started = time.monotonic()
    headers = {**headers, "Host": target.host_header}
    problem = "no address"
    for address in target.addresses:
        pool = _pool(target, address, timeout, ca_certs)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except Urllib3Error as exc:
            pool.close()
            problem = f"{type(exc).__name__}: {exc}"
            if _connected(exc):
                break  # the receiver was reached: another address would repeat the delivery
            continue
        status = response.status
        response.close()  # its body is never read: a receiver's answer is not ours to keep
        pool.close()
        return Sent(status, int((time.monotonic() - started) * 1000))
    raise SendFailed(problem[:500])


def _connected(exc: Exception) -> bool:
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    return not isinstance(exc, NewConnectionError | ConnectTimeoutError)


def _pool(target: Target, address: str, timeout: float, ca_certs: str | None):
    options = {
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "maxsize": 1,
        "retries": False,
    }
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(address, target.port, **options)
    return urllib3.HTTPSConnectionPool(
        address,
        target.port,
        server_hostname=target.host,  # SNI: the name, not the address we connect to
        assert_hostname=target.host,  # the certificate must be the name's
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_certs or certifi.where(),
        **options,
    )
