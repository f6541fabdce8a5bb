"""WeChat Pay API v3 through wechatpayv3: the one place that knows where WeChat Pay is (the
sandbox in development and tests), that signs, sends, verifies and decrypts, and that maps
WeChat Pay's answers and errors to ours. Nothing here decides anything about money.

WeChat Pay signs its answers and notifications with its own key, named by `Wechatpay-Serial`:
merchants migrating from platform certificates to the WeChat Pay public key see both for a while,
so which ones we accept is a setting (`verify_mode`: `public_key`, `platform_certificate` or
`both`). wechatpayv3 checks signatures but neither the timestamp's age nor repeated nonces: the
caller does both (app/payments/notifications.py).
"""

from __future__ import annotations

import binascii
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import requests
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.utils import aes_decrypt, load_public_key, rsa_verify

log = logging.getLogger(__name__)

WECHATPAY_GATEWAY = "https://api.mch.weixin.qq.com"
CHINA = dt.timezone(dt.timedelta(hours=8))
SIGN_TYPE = "WECHATPAY2-SHA256-RSA2048"
VERIFY_MODES = ("public_key", "platform_certificate", "both")
# The parameters jsapi_params gives the page, as WeChat names them.
JSAPI_PARAMS = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")
# An unknown serial in platform-certificate mode means WeChat Pay rotated its certificate: they
# are fetched again, but no more often than this, so forged serials cannot make us call out.
CERTIFICATE_REFRESH_EVERY = 60  # seconds
# WeChat Pay's error codes that say "later, with the same request" rather than "no".
RETRYABLE_CODES = {"SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "NOT_ENOUGH"}


class PayError(Exception):
    """WeChat Pay did not do what was asked. `code` is WeChat Pay's (PARAM_ERROR, ORDERPAID …)."""

    def __init__(self, message: str, code: str = "", status: int | None = None):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.code in RETRYABLE_CODES


class NotConfigured(PayError):
    """No merchant account is configured (WECHATPAY_MCHID and its keys)."""


class BadNotification(Exception):
    """A notification that is not WeChat Pay's, or not intact: refused, nothing changes."""


@dataclass(frozen=True)
class PaySettings:
    mchid: str
    private_key: str  # the merchant's API private key (PEM)
    cert_serial_no: str  # the serial of the merchant's API certificate
    apiv3_key: str
    notify_url: str
    base_url: str = WECHATPAY_GATEWAY
    verify_mode: str = "public_key"
    public_key: str | None = None  # WeChat Pay's public key (PEM), public-key mode
    public_key_id: str | None = None  # its id, PUB_KEY_ID_…
    cert_dir: str | None = None  # where platform certificates are kept, platform-certificate mode
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Mapping) -> PaySettings | None:
        """The merchant account from settings (secrets read from the files they name); None when
        WeChat Pay is not configured. Raises: ValueError for a half-configured account."""
        mchid = settings.get("WECHATPAY_MCHID")
        if not mchid:
            return None
        mode = settings.get("WECHATPAY_VERIFY_MODE") or "public_key"
        if mode not in VERIFY_MODES:
            raise ValueError(f"WECHATPAY_VERIFY_MODE must be one of {', '.join(VERIFY_MODES)}")
        apiv3_key = settings.get("WECHATPAY_APIV3_KEY") or _read(
            settings.get("WECHATPAY_APIV3_KEY_PATH")
        )
        public_key = _read(settings.get("WECHATPAY_PUBLIC_KEY_PATH"))
        found = cls(
            mchid=mchid,
            private_key=_read(settings.get("WECHATPAY_PRIVATE_KEY_PATH")) or "",
            cert_serial_no=settings.get("WECHATPAY_CERT_SERIAL_NO") or "",
            apiv3_key=(apiv3_key or "").strip(),
            notify_url=settings.get("WECHATPAY_NOTIFY_URL") or "",
            base_url=(settings.get("WECHATPAY_BASE_URL") or WECHATPAY_GATEWAY).rstrip("/"),
            verify_mode=mode,
            public_key=public_key if mode != "platform_certificate" else None,
            public_key_id=settings.get("WECHATPAY_PUBLIC_KEY_ID")
            if mode != "platform_certificate"
            else None,
            cert_dir=settings.get("WECHATPAY_CERT_DIR"),
            timeout=float(settings.get("WECHATPAY_TIMEOUT_SECONDS") or 10),
        )
        missing = [
            name
            for name, value in (
                ("WECHATPAY_PRIVATE_KEY_PATH", found.private_key),
                ("WECHATPAY_CERT_SERIAL_NO", found.cert_serial_no),
                ("WECHATPAY_APIV3_KEY", found.apiv3_key),
                ("WECHATPAY_NOTIFY_URL", found.notify_url),
            )
            if not value
        ]
        if mode != "platform_certificate" and not (found.public_key and found.public_key_id):
            missing.append("WECHATPAY_PUBLIC_KEY_PATH and WECHATPAY_PUBLIC_KEY_ID")
        if missing:
            raise ValueError(f"WeChat Pay is half configured: missing {', '.join(missing)}")
        if len(found.apiv3_key) != 32:
            raise ValueError("WECHATPAY_APIV3_KEY must be the 32-character API v3 key")
        return found


def _read(path: str | None) -> str | None:
    return Path(path).read_text() if path and Path(path).exists() else None


class _Core(Core):
    """wechatpayv3's Core with our gateway in place from the start: in platform-certificate mode
    its constructor already downloads the certificates, from `_gate_way`, which it would set to
    WeChat's own address first."""

    def __init__(self, gateway: str, **kwargs):
        self.__dict__["_our_gateway"] = gateway
        super().__init__(**kwargs)

    def __setattr__(self, name, value):
        if name == "_gate_way":
            value = self.__dict__["_our_gateway"]
        super().__setattr__(name, value)


# The settings wechatpayv3's Core takes under the names PaySettings gives them.
_CORE_SETTINGS = (
    "mchid",
    "cert_serial_no",
    "private_key",
    "apiv3_key",
    "cert_dir",
    "timeout",
    "public_key",
    "public_key_id",
)


class _Client(WeChatPay):
    """A direct merchant's JSAPI client on `_Core`. WeChatPay's own constructor would build a
    Core pointed at WeChat; everything else (pay, query, refund, bills, sign) is the library's."""

    def __init__(self, s: PaySettings):  # replaces WeChatPay.__init__, which is not called
        self._type = WeChatPayType.JSAPI
        self._mchid = s.mchid
        self._appid = None  # every call names the app (official account or mini-program)
        self._notify_url = s.notify_url
        self._partner_mode = False
        self._core = _Core(
            gateway=s.base_url,
            **{name: getattr(s, name) for name in _CORE_SETTINGS},
            logger=None,
            proxy=None,
        )


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification: `resource` is the transaction or refund it reports."""

    id: str
    event_type: str
    timestamp: int
    nonce: str
    resource: dict


@dataclass(frozen=True)
class BillLine:
    """One line of a trade bill: a payment (`state` SUCCESS) or a refund (REFUND, REVOKED)."""

    at: str
    transaction_id: str
    out_trade_no: str
    state: str
    amount: Decimal  # what the payment settled (SUCCESS lines)
    out_refund_no: str
    refund_id: str
    refund: Decimal  # what was refunded (REFUND lines)


@dataclass(frozen=True)
class Bill:
    day: dt.date
    hash_value: str
    lines: list[BillLine]


class Gateway:
    """WeChat Pay for one merchant account; the client is built on first use (in
    platform-certificate mode that downloads the certificates) and shared by the process."""

    def __init__(self, settings: PaySettings | None):
        self.settings = settings
        self._client: _Client | None = None
        self._lock = threading.Lock()
        self._certificates_refreshed_at = 0.0
        self._public_key = (
            load_public_key(settings.public_key) if settings and settings.public_key else None
        )

    @property
    def configured(self) -> bool:
        return self.settings is not None

    def client(self) -> _Client:
        if self.settings is None:
            raise NotConfigured("未配置微信支付商户号")
        with self._lock:
            if self._client is None:
                try:
                    self._client = _Client(self.settings)
                except requests.RequestException as exc:
                    raise PayError(f"无法连接微信支付：{exc}") from None
                except Exception as exc:  # no platform certificate could be had
                    raise PayError(f"微信支付初始化失败：{exc}") from None
            return self._client

    def _call(self, fn, *args, **kwargs) -> tuple[int, object]:
        """Call one of the library's API functions; a network failure or an answer whose
        signature does not verify is a PayError that may be retried."""
        client = self.client()
        try:
            return fn(client, *args, **kwargs)
        except requests.RequestException as exc:
            raise PayError(f"微信支付无响应：{type(exc).__name__}") from None
        except Exception as exc:  # wechatpayv3 raises bare Exceptions (a signature that fails)
            raise PayError(f"微信支付应答无效：{exc}") from None

    @staticmethod
    def _error(code: int, text) -> PayError:
        try:
            body = json.loads(text)
        except (TypeError, ValueError):
            body = {}
        return PayError(
            body.get("message") or f"微信支付返回 {code}", body.get("code", ""), status=code
        )

    def _json(self, code: int, text, ok=(200,)) -> dict:
        if code not in ok:
            raise self._error(code, text)
        return json.loads(text) if text else {}

    # --- payments ---

    def jsapi_order(
        self,
        *,
        appid: str,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        openid: str,
        expire_at: dt.datetime,
        attach: str = "",
    ) -> str:
        """Place a JSAPI order (H5 in the official account, or the mini-program); returns the
        prepay_id. The same out_trade_no with the same content gives the same prepay_id."""
        code, text = self._call(
            WeChatPay.pay,
            description=description[:127],
            out_trade_no=out_trade_no,
            amount={"total": amount_fen, "currency": "CNY"},
            payer={"openid": openid},
            time_expire=expire_at.replace(tzinfo=dt.UTC)
            .astimezone(CHINA)
            .isoformat(timespec="seconds"),
            attach=attach or None,
            appid=appid,
        )
        return self._json(code, text)["prepay_id"]

    def jsapi_params(self, appid: str, prepay_id: str) -> dict:
        """What the page hands to WeixinJSBridge's getBrandWCPayRequest (and the mini-program to
        wx.requestPayment), signed with the merchant's key."""
        params = {
            "appId": appid,
            "timeStamp": str(int(time.time())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        signed = [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
        params["paySign"] = self.client().sign(signed)
        return params

    def query(self, out_trade_no: str) -> dict | None:
        """The transaction as WeChat Pay has it; None when WeChat Pay has no such order."""
        code, text = self._call(WeChatPay.query, out_trade_no=out_trade_no)
        if code == 404:
            return None
        return self._json(code, text)

    def close(self, out_trade_no: str) -> bool:
        """Close an unpaid order; False when it was paid meanwhile (ORDERPAID)."""
        code, text = self._call(WeChatPay.close, out_trade_no=out_trade_no)
        if code in (200, 204):
            return True
        error = self._error(code, text)
        if error.code == "ORDERPAID":
            return False
        if code == 404:  # never placed at WeChat Pay: nothing there to close
            return True
        raise error

    # --- refunds ---

    def refund(
        self, *, out_refund_no: str, out_trade_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> dict:
        """Ask for a refund; asking again with the same out_refund_no is safe."""
        code, text = self._call(
            WeChatPay.refund,
            out_refund_no=out_refund_no,
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            out_trade_no=out_trade_no,
            reason=reason[:80] or None,
        )
        return self._json(code, text)

    def query_refund(self, out_refund_no: str) -> dict | None:
        code, text = self._call(WeChatPay.query_refund, out_refund_no=out_refund_no)
        if code == 404:
            return None
        return self._json(code, text)

    # --- the trade bill ---

    def trade_bill(self, day: dt.date) -> Bill | None:
        """The day's trade bill (ALL), its SHA1 checked; None when WeChat Pay has none (no
        payment or refund that day). Raises: PayError, also when the file fails its hash."""
        code, text = self._call(WeChatPay.trade_bill, bill_date=day.isoformat(), bill_type="ALL")
        if code == 400 and self._error(code, text).code == "NO_STATEMENT_EXIST":
            return None
        info = self._json(code, text)
        code, content = self._call(WeChatPay.download_bill, url=info["download_url"])
        if code != 200:
            raise self._error(code, content)
        try:
            plain = gzip.decompress(content)
        except (OSError, EOFError):
            plain = content if isinstance(content, bytes) else str(content).encode()
        digest = hashlib.sha1(plain, usedforsecurity=False).hexdigest()
        if info.get("hash_type", "SHA1") != "SHA1" or digest != info.get("hash_value", "").lower():
            raise PayError("对账单文件与微信支付给出的摘要不符", "HASH_MISMATCH", status=None)
        return Bill(day, digest, parse_bill(plain.decode("utf-8-sig")))

    # --- notifications ---

    def _key_for(self, serial: str):
        """WeChat Pay's public key that `serial` names, in the accepted modes; None if unknown."""
        s = self.settings
        if s.verify_mode != "platform_certificate" and serial == s.public_key_id:
            return self._public_key
        if s.verify_mode == "public_key" or not re.fullmatch(r"[0-9A-Fa-f]{1,64}", serial):
            return None
        core = self.client()._core
        for attempt in range(2):
            for certificate in core._certificates:
                if certificate.serial_number == int(serial, 16):
                    return certificate.public_key()
            if (
                attempt
                or time.monotonic() - self._certificates_refreshed_at < CERTIFICATE_REFRESH_EVERY
            ):
                return None
            self._certificates_refreshed_at = time.monotonic()
            try:
                core._update_certificates()  # WeChat Pay rotated its certificate
            except Exception:
                log.warning("could not fetch WeChat Pay's platform certificates", exc_info=True)
                return None
        return None

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Check the signature over `timestamp\\nnonce\\nbody\\n` with the key `Wechatpay-Serial`
        names, and decrypt the resource with the API v3 key.

        Raises: NotConfigured, BadNotification (unsigned, wrongly signed, not decryptable)."""
        if self.settings is None:
            raise NotConfigured("未配置微信支付商户号")
        signature = headers.get("Wechatpay-Signature", "")
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce = headers.get("Wechatpay-Nonce", "")
        serial = headers.get("Wechatpay-Serial", "")
        if headers.get("Wechatpay-Signature-Type", SIGN_TYPE) != SIGN_TYPE:
            raise BadNotification("不支持的签名类型")
        if not (signature and timestamp.isdigit() and nonce and serial):
            raise BadNotification("缺少微信支付签名")
        key = self._key_for(serial)
        if key is None:
            raise BadNotification("未知的微信支付证书序列号")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadNotification("通知不是 UTF-8 文本") from None
        if not rsa_verify(timestamp, nonce, text, signature, key):
            raise BadNotification("签名校验失败")
        try:
            data = json.loads(text)
            resource = data["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise BadNotification("不支持的加密算法")
            plain = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=self.settings.apiv3_key,
            )
        except BadNotification:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise BadNotification("通知格式不正确") from None
        if plain is None:
            raise BadNotification("通知内容无法解密")
        try:
            decrypted = json.loads(plain)
        except ValueError:
            raise BadNotification("通知内容不是 JSON") from None
        if not isinstance(decrypted, dict):
            raise BadNotification("通知内容不正确")
        return Notification(
            id=str(data.get("id", "")),
            event_type=str(data.get("event_type", "")),
            timestamp=int(timestamp),
            nonce=nonce,
            resource=decrypted,
        )


def parse_bill(text: str) -> list[BillLine]:
    """WeChat Pay's trade bill (ALL): a header, detail lines whose every field starts with a
    backquote, then a summary header and line, which are not transactions."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    column = {name: i for i, name in enumerate(header)}
    lines = []
    for row in rows[1:]:
        if not row or row[0].strip() == "总交易单数":
            break
        values = [value.strip().removeprefix("`") for value in row]

        def get(name: str, values=values) -> str:
            i = column.get(name)
            return values[i] if i is not None and i < len(values) else ""

        lines.append(
            BillLine(
                at=get("交易时间"),
                transaction_id=get("微信订单号"),
                out_trade_no=get("商户订单号"),
                state=get("交易状态"),
                amount=Decimal(get("应结订单金额") or "0"),
                out_refund_no=get("商户退款单号") if get("商户退款单号") != "0" else "",
                refund_id=get("微信退款单号") if get("微信退款单号") != "0" else "",
                refund=Decimal(get("退款金额") or "0"),
            )
        )
    return lines


class GatewayHolder:
    """The process's WeChat Pay gateway (`wechat_pay.gateway`), set by app.bootstrap from settings."""

    def __init__(self):
        self.gateway = Gateway(None)

    def configure(self, settings: Mapping) -> None:
        pay = PaySettings.from_settings(settings)
        current = self.gateway.settings
        if current != pay:
            self.gateway = Gateway(pay)

    def use(self, gateway: Gateway) -> Gateway:
        """Swap in another gateway (tests of the other verification mode); returns the old one."""
        old, self.gateway = self.gateway, gateway
        return old


wechat_pay = GatewayHolder()
