"""Plugin: WeChat Pay in tests — the app served over HTTP for WeChat Pay's notifications
(`app_server`), the sandbox's WeChat Pay controls (`pay_sandbox`: the payer pays, notifications
sent and answered, refunds finished, bills edited), and notifications signed as WeChat Pay signs
them or forged (`notification`)."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from werkzeug.serving import make_server

from app.payments.models import Payment
from devkit.testing.clients import MP, bind_dealer

NOTIFY_PATH = "/api/pay/wechatpay/notify"


@pytest.fixture(scope="session")
def app_server(app):
    """The app under test served over real HTTP on the port its WECHATPAY_NOTIFY_URL names, so
    the sandbox's notifications reach it (its handlers run in this process, on the tests'
    database)."""
    server = make_server("127.0.0.1", app.config["NOTIFY_PORT"], app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{app.config['NOTIFY_PORT']}"
    server.shutdown()


class PaySandbox:
    """The sandbox's WeChat Pay controls, over HTTP."""

    def __init__(self, sandbox):
        self.sandbox, self.url = sandbox, sandbox.url

    @property
    def state(self):
        return self.sandbox.state.pay  # a restarted sandbox's

    def _post(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/_sandbox/pay{path}", json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def settings(self, **body) -> None:
        self._post("/settings", body)

    def pay(self, out_trade_no: str, **body) -> dict:
        """The payer pays: `jsapi` (the page's block, checked), `paid_at`, `notify`."""
        return self._post(f"/{out_trade_no}/pay", body)

    def renotify(self, out_trade_no: str) -> dict:
        return self._post(f"/{out_trade_no}/renotify")

    def finish_refund(self, out_refund_no: str, **body) -> dict:
        return self._post(f"/refunds/{out_refund_no}/finish", body)

    def edit_bill(self, day, **body) -> None:
        self._post(f"/bill/{day}", body)

    def transaction(self, out_trade_no: str) -> dict:
        return requests.get(
            f"{self.url}/_sandbox/pay/transactions/{out_trade_no}", timeout=5
        ).json()

    def notifications(self, out_trade_no: str | None = None) -> list[dict]:
        params = {"out_trade_no": out_trade_no} if out_trade_no else {}
        response = requests.get(f"{self.url}/_sandbox/pay/notifications", params=params, timeout=5)
        return response.json()["items"]

    def wait_answered(self, out_trade_no: str, count: int = 1, timeout: float = 20) -> list[dict]:
        """Wait until `count` notifications of this payment got a 2xx answer from the app."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [n for n in self.notifications(out_trade_no) if n["delivered"]]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"notifications of {out_trade_no}: {self.notifications(out_trade_no)}")


@pytest.fixture
def pay_sandbox(sandbox, app_server):
    """WeChat Pay's sandbox, reset, with its retry schedule 1/1000 of WeChat's (15 s → 15 ms)."""
    sandbox.state.pay.reset()
    controls = PaySandbox(sandbox)
    controls.settings(schedule_scale=0.001)
    yield controls
    sandbox.state.pay.reset()


@pytest.fixture
def paid_top_up(client, co, pay_sandbox):
    """paid_top_up("100.00"): a top-up the east customer's dealer paid through the sandbox
    (notified and credited), as a Payment."""

    def pay(amount: str = "100.00", code: str = "top-up-dealer"):
        dealer = bind_dealer(client, co.east_customer, code)
        body = {"purpose": "topup", "amount": amount}
        started = client.post(f"{MP}/payments", json=body, headers=dealer).get_json()
        pay_sandbox.pay(started["out_trade_no"])
        pay_sandbox.wait_answered(started["out_trade_no"])
        return Payment.get_by_id(started["id"])

    return pay


@dataclass
class Signed:
    headers: dict
    body: bytes


class NotificationMaker:
    """Notifications as WeChat Pay makes them (signed with its key, the resource encrypted with
    the API v3 key) — and as a forger would, one part wrong at a time."""

    def __init__(self, pay_state):
        self.pay = pay_state

    def make(
        self,
        resource: dict,
        event_type: str = "TRANSACTION.SUCCESS",
        *,
        key=None,
        serial: str | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
        tamper_ciphertext: bool = False,
    ) -> Signed:
        associated = "refund" if event_type.startswith("REFUND") else "transaction"
        encrypted = self.pay.encrypt(json.dumps(resource), associated)
        if tamper_ciphertext:
            raw = bytearray(base64.b64decode(encrypted["ciphertext"]))
            raw[0] ^= 0x01
            encrypted["ciphertext"] = base64.b64encode(bytes(raw)).decode()
        body = json.dumps(
            {
                "id": "EV-test",
                "create_time": "2026-12-01T10:00:00+08:00",
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功",
                "resource": {"original_type": associated, **encrypted},
            }
        )
        headers = self.pay.signed_headers(body)
        if timestamp is not None:
            headers["Wechatpay-Timestamp"] = str(timestamp)
        if nonce is not None:
            headers["Wechatpay-Nonce"] = nonce
        if serial is not None:
            headers["Wechatpay-Serial"] = serial
        if key is not None or timestamp is not None or nonce is not None:
            message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body}\n"
            signer = key or self.pay.platform_key
            signature = signer.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
            headers["Wechatpay-Signature"] = base64.b64encode(signature).decode()
        headers["Content-Type"] = "application/json"
        return Signed(headers, body.encode())


@pytest.fixture
def notification(sandbox):
    return NotificationMaker(sandbox.state.pay)
