"""WeChat Pay API v3 stand-in, registered into the sandbox app: JSAPI orders, query by
out_trade_no, close, refunds, the daily trade bill, and payment and refund notifications.

It speaks WeChat Pay's wire format, so the client under test is the one production uses:

* every request must carry a valid merchant signature (`Authorization: WECHATPAY2-SHA256-RSA2048
  mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…` over `METHOD\\nPATH\\nTS\\nNONCE\\nBODY\\n`),
  checked with the merchant's public key: a wrong key, serial or merchant, or a timestamp more
  than 5 minutes off, is a 401 SIGN_ERROR;
* every answer is signed (`Wechatpay-Signature` over `TS\\nNONCE\\nBODY\\n`) with WeChat Pay's key:
  in public-key mode `Wechatpay-Serial` is the public key id (PUB_KEY_ID_…), in
  platform-certificate mode the certificate's serial, and `/v3/certificates` serves the
  certificate encrypted with the API v3 key;
* notifications are signed the same way, their `resource` encrypted with AEAD_AES_256_GCM under
  the API v3 key, and sent again on WeChat's schedule (15 s, 15 s, 30 s, 3 min, … 15 tries in
  all), shortened by `schedule_scale`, until the merchant answers 2xx;
* the trade bill is WeChat's CSV (backquoted fields, a summary), gzipped, with the SHA1 of the
  plain file.

`make_keys(directory)` writes the key pairs (`make run` keeps them in instance/wechatpay/; the
tests in a temporary directory). Controls live under `/_sandbox/pay/`.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import itertools
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from flask import Blueprint, Flask, Response, jsonify, request

CHINA = dt.timezone(dt.timedelta(hours=8))
# The fixed identities of the sandbox's merchant and of WeChat Pay's keys (config/settings.py's
# development defaults name the same); the keys themselves are generated per checkout.
MCHID = "1900000109"
MERCHANT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD"
PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092024112000000000000"
# WeChat Pay sends a notification again after these many seconds, 15 tries in all.
NOTIFY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800)
NOTIFY_SCHEDULE += (21600, 21600)
SIGN_TYPE = "WECHATPAY2-SHA256-RSA2048"
OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
KEY_FILES = {
    "merchant_key": "apiclient_key.pem",
    "merchant_public": "apiclient_pub.pem",
    "platform_key": "platform_key.pem",
    "platform_cert": "platform_cert.pem",
    "platform_public": "pub_key.pem",
    "apiv3_key": "apiv3_key",
}
BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
BILL_SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def _pem_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def make_keys(directory: Path | str) -> Path:
    """The merchant's key pair, WeChat Pay's key pair with its platform certificate, and an API
    v3 key, in `directory` (kept when already there). Private files are readable by the owner only."""
    directory = Path(directory)
    if all((directory / name).exists() for name in KEY_FILES.values()):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (sandbox)")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(platform.public_key())
        .serial_number(int(PLATFORM_SERIAL, 16))
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(platform, hashes.SHA256())
    )
    files = {
        "merchant_key": _pem_private(merchant),
        "merchant_public": _pem_public(merchant.public_key()),
        "platform_key": _pem_private(platform),
        "platform_cert": certificate.public_bytes(serialization.Encoding.PEM),
        "platform_public": _pem_public(platform.public_key()),
        "apiv3_key": secrets.token_hex(16).encode(),  # 32 characters, as WeChat Pay's are
    }
    for key, content in files.items():
        path = directory / KEY_FILES[key]
        path.write_bytes(content)
        path.chmod(0o600)
    return directory


@dataclass
class PayState:
    """What the stand-in knows: the keys, the transactions, refunds and notifications sent."""

    keys: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    transactions: dict[str, dict] = field(default_factory=dict)  # out_trade_no → transaction
    refunds: dict[str, dict] = field(default_factory=dict)  # out_refund_no → refund
    notifications: list[dict] = field(default_factory=list)
    bill_edits: dict[str, dict] = field(default_factory=dict)  # date → edits (controls)
    downloads: dict[str, bytes] = field(default_factory=dict)  # token → gzipped bill
    sign_with: str = "public_key"  # or "platform_certificate"
    schedule_scale: float = 0.01
    fail_next: int = 0
    generation: int = 0  # bumped by reset: deliveries of an older generation stop
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self):
        make_keys(self.keys)
        read = {k: (self.keys / f).read_bytes() for k, f in KEY_FILES.items()}
        self.merchant_public = serialization.load_pem_public_key(read["merchant_public"])
        self.platform_key = serialization.load_pem_private_key(read["platform_key"], None)
        self.platform_cert_pem = read["platform_cert"].decode()
        self.apiv3_key = read["apiv3_key"].decode().strip()

    def reset(self) -> None:
        with self.lock:
            self.transactions.clear()
            self.refunds.clear()
            self.notifications.clear()
            self.bill_edits.clear()
            self.downloads.clear()
            self.sign_with = "public_key"
            self.schedule_scale = 0.01
            self.fail_next = 0
            self.generation += 1

    def next_id(self, kind: str) -> str:
        """A WeChat Pay transaction or refund id (28 or 29 digits); callable under the lock."""
        prefix = "42000" if kind == "transaction" else "503000"
        number = next(self.numbers)
        return (
            f"{prefix}{dt.datetime.now(CHINA):%Y%m%d}{secrets.randbelow(10**10):010d}{number:05d}"
        )

    # --- WeChat Pay's signatures and encryption ---

    @property
    def serial(self) -> str:
        return PUBLIC_KEY_ID if self.sign_with == "public_key" else PLATFORM_SERIAL

    def signed_headers(self, body: str) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        message = f"{timestamp}\n{nonce}\n{body}\n".encode()
        signature = self.platform_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": SIGN_TYPE,
            "Request-ID": secrets.token_hex(16),
        }

    def encrypt(self, plaintext: str, associated_data: str) -> dict:
        nonce = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), plaintext.encode(), associated_data.encode()
        )
        return {
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data,
            "nonce": nonce,
        }

    def check_merchant_signature(self) -> str | None:
        """Why the request's merchant signature fails, or None when it holds."""
        scheme, _, params = request.headers.get("Authorization", "").partition(" ")
        if scheme != SIGN_TYPE:
            return "Authorization 缺失或签名类型错误"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if fields.get("mchid") != MCHID:
            return "商户号与签名不符"
        if fields.get("serial_no") != MERCHANT_SERIAL:
            return "商户证书序列号错误"
        try:
            if abs(time.time() - int(fields.get("timestamp", ""))) > 300:
                return "请求时间戳已过期"
        except ValueError:
            return "时间戳无效"
        path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        body = request.get_data(as_text=True)
        message = f"{request.method}\n{path}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n"
        try:
            self.merchant_public.verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return "签名错误"
        return None

    def pay_sign_holds(self, params: dict, appid: str, prepay_id: str) -> bool:
        """What WeChat's client checks before showing the payment sheet: the jsapi block's paySign."""
        if params.get("package") != f"prepay_id={prepay_id}" or params.get("appId") != appid:
            return False
        message = "".join(
            f"{params.get(k, '')}\n" for k in ("appId", "timeStamp", "nonceStr", "package")
        )
        try:
            self.merchant_public.verify(
                base64.b64decode(params.get("paySign", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return True


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def _transaction_view(t: dict) -> dict:
    """A transaction as the query API and the notification show it."""
    view = {
        "appid": t["appid"],
        "mchid": t["mchid"],
        "out_trade_no": t["out_trade_no"],
        "trade_state": t["trade_state"],
        "trade_state_desc": {
            "NOTPAY": "未支付",
            "SUCCESS": "支付成功",
            "CLOSED": "已关闭",
            "REFUND": "转入退款",
        }[t["trade_state"]],
        "attach": t.get("attach", ""),
        "amount": {"total": t["amount"], "currency": "CNY"},
    }
    if t["trade_state"] in ("SUCCESS", "REFUND"):
        view.update(
            transaction_id=t["transaction_id"],
            trade_type="JSAPI",
            bank_type="OTHERS",
            success_time=_iso(t["success_time"]),
            payer={"openid": t["openid"]},
        )
        view["amount"].update(payer_total=t["amount"], payer_currency="CNY")
    return view


def _refund_view(r: dict) -> dict:
    view = {
        "refund_id": r["refund_id"],
        "out_refund_no": r["out_refund_no"],
        "transaction_id": r["transaction_id"],
        "out_trade_no": r["out_trade_no"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": _iso(r["created_at"]),
        "status": r["status"],
        "funds_account": "AVAILABLE",
        "amount": {
            "total": r["total"],
            "refund": r["refund"],
            "payer_total": r["total"],
            "payer_refund": r["refund"],
            "settlement_total": r["total"],
            "settlement_refund": r["refund"],
            "discount_refund": 0,
            "currency": "CNY",
        },
    }
    if r["status"] == "SUCCESS":
        view["success_time"] = _iso(r["succeeded_at"])
    return view


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def _bill_row(
    at: dt.datetime, t: dict, state: str, settled: int, refund: dict | None = None
) -> list:
    """One detail line of WeChat Pay's ALL bill, in its column order (BILL_HEADER)."""
    r = refund or {}
    refunded = r.get("refund", 0)
    return [
        f"{at.astimezone(CHINA):%Y-%m-%d %H:%M:%S}",
        t["appid"],
        MCHID,
        "0",
        "",
        t["transaction_id"],
        t["out_trade_no"],
        t["openid"],
        "JSAPI",
        state,
        "OTHERS",
        "CNY",
        _yuan(settled),
        "0.00",
        r.get("refund_id", "0"),
        r.get("out_refund_no", "0"),
        _yuan(refunded),
        "0.00",
        "ORIGINAL" if refund else "",
        r.get("status", ""),
        t["description"],
        t.get("attach", ""),
        f"{(settled - refunded) * 0.006 / 100:.5f}",
        "0.60%",
        _yuan(t["amount"]),
        _yuan(refunded),
        "",
    ]


def trade_bill(state: PayState, day: dt.date) -> str | None:
    """The day's ALL bill in WeChat's CSV (fields backquoted), or None when nothing happened."""
    edits = state.bill_edits.get(day.isoformat(), {})
    amounts, dropped = edits.get("amounts", {}), edits.get("drop", ())
    rows = []
    with state.lock:
        transactions = list(state.transactions.values())
        refunds = list(state.refunds.values())
    for t in transactions:
        paid_at = t.get("success_time")
        if paid_at is None or paid_at.astimezone(CHINA).date() != day:
            continue
        if t["out_trade_no"] not in dropped:
            settled = amounts.get(t["out_trade_no"], t["amount"])
            rows.append(_bill_row(paid_at, t, "SUCCESS", settled))
    for r in refunds:
        if r["created_at"].astimezone(CHINA).date() != day or r["status"] == "CLOSED":
            continue
        if r["out_refund_no"] not in dropped:
            changed = {**r, "refund": amounts.get(r["out_refund_no"], r["refund"])}
            t = state.transactions[r["out_trade_no"]]
            rows.append(_bill_row(r["created_at"], t, "REFUND", 0, changed))
    for extra in edits.get("extra", ()):  # a payment WeChat Pay has and the merchant does not
        unknown = {
            "appid": "wxsandboxofficialacct",
            "openid": "sandbox-unknown-payer",
            "description": "未知商品",
            **extra,
        }
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=CHINA)
        rows.append(_bill_row(noon, unknown, "SUCCESS", extra["amount"]))
    if not rows:
        return None
    paid = [row for row in rows if row[9] == "SUCCESS"]
    settled = sum(round(float(row[12]) * 100) for row in paid)
    refunded = sum(round(float(row[16]) * 100) for row in rows if row[9] == "REFUND")
    fees = sum(float(row[22]) for row in rows)
    lines = [BILL_HEADER]
    lines += [",".join(f"`{value}" for value in row) for row in rows]
    lines.append(BILL_SUMMARY)
    summary = [len(rows), _yuan(settled), _yuan(refunded), "0.00", f"{fees:.5f}"]
    summary += [_yuan(settled), _yuan(refunded)]
    lines.append(",".join(f"`{value}" for value in summary))
    return "\r\n".join(lines) + "\r\n"


def _deliver(state: PayState, entry: dict, url: str, body_of, generation: int) -> None:
    """Send one notification until the merchant answers 2xx, on WeChat's schedule (scaled)."""
    for attempt in range(1, len(NOTIFY_SCHEDULE) + 2):
        if state.generation != generation:
            return
        body = body_of()
        headers = {**state.signed_headers(body), "Content-Type": "application/json"}
        try:
            answer = requests.post(url, data=body.encode(), headers=headers, timeout=5)
            status, text = answer.status_code, answer.text[:500]
        except requests.RequestException as exc:
            status, text = None, f"{type(exc).__name__}: {exc}"[:500]
        with state.lock:
            entry["attempts"].append({"at": time.time(), "status": status, "answer": text})
            entry["delivered"] = status is not None and 200 <= status < 300
        if entry["delivered"] or attempt > len(NOTIFY_SCHEDULE):
            return
        time.sleep(NOTIFY_SCHEDULE[attempt - 1] * state.schedule_scale)


def notify(state: PayState, kind: str, key: str) -> dict:
    """Send the notification of a transaction (`kind` "transaction") or a refund, in a thread of
    its own; returns its record in /_sandbox/pay/notifications."""
    with state.lock:
        if kind == "transaction":
            item = state.transactions[key]
            event_type, summary = "TRANSACTION.SUCCESS", "支付成功"
            out_trade_no, url = key, item["notify_url"]
        else:
            item = state.refunds[key]
            event_type = f"REFUND.{item['status']}"
            summary = {"SUCCESS": "退款成功", "CLOSED": "退款关闭", "ABNORMAL": "退款异常"}.get(
                item["status"], "退款状态变更"
            )
            out_trade_no, url = item["out_trade_no"], item["notify_url"]
        entry = {
            "id": f"EV-{secrets.token_hex(10)}",
            "kind": kind,
            "event_type": event_type,
            "out_trade_no": out_trade_no,
            "out_refund_no": key if kind == "refund" else None,
            "url": url,
            "attempts": [],
            "delivered": False,
        }
        state.notifications.append(entry)
        generation = state.generation

    def body_of() -> str:
        with state.lock:
            if kind == "transaction":
                resource = _transaction_view(state.transactions[key])
            else:
                r = state.refunds[key]
                resource = {
                    "mchid": MCHID,
                    "out_trade_no": r["out_trade_no"],
                    "transaction_id": r["transaction_id"],
                    "out_refund_no": r["out_refund_no"],
                    "refund_id": r["refund_id"],
                    "refund_status": r["status"],
                    "user_received_account": "支付用户零钱",
                    "amount": {
                        "total": r["total"],
                        "refund": r["refund"],
                        "payer_total": r["total"],
                        "payer_refund": r["refund"],
                    },
                }
                if r["status"] == "SUCCESS":
                    resource["success_time"] = _iso(r["succeeded_at"])
        associated = "transaction" if kind == "transaction" else "refund"
        return json.dumps(
            {
                "id": entry["id"],
                "create_time": _iso(dt.datetime.now(dt.UTC)),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": {
                    "original_type": associated,
                    **state.encrypt(json.dumps(resource, ensure_ascii=False), associated),
                },
            },
            ensure_ascii=False,
        )

    threading.Thread(
        target=_deliver, args=(state, entry, url, body_of, generation), daemon=True
    ).start()
    return entry


def register(app: Flask, state: PayState) -> None:
    """Add WeChat Pay's API and its controls to the sandbox app."""
    bp = Blueprint("wechatpay", __name__)

    def answer(body: dict | None, status: int = 200) -> Response:
        text = json.dumps(body, ensure_ascii=False) if body is not None else ""
        response = Response(text, status=status, mimetype="application/json")
        response.headers.update(state.signed_headers(text))
        return response

    def error(status: int, code: str, message: str) -> Response:
        return answer({"code": code, "message": message}, status)

    @bp.before_request
    def merchant_signed():
        if request.path.startswith("/_sandbox"):
            return None
        with state.lock:
            if state.fail_next > 0:
                state.fail_next -= 1
                return error(500, "SYSTEM_ERROR", "系统错误")
        problem = state.check_merchant_signature()
        return error(401, "SIGN_ERROR", problem) if problem else None

    @bp.get("/v3/certificates")
    def certificates():
        """The platform certificate, encrypted with the API v3 key (platform-certificate mode)."""
        now = dt.datetime.now(dt.UTC)
        return answer(
            {
                "data": [
                    {
                        "serial_no": PLATFORM_SERIAL,
                        "effective_time": _iso(now - dt.timedelta(days=1)),
                        "expire_time": _iso(now + dt.timedelta(days=3650)),
                        "encrypt_certificate": state.encrypt(
                            state.platform_cert_pem, "certificate"
                        ),
                    }
                ]
            }
        )

    @bp.post("/v3/pay/transactions/jsapi")
    def jsapi():
        body = request.get_json(silent=True) or {}
        amount = body.get("amount") or {}
        out_trade_no = str(body.get("out_trade_no", ""))
        notify_url = str(body.get("notify_url", ""))
        if body.get("mchid") != MCHID or not body.get("appid"):
            return error(400, "PARAM_ERROR", "appid 或 mchid 无效")
        if not OUT_NO.match(out_trade_no):
            return error(400, "PARAM_ERROR", "out_trade_no 须为 6-32 位字母、数字或 _-|*")
        if not body.get("description") or len(body["description"]) > 127:
            return error(400, "PARAM_ERROR", "description 无效")
        if not isinstance(amount.get("total"), int) or amount["total"] <= 0:
            return error(400, "PARAM_ERROR", "amount.total 须为正整数（分）")
        if amount.get("currency", "CNY") != "CNY":
            return error(400, "PARAM_ERROR", "currency 仅支持 CNY")
        if not (body.get("payer") or {}).get("openid"):
            return error(400, "PARAM_ERROR", "payer.openid 必填")
        if not notify_url.startswith(("https://", "http://127.", "http://localhost")) or (
            "?" in notify_url
        ):
            return error(400, "PARAM_ERROR", "notify_url 须为 https 且不能携带参数")
        with state.lock:
            existing = state.transactions.get(out_trade_no)
            if existing is not None:
                if existing["trade_state"] == "SUCCESS":
                    return error(400, "ORDERPAID", "该订单已支付")
                if existing["trade_state"] == "CLOSED":
                    return error(400, "ORDER_CLOSED", "该订单已关闭")
                same = (existing["amount"], existing["openid"], existing["appid"]) == (
                    amount["total"],
                    body["payer"]["openid"],
                    body["appid"],
                )
                if not same:
                    return error(400, "INVALID_REQUEST", "201 商户订单号重复")
                return answer({"prepay_id": existing["prepay_id"]})
            prepay_id = f"wx{dt.datetime.now(CHINA):%d%H%M%S}{secrets.token_hex(12)}"
            state.transactions[out_trade_no] = {
                "appid": body["appid"],
                "mchid": MCHID,
                "out_trade_no": out_trade_no,
                "description": body["description"],
                "attach": body.get("attach", ""),
                "amount": amount["total"],
                "openid": body["payer"]["openid"],
                "notify_url": notify_url,
                "prepay_id": prepay_id,
                "trade_state": "NOTPAY",
                "refunded": 0,
            }
        return answer({"prepay_id": prepay_id})

    @bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
    def query(out_trade_no):
        with state.lock:
            found = state.transactions.get(out_trade_no)
            view = _transaction_view(found) if found else None
        if view is None or request.args.get("mchid") != MCHID:
            return error(404, "ORDER_NOT_EXIST", "订单不存在")
        return answer(view)

    @bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
    def close(out_trade_no):
        with state.lock:
            found = state.transactions.get(out_trade_no)
            if found is None:
                return error(404, "ORDER_NOT_EXIST", "订单不存在")
            if found["trade_state"] in ("SUCCESS", "REFUND"):
                return error(400, "ORDERPAID", "订单已支付")
            found["trade_state"] = "CLOSED"
        return answer(None, 204)

    @bp.post("/v3/refund/domestic/refunds")
    def refund():
        body = request.get_json(silent=True) or {}
        amount = body.get("amount") or {}
        out_refund_no = str(body.get("out_refund_no", ""))
        if not OUT_NO.match(out_refund_no):
            return error(400, "PARAM_ERROR", "out_refund_no 无效")
        with state.lock:
            existing = state.refunds.get(out_refund_no)
            if existing is not None:  # the same refund asked again: WeChat answers it as it is
                return answer(_refund_view(existing))
            t = state.transactions.get(body.get("out_trade_no", ""))
            if t is None and body.get("transaction_id"):
                t = next(
                    (
                        x
                        for x in state.transactions.values()
                        if x.get("transaction_id") == body["transaction_id"]
                    ),
                    None,
                )
            if t is None or t["trade_state"] not in ("SUCCESS", "REFUND"):
                return error(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
            wanted = amount.get("refund")
            if not isinstance(wanted, int) or wanted <= 0 or amount.get("total") != t["amount"]:
                return error(400, "PARAM_ERROR", "退款金额或订单金额无效")
            if t["refunded"] + wanted > t["amount"]:
                return error(403, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            t["refunded"] += wanted
            t["trade_state"] = "REFUND"
            now = dt.datetime.now(dt.UTC)
            record = {
                "refund_id": state.next_id("refund"),
                "out_refund_no": out_refund_no,
                "out_trade_no": t["out_trade_no"],
                "transaction_id": t["transaction_id"],
                "total": t["amount"],
                "refund": wanted,
                "status": "PROCESSING",
                "created_at": now,
                "notify_url": body.get("notify_url") or t["notify_url"],
                "reason": body.get("reason", ""),
            }
            state.refunds[out_refund_no] = record
            view = _refund_view(record)
        return answer(view)

    @bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
    def query_refund(out_refund_no):
        with state.lock:
            found = state.refunds.get(out_refund_no)
            view = _refund_view(found) if found else None
        if view is None:
            return error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return answer(view)

    @bp.get("/v3/bill/tradebill")
    def tradebill():
        try:
            day = dt.date.fromisoformat(request.args.get("bill_date", ""))
        except ValueError:
            return error(400, "PARAM_ERROR", "bill_date 格式应为 yyyy-MM-DD")
        today = dt.datetime.now(CHINA).date()
        if not today - dt.timedelta(days=92) <= day < today:
            return error(400, "INVALID_REQUEST", "只能下载三个月内、今天以前的账单")
        csv = trade_bill(state, day)
        if csv is None:
            return error(400, "NO_STATEMENT_EXIST", "要查询的账单不存在")
        plain = csv.encode()
        digest = hashlib.sha1(plain, usedforsecurity=False).hexdigest()
        if state.bill_edits.get(day.isoformat(), {}).get("corrupt"):
            plain += b"`tampered in transit\r\n"
        token = secrets.token_urlsafe(24)
        tar = request.args.get("tar_type") == "GZIP"
        with state.lock:
            state.downloads[token] = gzip.compress(plain) if tar else plain
        return answer(
            {
                "hash_type": "SHA1",
                "hash_value": digest,
                "download_url": f"{request.host_url}v3/billdownload/file?token={token}",
            }
        )

    @bp.get("/v3/billdownload/file")
    def download():
        with state.lock:
            content = state.downloads.pop(request.args.get("token", ""), None)
        if content is None:
            return error(400, "INVALID_REQUEST", "下载地址已失效")
        # As WeChat: the file itself is not signed (clients skip verification here).
        return Response(content, mimetype="application/octet-stream")

    # --- controls: the payer, notifications, bills, failures ---

    @bp.post("/_sandbox/pay/<out_trade_no>/pay")
    def payer_pays(out_trade_no):
        """The payer confirms the payment sheet. Optional body: `jsapi` (checked as WeChat's
        client checks it), `paid_at` (ISO time; to make yesterday's bill), `notify` (false: pay
        without sending the notification, as when WeChat's notification is lost)."""
        body = request.get_json(silent=True) or {}
        with state.lock:
            t = state.transactions.get(out_trade_no)
            if t is None:
                return jsonify({"error": "unknown out_trade_no"}), 404
            if t["trade_state"] != "NOTPAY":
                return jsonify({"error": f"transaction is {t['trade_state']}"}), 409
            if body.get("jsapi") is not None and not state.pay_sign_holds(
                body["jsapi"], t["appid"], t["prepay_id"]
            ):
                return jsonify({"error": "paySign does not verify"}), 400
            paid_at = body.get("paid_at")
            t["success_time"] = (
                dt.datetime.fromisoformat(paid_at) if paid_at else dt.datetime.now(dt.UTC)
            )
            t["trade_state"] = "SUCCESS"
            t["transaction_id"] = state.next_id("transaction")
        entry = notify(state, "transaction", out_trade_no) if body.get("notify", True) else None
        return jsonify({"transaction_id": t["transaction_id"], "notification": entry})

    @bp.post("/_sandbox/pay/transactions")
    def seed_transaction():
        """Seeding: a transaction paid earlier (`out_trade_no`, `transaction_id`, `appid`,
        `openid`, `amount` in fen, `success_time` ISO, optional `attach`, `description`,
        `notify_url`) with the refunds WeChat Pay took on it (`refunds`: [{`out_refund_no`,
        `refund_id`, `refund` in fen, `status` PROCESSING, SUCCESS, CLOSED or ABNORMAL,
        `created_at` ISO}]). One WeChat Pay already has is kept as it is (200)."""
        body = request.get_json(silent=True) or {}
        out_trade_no = str(body.get("out_trade_no", ""))
        fields = ("transaction_id", "appid", "openid", "success_time")
        if not OUT_NO.match(out_trade_no) or not all(body.get(k) for k in fields):
            return jsonify({"error": f"out_trade_no, {', '.join(fields)} required"}), 400
        if not isinstance(body.get("amount"), int) or body["amount"] <= 0:
            return jsonify({"error": "amount is a positive number of fen"}), 400
        refunds = body.get("refunds") or []
        with state.lock:
            if out_trade_no in state.transactions:
                return jsonify({"out_trade_no": out_trade_no, "created": False}), 200
            refunded = sum(int(r["refund"]) for r in refunds if r.get("status") != "CLOSED")
            state.transactions[out_trade_no] = {
                "appid": body["appid"],
                "mchid": MCHID,
                "out_trade_no": out_trade_no,
                "description": body.get("description") or out_trade_no,
                "attach": body.get("attach", ""),
                "amount": body["amount"],
                "openid": body["openid"],
                "notify_url": body.get("notify_url", ""),
                "prepay_id": f"wx{secrets.token_hex(14)}",
                "trade_state": "REFUND" if refunded else "SUCCESS",
                "transaction_id": str(body["transaction_id"]),
                "success_time": dt.datetime.fromisoformat(body["success_time"]),
                "refunded": refunded,
            }
            for r in refunds:
                created = dt.datetime.fromisoformat(r["created_at"])
                state.refunds.setdefault(
                    str(r["out_refund_no"]),
                    {
                        "refund_id": str(r["refund_id"]),
                        "out_refund_no": str(r["out_refund_no"]),
                        "out_trade_no": out_trade_no,
                        "transaction_id": str(body["transaction_id"]),
                        "total": body["amount"],
                        "refund": int(r["refund"]),
                        "status": r.get("status", "SUCCESS"),
                        "created_at": created,
                        "succeeded_at": created,
                        "notify_url": body.get("notify_url", ""),
                        "reason": "",
                    },
                )
        return jsonify({"out_trade_no": out_trade_no, "created": True}), 201

    @bp.post("/_sandbox/pay/<out_trade_no>/renotify")
    def renotify(out_trade_no):
        with state.lock:
            t = state.transactions.get(out_trade_no)
        if t is None or t["trade_state"] not in ("SUCCESS", "REFUND"):
            return jsonify({"error": "no paid transaction with this out_trade_no"}), 404
        return jsonify(notify(state, "transaction", out_trade_no))

    @bp.post("/_sandbox/pay/refunds/<out_refund_no>/finish")
    def finish_refund(out_refund_no):
        """The refund reaches the payer (`status` SUCCESS, the default) or ends CLOSED or
        ABNORMAL; the refund notification goes out (unless `notify` is false)."""
        body = request.get_json(silent=True) or {}
        status = body.get("status", "SUCCESS")
        with state.lock:
            r = state.refunds.get(out_refund_no)
            if r is None or r["status"] != "PROCESSING":
                return jsonify({"error": "no processing refund with this number"}), 404
            if status not in ("SUCCESS", "CLOSED", "ABNORMAL"):
                return jsonify({"error": "status is SUCCESS, CLOSED or ABNORMAL"}), 400
            r["status"] = status
            r["succeeded_at"] = dt.datetime.now(dt.UTC)
            if status == "CLOSED":
                state.transactions[r["out_trade_no"]]["refunded"] -= r["refund"]
        entry = notify(state, "refund", out_refund_no) if body.get("notify", True) else None
        return jsonify({"refund_id": r["refund_id"], "notification": entry})

    @bp.get("/_sandbox/pay/notifications")
    def notifications():
        out_trade_no = request.args.get("out_trade_no")
        with state.lock:
            items = [
                {**n, "attempts": list(n["attempts"])}
                for n in state.notifications
                if not out_trade_no or n["out_trade_no"] == out_trade_no
            ]
        return jsonify({"items": items, "total": len(items)})

    @bp.get("/_sandbox/pay/transactions/<out_trade_no>")
    def transaction(out_trade_no):
        with state.lock:
            t = state.transactions.get(out_trade_no)
            view = {**_transaction_view(t), "prepay_id": t["prepay_id"]} if t else None
        return (jsonify(view), 200) if view else (jsonify({"error": "unknown"}), 404)

    @bp.post("/_sandbox/pay/bill/<day>")
    def edit_bill(day):
        """Make a day's bill disagree with the merchant: `drop` (out_trade_no / out_refund_no
        WeChat Pay does not list), `amounts` ({number: fen}), `extra` ([{out_trade_no,
        transaction_id, amount}] only WeChat Pay has), `corrupt` (the file no longer matches
        its hash)."""
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.bill_edits[day] = {
                "drop": list(body.get("drop", [])),
                "amounts": dict(body.get("amounts", {})),
                "extra": list(body.get("extra", [])),
                "corrupt": bool(body.get("corrupt", False)),
            }
        return jsonify({"ok": True})

    @bp.post("/_sandbox/pay/settings")
    def settings():
        """`sign_with` ("public_key" or "platform_certificate"), `schedule_scale` (how much
        shorter than WeChat's the retry schedule is), `fail_next` (answer 500 SYSTEM_ERROR)."""
        body = request.get_json(silent=True) or {}
        with state.lock:
            if body.get("sign_with") in ("public_key", "platform_certificate"):
                state.sign_with = body["sign_with"]
            if "schedule_scale" in body:
                state.schedule_scale = float(body["schedule_scale"])
            if "fail_next" in body:
                state.fail_next = int(body["fail_next"])
        return jsonify({"ok": True})

    @bp.post("/_sandbox/pay/reset")
    def reset():
        state.reset()
        return jsonify({"ok": True})

    app.register_blueprint(bp)
