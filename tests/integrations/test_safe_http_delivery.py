"""Sending through the URL checker to receivers on 127.0.0.1 only: the checked address is the one
connected to (names answered by the test's own resolver, so nothing leaves this machine), the
name still goes in Host and, over https, in SNI and the certificate check; no redirect followed;
a slow receiver times out."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.errors import ValidationFailed
from app.integrations import safe_http


class Receiver:
    """An HTTP(S) server on 127.0.0.1 that records what reaches it and answers `status`."""

    def __init__(self, status=204, delay=0.0, location=None, tls=None):
        self.requests, self.server_names = [], []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": self.headers, "body": body})
                time.sleep(delay)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "22")
                self.end_headers()
                self.wfile.write(b"db_password=hunter2!!\n")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def to_loopback(host, port):
    """A resolver of the test's own: every name is this machine."""
    to_loopback.calls.append(host)
    return ["127.0.0.1"]


@pytest.fixture(autouse=True)
def _reset_calls():
    to_loopback.calls = []


def test_a_delivery_goes_to_the_checked_address_with_the_name_in_the_host_header(receivers):
    r = receivers()
    sent = safe_http.post(
        f"http://hooks.example:{r.port}/in?x=1",
        b'{"a": 1}',
        {"Content-Type": "application/json"},
        timeout=5,
        allow_private=True,
        resolve=to_loopback,
    )
    assert sent.status == 204 and sent.duration_ms >= 0
    assert to_loopback.calls == ["hooks.example"]  # resolved once, never again by the client
    (received,) = r.requests
    assert received["path"] == "/in?x=1" and received["body"] == b'{"a": 1}'
    assert received["headers"]["Host"] == f"hooks.example:{r.port}"


def test_dns_rebinding_cannot_move_a_delivery_after_the_check(receivers):
    """The name answers 127.0.0.1 once and the metadata address afterwards: the one answer
    checked is the one used."""
    r = receivers()
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])

    def rebinding(host, port):
        return next(answers)

    sent = safe_http.post(
        f"http://rebind.example:{r.port}/", b"{}", {}, 5, allow_private=True, resolve=rebinding
    )
    assert sent.status == 204 and len(r.requests) == 1
    assert next(answers) == ["169.254.169.254"]  # only the first answer was ever asked for


def test_a_refused_url_sends_nothing(receivers):
    r = receivers()
    with pytest.raises(ValidationFailed):
        safe_http.post(f"http://127.0.0.1:{r.port}/", b"{}", {}, 5, allow_private=False)
    assert r.requests == []


def test_a_redirect_is_answered_as_its_status_and_never_followed(receivers):
    target = receivers()
    r = receivers(status=302, location=f"http://127.0.0.1:{target.port}/elsewhere")
    sent = safe_http.post(f"http://127.0.0.1:{r.port}/", b"{}", {}, 5, allow_private=True)
    assert sent.status == 302
    assert len(r.requests) == 1 and target.requests == []


def test_a_receiver_slower_than_the_timeout_fails_the_send(receivers):
    r = receivers(delay=2)
    started = time.monotonic()
    with pytest.raises(safe_http.SendFailed):
        safe_http.post(f"http://127.0.0.1:{r.port}/", b"{}", {}, 0.5, allow_private=True)
    assert time.monotonic() - started < 1.9


def test_an_address_that_refuses_the_connection_fails_the_send():
    with pytest.raises(safe_http.SendFailed):
        safe_http.post("http://127.0.0.1:1/", b"{}", {}, 2, allow_private=True)


# --- https: the name in SNI and in the certificate check, the connection to the checked address


def _certificates(tmp_path, name: str):
    """A CA of the test's own and a server certificate for `name` it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return str(ca_file), context


def test_https_sends_the_name_for_sni_and_checks_the_certificate_against_it(receivers, tmp_path):
    ca, context = _certificates(tmp_path, "hooks.example")
    r = receivers(status=200, tls=context)
    sent = safe_http.post(
        f"https://hooks.example:{r.port}/in",
        b"{}",
        {},
        5,
        allow_private=True,
        resolve=to_loopback,
        ca_certs=ca,
    )
    assert sent.status == 200
    assert r.server_names == ["hooks.example"]
    assert r.requests[0]["headers"]["Host"] == f"hooks.example:{r.port}"


def test_https_refuses_a_certificate_for_another_name(receivers, tmp_path):
    ca, context = _certificates(tmp_path, "someone-else.example")
    r = receivers(status=200, tls=context)
    with pytest.raises(safe_http.SendFailed):
        safe_http.post(
            f"https://hooks.example:{r.port}/in",
            b"{}",
            {},
            5,
            allow_private=True,
            resolve=to_loopback,
            ca_certs=ca,
        )
    assert r.requests == []
