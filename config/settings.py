"""Class-based settings read from the environment; nothing else in the code reads os.environ."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


INSTANCE_DIR = Path(env("INSTANCE_DIR", str(ROOT / "instance")))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def _local_secret_key() -> str:
    """A per-checkout random key for development, kept in instance/ so every worker shares it."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class BaseConfig:
    ENV_NAME = "base"
    TESTING = False
    SECRET_KEY = env("SECRET_KEY")
    DATABASE_URL = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'dealer_mall.db'}")
    DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 20)
    REDIS_URL = env("REDIS_URL")
    TIMEZONE = env("TIMEZONE", "Asia/Shanghai")
    PORT = env_int("PORT", 5000)
    TOKEN_TTL_SECONDS = env_int("TOKEN_TTL_SECONDS", 7 * 24 * 3600)
    LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 20)
    # The mini-program's app credentials (code2Session, subscribe messages).
    WECHAT_APPID = env("WECHAT_APPID")
    WECHAT_SECRET = env("WECHAT_SECRET")
    WECHAT_API_BASE_URL = env("WECHAT_API_BASE_URL")
    # Where WeChat's browser is sent to sign in to the H5 pages (OAuth authorize).
    WECHAT_OPEN_BASE_URL = env("WECHAT_OPEN_BASE_URL", "https://open.weixin.qq.com")
    WECHAT_TIMEOUT_SECONDS = env_int("WECHAT_TIMEOUT_SECONDS", 5)
    # The official account (服务号): template messages, the callback, OAuth for H5 pages.
    WECHAT_OA_APPID = env("WECHAT_OA_APPID")
    WECHAT_OA_SECRET = env("WECHAT_OA_SECRET")
    WECHAT_OA_TOKEN = env("WECHAT_OA_TOKEN")
    WECHAT_OA_AES_KEY = env("WECHAT_OA_AES_KEY")
    # Template / subscribe-message template ids for order status messages.
    # Template ids per message kind (docs/wechat.md: which to apply for, their keywords).
    WECHAT_TEMPLATE_ORDER_STATUS = env("WECHAT_TEMPLATE_ORDER_STATUS", "order-status")
    WECHAT_TEMPLATE_ORDER_SHIPPED = env("WECHAT_TEMPLATE_ORDER_SHIPPED", "order-shipped")
    WECHAT_TEMPLATE_STAFF_TASK = env("WECHAT_TEMPLATE_STAFF_TASK", "staff-task")
    WECHAT_SUBSCRIBE_ORDER_STATUS = env("WECHAT_SUBSCRIBE_ORDER_STATUS", "order-status")
    WECHAT_SUBSCRIBE_ORDER_SHIPPED = env("WECHAT_SUBSCRIBE_ORDER_SHIPPED", "order-shipped")
    # Where people and WeChat reach the app (scheme, host and port, no trailing slash): the one
    # source of every absolute link sent out (OAuth redirect_uri, invitation links and QR codes,
    # links in WeChat messages and SMS). Never taken from a request's Host header.
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
    # Where the H5 pages are: PUBLIC_BASE_URL/h5 unless set on its own.
    H5_BASE_URL = env("H5_BASE_URL", f"{PUBLIC_BASE_URL}/h5").rstrip("/")
    # The official account as people are asked to follow it (messages reach followers only): its
    # name, and the link its QR code holds (http://weixin.qq.com/r/…, from the WeChat platform);
    # the pages draw that QR code themselves, as an image WeChat recognises on a long press.
    WECHAT_OA_NAME = env("WECHAT_OA_NAME", "订货商城")
    WECHAT_OA_FOLLOW_URL = env("WECHAT_OA_FOLLOW_URL", "")
    # The customer service line dealers call from the 我的 page (tel: link).
    SERVICE_PHONE = env("SERVICE_PHONE", "")
    # H5 pages: signed out after this many idle minutes (WeChat signs them in again silently).
    H5_IDLE_MINUTES = env_int("H5_IDLE_MINUTES", 120)
    REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", "dm")
    # Field work: how close to the store a rep must be to check in, and photo uploads.
    CHECKIN_RADIUS_M = env_int("CHECKIN_RADIUS_M", 500)
    PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
    UPLOAD_DIR = env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
    # SMS: console (development: logged) or tencent (Tencent Cloud SMS through its official SDK).
    SMS_PROVIDER = env("SMS_PROVIDER", "console")
    SMS_ENDPOINT = env("SMS_ENDPOINT", "sms.tencentcloudapi.com")  # host[:port]
    SMS_REGION = env("SMS_REGION", "ap-guangzhou")
    SMS_SECRET_ID = env("SMS_SECRET_ID")
    SMS_SECRET_KEY = env("SMS_SECRET_KEY")
    SMS_SDK_APP_ID = env("SMS_SDK_APP_ID")
    SMS_SIGN_NAME = env("SMS_SIGN_NAME", "订货商城")
    # Approved SMS template ids per message kind (docs/wechat.md: the texts to register).
    SMS_TEMPLATE_ORDER_STATUS = env("SMS_TEMPLATE_ORDER_STATUS", "1000001")
    SMS_TEMPLATE_STAFF_TASK = env("SMS_TEMPLATE_STAFF_TASK", "1000002")
    SMS_TEMPLATE_INVITATION = env("SMS_TEMPLATE_INVITATION", "1000003")
    # Invitation SMS: at most this many to one phone number a day.
    SMS_INVITATIONS_PER_PHONE_DAY = env_int("SMS_INVITATIONS_PER_PHONE_DAY", 3)
    # Deliver notifications from a task queued at commit (off in tests, which run the worker).
    NOTIFY_ENQUEUE = env("NOTIFY_ENQUEUE", "1") == "1"
    # Admin console sessions: signed cookie, signed out after idle minutes or absolute hours.
    CONSOLE_IDLE_MINUTES = env_int("CONSOLE_IDLE_MINUTES", 30)
    CONSOLE_SESSION_HOURS = env_int("CONSOLE_SESSION_HOURS", 12)
    SESSION_COOKIE_NAME = "dm_console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", "0") == "1"
    # CSRF is checked by the console's forms (the JSON APIs use bearer tokens, not cookies).
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the console session
    # The OpenAPI document and interactive docs: public, or for signed-in staff only.
    API_DOCS_PUBLIC = env("API_DOCS_PUBLIC", "1") == "1"
    RATELIMIT_LOGIN = env("RATELIMIT_LOGIN", "20 per minute")
    RATELIMIT_ORDERS = env("RATELIMIT_ORDERS", "60 per minute")
    RATELIMIT_API_KEYS = env("RATELIMIT_API_KEYS", "600 per minute")  # per API key
    # Webhook URLs on private or loopback addresses: development and tests only.
    WEBHOOK_ALLOW_PRIVATE = env("WEBHOOK_ALLOW_PRIVATE", "0") == "1"
    # Online shops: where the platforms' open APIs are (unset: each platform's own gateway;
    # the sandbox in development and tests), how often orders are downloaded, how soon a change
    # of stock must reach every shop, and the electronic waybill service (快递鸟-style).
    SHOP_API_BASE_URL = env("SHOP_API_BASE_URL")
    SHOP_SYNC_SECONDS = env_int("SHOP_SYNC_SECONDS", 60)
    STOCK_SYNC_SECONDS = env_int("STOCK_SYNC_SECONDS", 10)
    WAYBILL_API_BASE_URL = env("WAYBILL_API_BASE_URL", "https://api.kdniao.com")
    WAYBILL_BUSINESS_ID = env("WAYBILL_BUSINESS_ID")
    WAYBILL_APP_KEY = env("WAYBILL_APP_KEY")
    SHOP_SENDER_NAME = env("SHOP_SENDER_NAME", "发货仓")
    SHOP_SENDER_PHONE = env("SHOP_SENDER_PHONE", "")
    # How many reverse proxies (nginx, a cloud load balancer) stand in front of the app: the
    # client's address and scheme are taken from that many X-Forwarded-For/-Proto entries, counted
    # from the right (what the proxies wrote). 0: no proxy; the headers are ignored.
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    # Log lines: "json" (one object a line, with the request id), "text", or "" to leave logging
    # as the host process set it up (the tests).
    LOG_FORMAT = env("LOG_FORMAT", "text")
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    # /metrics (Prometheus): readable with `Authorization: Bearer METRICS_TOKEN`, or from the
    # comma-separated networks in METRICS_ALLOW_FROM; with neither, it does not exist (404).
    METRICS_TOKEN = env("METRICS_TOKEN")
    METRICS_ALLOW_FROM = env("METRICS_ALLOW_FROM", "")
    # Where gunicorn's worker processes keep their metrics so that /metrics adds them up (set by
    # the systemd unit; unset: one process's own metrics).
    PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
    # Reports read from this streaming replica when set, and from the primary while the replica
    # is down or further behind than REPORTS_MAX_LAG_SECONDS.
    REPORTS_DATABASE_URL = env("REPORTS_DATABASE_URL")
    REPORTS_MAX_LAG_SECONDS = env_int("REPORTS_MAX_LAG_SECONDS", 30)
    # PostgreSQL itself, not PgBouncer: `flask backup` and `flask restore` need a session of their
    # own (pg_dump sets session parameters). Defaults to DATABASE_URL.
    DIRECT_DATABASE_URL = env("DIRECT_DATABASE_URL")
    # WeChat's domain verification files, served at the site's root: "NAME=CONTENT" pairs
    # separated by spaces, e.g. "MP_verify_AbC123.txt=AbC123" (docs/deploy.md).
    WECHAT_VERIFY_FILES = env("WECHAT_VERIFY_FILES", "")
    # When set (nginx), uploaded photos are sent by nginx from this internal location once the
    # app has checked who may see them (X-Accel-Redirect); unset, the app sends the bytes.
    UPLOADS_ACCEL_PREFIX = env("UPLOADS_ACCEL_PREFIX", "")
    # Product images (docs/deploy.md): JPEG, PNG or WebP up to PRODUCT_IMAGE_MAX_BYTES, at most
    # PRODUCT_IMAGES_MAX per product. Kept under UPLOAD_DIR, or with STORAGE_BACKEND=s3 in an
    # S3-compatible bucket (S3_*). Browsers fetch them from MEDIA_BASE_URL (a CDN, the public
    # bucket) when set, else from the app at /media/.
    PRODUCT_IMAGE_MAX_BYTES = env_int("PRODUCT_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
    PRODUCT_IMAGES_MAX = env_int("PRODUCT_IMAGES_MAX", 9)
    STORAGE_BACKEND = env("STORAGE_BACKEND", "local")  # local | s3
    S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")  # unset: AWS itself
    S3_BUCKET = env("S3_BUCKET")
    S3_REGION = env("S3_REGION", "us-east-1")
    S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY")
    MEDIA_BASE_URL = (env("MEDIA_BASE_URL", "") or "").rstrip("/")
    INSTANCE_DIR = str(INSTANCE_DIR)
    # WeChat Pay (API v3), docs/payments.md: the merchant account, its keys (files, never values
    # in code), which of WeChat Pay's keys notifications may be signed with, where they come to.
    WECHATPAY_MCHID = env("WECHATPAY_MCHID")
    WECHATPAY_PRIVATE_KEY_PATH = env("WECHATPAY_PRIVATE_KEY_PATH")
    WECHATPAY_CERT_SERIAL_NO = env("WECHATPAY_CERT_SERIAL_NO")
    WECHATPAY_APIV3_KEY = env("WECHATPAY_APIV3_KEY")
    WECHATPAY_APIV3_KEY_PATH = env("WECHATPAY_APIV3_KEY_PATH")
    WECHATPAY_VERIFY_MODE = env("WECHATPAY_VERIFY_MODE", "public_key")
    WECHATPAY_PUBLIC_KEY_PATH = env("WECHATPAY_PUBLIC_KEY_PATH")
    WECHATPAY_PUBLIC_KEY_ID = env("WECHATPAY_PUBLIC_KEY_ID")
    WECHATPAY_CERT_DIR = env("WECHATPAY_CERT_DIR")
    WECHATPAY_NOTIFY_URL = env("WECHATPAY_NOTIFY_URL")
    WECHATPAY_BASE_URL = env("WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com")
    WECHATPAY_TIMEOUT_SECONDS = env_int("WECHATPAY_TIMEOUT_SECONDS", 10)
    # A payment with no notification after this long is asked about; unpaid after the expiry it
    # is closed (WeChat Pay's order expires at the same moment).
    PAYMENT_QUERY_AFTER_SECONDS = env_int("PAYMENT_QUERY_AFTER_SECONDS", 120)
    PAYMENT_EXPIRE_MINUTES = env_int("PAYMENT_EXPIRE_MINUTES", 30)
    INVOICE_FILE_MAX_BYTES = env_int("INVOICE_FILE_MAX_BYTES", 5 * 1024 * 1024)
    # Password of the seeded demo staff; generated once and kept in instance/ when not set.
    DEMO_PASSWORD = env("DEMO_PASSWORD")
    REQUIRED: tuple[str, ...] = ()

    @classmethod
    def validate(cls) -> None:
        missing = [k for k in cls.REQUIRED if not getattr(cls, k)]
        if cls.STORAGE_BACKEND == "s3" and not cls.S3_BUCKET:
            missing.append("S3_BUCKET")
        if missing:
            raise RuntimeError(f"missing config: {', '.join(missing)}")


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    # The sandbox accepts any app id and secret; these only make development run with nothing set.
    WECHAT_API_BASE_URL = env("WECHAT_API_BASE_URL", "http://127.0.0.1:5001")
    WECHAT_OPEN_BASE_URL = env("WECHAT_OPEN_BASE_URL", WECHAT_API_BASE_URL)
    WEBHOOK_ALLOW_PRIVATE = env("WEBHOOK_ALLOW_PRIVATE", "1") == "1"
    METRICS_ALLOW_FROM = env("METRICS_ALLOW_FROM", "127.0.0.1/32,::1/128")
    # SMS_PROVIDER=tencent sends through the official SDK to the sandbox's stand-in.
    SMS_ENDPOINT = env("SMS_ENDPOINT", "127.0.0.1:5001")
    SMS_SECRET_ID = env("SMS_SECRET_ID", "sandbox-sms-id")
    SMS_SECRET_KEY = env("SMS_SECRET_KEY", "sandbox-sms-key")
    SMS_SDK_APP_ID = env("SMS_SDK_APP_ID", "1400000000")
    WECHAT_APPID = env("WECHAT_APPID", "wxsandboxminiprogram")
    WECHAT_SECRET = env("WECHAT_SECRET", "sandbox-secret")
    WECHAT_OA_APPID = env("WECHAT_OA_APPID", "wxsandboxofficialacct")
    WECHAT_OA_SECRET = env("WECHAT_OA_SECRET", "sandbox-oa-secret")
    WECHAT_OA_TOKEN = env("WECHAT_OA_TOKEN", "sandbox-callback-token")
    SHOP_API_BASE_URL = env("SHOP_API_BASE_URL", "http://127.0.0.1:5001")
    WAYBILL_API_BASE_URL = env("WAYBILL_API_BASE_URL", "http://127.0.0.1:5001")
    WAYBILL_BUSINESS_ID = env("WAYBILL_BUSINESS_ID", "1000001")
    WAYBILL_APP_KEY = env("WAYBILL_APP_KEY", "key-1000001")  # the sandbox's key for that id
    SERVICE_PHONE = env("SERVICE_PHONE", "400-800-1234")  # the demo's 联系客服 line
    # WeChat Pay: the sandbox's merchant, with the keys `make run` makes in instance/wechatpay/
    # (devkit/sandbox/wechatpay.py names the same merchant, serials and key id).
    WECHATPAY_MCHID = env("WECHATPAY_MCHID", "1900000109")
    WECHATPAY_BASE_URL = env("WECHATPAY_BASE_URL", WECHAT_API_BASE_URL)
    WECHATPAY_PRIVATE_KEY_PATH = env(
        "WECHATPAY_PRIVATE_KEY_PATH", str(INSTANCE_DIR / "wechatpay" / "apiclient_key.pem")
    )
    WECHATPAY_CERT_SERIAL_NO = env("WECHATPAY_CERT_SERIAL_NO", "3775B6A45ACD588826D15E583A95F5DD")
    WECHATPAY_APIV3_KEY_PATH = env(
        "WECHATPAY_APIV3_KEY_PATH", str(INSTANCE_DIR / "wechatpay" / "apiv3_key")
    )
    WECHATPAY_PUBLIC_KEY_PATH = env(
        "WECHATPAY_PUBLIC_KEY_PATH", str(INSTANCE_DIR / "wechatpay" / "pub_key.pem")
    )
    WECHATPAY_PUBLIC_KEY_ID = env(
        "WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0119000001092024112000000000000"
    )
    WECHATPAY_NOTIFY_URL = env(
        "WECHATPAY_NOTIFY_URL", "http://127.0.0.1:5000/api/pay/wechatpay/notify"
    )

    @classmethod
    def validate(cls) -> None:
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = _local_secret_key()
        if not env("WECHATPAY_MCHID") and not Path(cls.WECHATPAY_PRIVATE_KEY_PATH).exists():
            # The sandbox's keys are not made yet (`make run` makes them): WeChat Pay stays off.
            cls.WECHATPAY_MCHID = None


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    # Random per run unless given: a gunicorn started by the tests is handed the same key.
    SECRET_KEY = env("SECRET_KEY", "testing-only-" + secrets.token_hex(16))
    DATABASE_URL = env("TEST_DATABASE_URL", "sqlite:///:memory:")
    REDIS_URL = env("TEST_REDIS_URL")
    NOTIFY_ENQUEUE = env("TEST_NOTIFY_ENQUEUE", "0") == "1"  # on for the outage test
    LOG_FORMAT = ""  # pytest captures the logs
    WEBHOOK_ALLOW_PRIVATE = True  # the test receivers listen on 127.0.0.1
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash method, tests only
    WECHAT_APPID = "wxtestminiprogram"
    WECHAT_SECRET = secrets.token_hex(16)
    WECHAT_OA_APPID = "wxtestofficialacct"
    WECHAT_OA_SECRET = secrets.token_hex(16)
    WECHAT_OA_TOKEN = "test-callback-token"  # noqa: S105 - the sandbox's, tests only
    SMS_SECRET_ID = "test-sms-id"  # noqa: S105 - the sandbox takes any, tests only
    SMS_SECRET_KEY = secrets.token_hex(8)
    SMS_SDK_APP_ID = "1400000000"
    # A valid 43-character EncodingAESKey, tests only.
    WECHAT_OA_AES_KEY = env("TEST_WECHAT_OA_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", f"dm-test-{secrets.token_hex(4)}")
    WAYBILL_BUSINESS_ID = "1000002"
    WAYBILL_APP_KEY = "key-1000002"
    WECHAT_OA_FOLLOW_URL = env("WECHAT_OA_FOLLOW_URL", "http://weixin.qq.com/r/sandbox-follow")
    SERVICE_PHONE = env("SERVICE_PHONE", "400-800-1234")


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    REQUIRED = (
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "WECHAT_APPID",
        "WECHAT_SECRET",
        "WECHAT_OA_APPID",
        "WECHAT_OA_SECRET",
        "WECHAT_OA_TOKEN",
        "PUBLIC_BASE_URL",
    )
    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", "1") == "1"
    API_DOCS_PUBLIC = env("API_DOCS_PUBLIC", "0") == "1"
    # Links sent to people must name the real site, never a default on this machine.
    PUBLIC_BASE_URL = (env("PUBLIC_BASE_URL") or "").rstrip("/") or None
    H5_BASE_URL = env("H5_BASE_URL", f"{PUBLIC_BASE_URL}/h5" if PUBLIC_BASE_URL else None)
    LOG_FORMAT = env("LOG_FORMAT", "json")
    # In production the database must be named explicitly, never the embedded default.
    DATABASE_URL = env("DATABASE_URL")


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def get_config(name: str | None = None) -> type[BaseConfig]:
    name = name or env("APP_ENV", "development")
    try:
        config = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"unknown APP_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
    config.validate()
    return config
