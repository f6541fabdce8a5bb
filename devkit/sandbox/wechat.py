"""The WeChat sandbox: a local fake of the WeChat endpoints we use, served over real HTTP.

Speaks WeChat's paths, response shapes and error codes (40029 invalid code, 40001 invalid token,
42001 expired token, 43101 subscription refused, 40013 invalid appid), records every message sent,
and can be told to fail or to be slow. Control endpoints live under `/_sandbox/`.

    python -m devkit.sandbox --port 5001
"""

from __future__ import annotations

import argparse
import copy
import datetime
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request

from devkit.sandbox import wechatpay

TOKEN_TTL = 7200
FORCE_REFRESH_EVERY = 30  # seconds: WeChat refuses forced stable_token refreshes closer than this

# The templates this sandbox's accounts have, as applied for on the WeChat platform (docs/wechat.md
# lists them): template id → its keywords. More can be added at POST /_sandbox/templates.
DEFAULT_TEMPLATES = {
    "template": {
        "order-status": ["character_string1", "phrase2", "time3", "amount4", "thing5"],
        "order-shipped": ["character_string1", "thing2", "character_string3", "time4", "phrase5"],
        "staff-task": ["character_string1", "thing2", "amount3", "phrase4", "time5"],
    },
    "subscribe": {
        "order-status": ["character_string1", "phrase2", "time3", "thing4"],
        "order-shipped": ["character_string1", "thing2", "character_string3", "time4"],
    },
}
# Tencent Cloud SMS templates (id → number of parameters), as registered with the provider.
DEFAULT_SMS_TEMPLATES = {"1000001": 3, "1000002": 4, "1000003": 2}

LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32, "name": 10}
AMOUNT = re.compile(r"^¥?-?\d+(\.\d{1,2})?元?$")
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y年%m月%d日 %H:%M")


def field_error(kind: str, key: str, value) -> str | None:
    """Why WeChat would refuse this field (47003), or None."""
    if not isinstance(value, str):
        return f"data.{key}.value must be a string"
    if kind == "template" and (len(value) > 20 or "\n" in value):
        return f"data.{key}.value exceeds 20 characters or has a line break"
    prefix = key.rstrip("0123456789")
    if prefix in LIMITS and len(value) > LIMITS[prefix]:
        return f"data.{key}.value exceeds {LIMITS[prefix]} characters"
    if prefix in ("character_string", "letter", "number") and not re.fullmatch(
        r"[\x21-\x7e]+", value
    ):
        return f"data.{key}.value must be letters, digits or symbols"
    if prefix == "time":
        for fmt in TIME_FORMATS:
            try:
                datetime.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            return f"data.{key}.value is not a date-time"
    if prefix == "amount" and not AMOUNT.match(value):
        return f"data.{key}.value is not an amount"
    return None


@dataclass
class SandboxState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token → (appid, expiry)
    messages: list[dict] = field(default_factory=list)
    sms: list[dict] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # openids that refused subscribe messages
    token_fetches: int = 0
    down_until: float = 0.0
    fail_next: int = 0
    delay: float = 0.0
    msg_ids: itertools.count = field(default_factory=lambda: itertools.count(100001))
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code from authorize → openid
    stable: dict[str, tuple[str, float, float]] = field(default_factory=dict)  # appid → token,
    # expiry, time of the last forced refresh
    calls: dict[str, int] = field(default_factory=dict)  # endpoint → calls
    templates: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_TEMPLATES))
    sms_templates: dict = field(default_factory=lambda: dict(DEFAULT_SMS_TEMPLATES))
    pay: wechatpay.PayState | None = None  # WeChat Pay, when given its keys

    def reset(self) -> None:
        if self.pay is not None:
            self.pay.reset()
        with self.lock:
            self.tokens.clear()
            self.messages.clear()
            self.sms.clear()
            self.refused.clear()
            self.oauth_codes.clear()
            self.stable.clear()
            self.calls.clear()
            self.templates = copy.deepcopy(DEFAULT_TEMPLATES)
            self.sms_templates = dict(DEFAULT_SMS_TEMPLATES)
            self.token_fetches = 0
            self.down_until = 0.0
            self.fail_next = 0
            self.delay = 0.0


def wx_error(code: int, message: str):
    return jsonify({"errcode": code, "errmsg": message})


def _tc_error(code: str, message: str, request_id: str) -> dict:
    return {"Error": {"Code": code, "Message": message}, "RequestId": request_id}


def create_sandbox(state: SandboxState | None = None) -> Flask:
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    state = state or SandboxState()
    app.extensions["sandbox_state"] = state

    @app.before_request
    def faults():
        # The other stand-ins (blueprints) keep their own faults and counts.
        if request.path.startswith("/_sandbox") or request.blueprint is not None:
            return None
        with state.lock:
            state.calls[request.path] = state.calls.get(request.path, 0) + 1
        if request.path.startswith("/v3/"):
            return None  # WeChat Pay fails by its own controls (/_sandbox/pay/settings)
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            if time.time() < state.down_until:
                return "service unavailable", 503
            if state.fail_next > 0:
                state.fail_next -= 1
                return wx_error(-1, "system error")
        return None

    def check_token():
        token = request.args.get("access_token", "")
        with state.lock:
            entry = state.tokens.get(token)
        if entry is None:
            return wx_error(40001, "invalid credential, access_token is invalid or not latest")
        if entry[1] < time.time():
            return wx_error(42001, "access_token expired")
        return None

    @app.get("/cgi-bin/token")
    def token():
        appid = request.args.get("appid", "")
        if request.args.get("grant_type") != "client_credential":
            return wx_error(40002, "invalid grant_type")
        if not appid or not request.args.get("secret"):
            return wx_error(40013, "invalid appid")
        new = secrets.token_urlsafe(24)
        with state.lock:
            state.token_fetches += 1
            # As on WeChat, a new token makes the app's older ones invalid.
            for old in [t for t, (a, _) in state.tokens.items() if a == appid]:
                del state.tokens[old]
            state.tokens[new] = (appid, time.time() + TOKEN_TTL)
        return jsonify({"access_token": new, "expires_in": TOKEN_TTL})

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        """The token every caller shares: the same one within its 7,200 s unless forced, and a
        forced refresh at most once in FORCE_REFRESH_EVERY seconds."""
        body = request.get_json(force=True, silent=True) or {}
        appid = body.get("appid", "")
        if body.get("grant_type") != "client_credential":
            return wx_error(40002, "invalid grant_type")
        if not appid or not body.get("secret"):
            return wx_error(40013, "invalid appid")
        now = time.time()
        with state.lock:
            state.token_fetches += 1
            current, expiry, forced_at = state.stable.get(appid, ("", 0.0, 0.0))
            if body.get("force_refresh"):
                if now - forced_at < FORCE_REFRESH_EVERY:
                    return wx_error(45011, "api minute-quota reach limit, mustslower")
                forced_at = now
                state.tokens.pop(current, None)  # the old stable token stops working
                current = ""
            if not current or expiry <= now:
                current, expiry = secrets.token_urlsafe(24), now + TOKEN_TTL
                state.tokens[current] = (appid, expiry)
            state.stable[appid] = (current, expiry, forced_at)
        return jsonify({"access_token": current, "expires_in": int(expiry - now)})

    def refuse_code(code: str):
        """WeChat's answer to a login code it does not know: any code starting "invalid", and
        any WeChat could not have issued (its codes are 32 visible ASCII characters; the
        sandbox takes up to 40, so that the openid it makes of one fits WeChat's 64)."""
        issuable = code.isascii() and code.isprintable() and " " not in code and len(code) <= 40
        if not code or code.startswith("invalid") or not issuable:
            return wx_error(40029, "invalid code")
        return None

    @app.get("/sns/jscode2session")
    def jscode2session():
        code = request.args.get("js_code", "")
        return refuse_code(code) or jsonify(
            {
                "openid": f"sandbox-{code}",
                "session_key": secrets.token_urlsafe(16),
                "unionid": f"sandbox-union-{code}",
            }
        )

    @app.get("/connect/oauth2/authorize")
    def oauth_authorize():
        """WeChat's browser knows who is using it: here the `sandbox_openid` cookie says so."""
        redirect_uri = request.args.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return wx_error(10003, "redirect_uri domain mismatch")
        openid = request.cookies.get("sandbox_openid") or "sandbox-h5"
        code = f"oauth{secrets.token_hex(8)}"
        with state.lock:
            state.oauth_codes[code] = openid
        query = urlencode({"code": code, "state": request.args.get("state", "")})
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(f"{redirect_uri}{separator}{query}", code=302)

    @app.get("/sns/oauth2/access_token")
    def oauth_access_token():
        code = request.args.get("code", "")
        with state.lock:
            openid = state.oauth_codes.pop(code, None)
        if openid is not None:  # a code from authorize: that browser's user, once
            person = openid.removeprefix("sandbox-oa-")
            return jsonify(
                {
                    "access_token": secrets.token_urlsafe(24),
                    "expires_in": TOKEN_TTL,
                    "refresh_token": secrets.token_urlsafe(24),
                    "openid": openid,
                    "scope": "snsapi_base",
                    "unionid": f"sandbox-union-{person}",
                }
            )
        return refuse_code(code) or jsonify(
            {
                "access_token": secrets.token_urlsafe(24),
                "expires_in": TOKEN_TTL,
                "refresh_token": secrets.token_urlsafe(24),
                "openid": f"sandbox-oa-{code}",
                "scope": request.args.get("scope", "snsapi_base"),
                "unionid": f"sandbox-union-{code}",
            }
        )

    def record(kind: str):
        failure = check_token()
        if failure is not None:
            return failure
        # Like WeChat, read the body as JSON whatever the Content-Type (wechatpy sends none).
        body = request.get_json(force=True, silent=True) or {}
        if not body.get("touser") or not body.get("template_id"):
            return wx_error(47001, "data format error")
        with state.lock:
            keys = state.templates[kind].get(body["template_id"])
        if keys is None:
            return wx_error(40037, "invalid template_id")
        data = body.get("data") or {}
        if not isinstance(data, dict):
            return wx_error(47003, "argument invalid! data")
        for key, entry in data.items():
            if key not in keys:  # includes first and remark, which WeChat dropped in 2023
                return wx_error(47003, f"argument invalid! data.{key} is not a keyword")
            value = entry.get("value") if isinstance(entry, dict) else None
            problem = field_error(kind, key, value)
            if problem:
                return wx_error(47003, f"argument invalid! {problem}")
        if kind == "subscribe" and body["touser"] in state.refused:
            return wx_error(43101, "user refuse to accept the msg")
        with state.lock:
            msgid = next(state.msg_ids)
            state.messages.append({"kind": kind, "msgid": msgid, "at": time.time(), **body})
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    @app.post("/cgi-bin/message/template/send")
    def template_send():
        return record("template")

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        return record("subscribe")

    @app.post("/")
    def tencent_cloud_api():
        """Not WeChat: a stand-in for Tencent Cloud's SMS API (SendSms), which the official SDK
        calls with an X-TC-Action header; it checks the template and its parameter count."""
        request_id = secrets.token_hex(8)
        if request.headers.get("X-TC-Action") != "SendSms":
            return jsonify({"Response": _tc_error("InvalidAction", "unknown action", request_id)})
        body = request.get_json(force=True, silent=True) or {}
        phones = body.get("PhoneNumberSet") or []
        params = body.get("TemplateParamSet") or []
        with state.lock:
            expected = state.sms_templates.get(str(body.get("TemplateId", "")))
        if not phones or not body.get("SignName") or not body.get("SmsSdkAppId"):
            error = _tc_error(
                "MissingParameter", "PhoneNumberSet, SignName and SmsSdkAppId", request_id
            )
        elif expected is None:
            error = _tc_error(
                "FailedOperation.TemplateIncorrectOrUnapproved", "template", request_id
            )
        elif len(params) != expected:
            error = _tc_error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                f"template wants {expected} parameters, got {len(params)}",
                request_id,
            )
        else:
            error = None
        if error:
            return jsonify({"Response": error})
        statuses = []
        with state.lock:
            for phone in phones:
                serial = f"sandbox-{next(state.msg_ids)}"
                state.sms.append(
                    {
                        "phone": phone,
                        "template_id": str(body["TemplateId"]),
                        "params": params,
                        "sign_name": body["SignName"],
                        "serial_no": serial,
                        "at": time.time(),
                    }
                )
                statuses.append(
                    {
                        "SerialNo": serial,
                        "PhoneNumber": phone,
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                )
        return jsonify({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    def listed(kind: str, field: str):
        """`{"items", "total"}`: what the sandbox holds of `kind` (state.sms, state.messages),
        only those whose `field` is the query's `field` when it names one."""
        wanted = request.args.get(field)
        with state.lock:
            items = [m for m in getattr(state, kind) if not wanted or m[field] == wanted]
        return jsonify({"items": items, "total": len(items)})

    @app.get("/_sandbox/sms")
    def sms_sent():
        return listed("sms", "phone")

    @app.post("/_sandbox/templates")
    def add_template():
        """Register a template on the sandbox's account: {"kind", "template_id", "keywords"}."""
        body = request.get_json(silent=True) or {}
        kind = body.get("kind")
        if kind not in ("template", "subscribe") or not body.get("template_id"):
            return jsonify({"error": "kind and template_id required"}), 400
        with state.lock:
            state.templates[kind][body["template_id"]] = list(body.get("keywords") or [])
        return jsonify({"ok": True})

    # --- control endpoints for development and tests ---

    @app.get("/_sandbox/as")
    def act_as():
        """Development: be another WeChat user in this browser's H5 pages (sets sandbox_openid);
        e.g. /_sandbox/as?openid=sandbox-oa-dealer-1, then open the H5 page again."""
        openid = request.args.get("openid", "")
        if not openid or len(openid) > 64:
            return jsonify({"error": "openid required"}), 400
        response = jsonify({"sandbox_openid": openid})
        response.set_cookie("sandbox_openid", openid, samesite="Lax")
        return response

    @app.get("/_sandbox/messages")
    def messages():
        return listed("messages", "touser")

    @app.get("/_sandbox/stats")
    def stats():
        with state.lock:
            return jsonify(
                {
                    "token_fetches": state.token_fetches,
                    "messages": len(state.messages),
                    "sms": len(state.sms),
                    "calls": dict(state.calls),
                }
            )

    @app.post("/_sandbox/reset")
    def reset():
        state.reset()
        return jsonify({"ok": True})

    @app.post("/_sandbox/faults")
    def set_faults():
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.down_until = time.time() + float(body.get("down_seconds", 0))
            state.fail_next = int(body.get("fail_next", 0))
            state.delay = float(body.get("delay_seconds", 0))
        return jsonify({"ok": True})

    @app.post("/_sandbox/invalidate-tokens")
    def invalidate_tokens():
        """WeChat refusing tokens (40001) that stable_token would still hand out unforced."""
        with state.lock:
            state.tokens.clear()
        return jsonify({"ok": True})

    @app.post("/_sandbox/expire-tokens")
    def expire_tokens():
        with state.lock:
            state.tokens = {t: (a, 0.0) for t, (a, _) in state.tokens.items()}
            state.stable = {a: (t, 0.0, f) for a, (t, _, f) in state.stable.items()}
        return jsonify({"ok": True})

    @app.post("/_sandbox/refuse-subscribe")
    def refuse_subscribe():
        openid = (request.get_json(silent=True) or {}).get("openid", "")
        with state.lock:
            state.refused.add(openid)
        return jsonify({"ok": True})

    return app


def main() -> None:
    from gunicorn.app.base import BaseApplication

    from devkit.sandbox import create_sandbox

    parser = argparse.ArgumentParser(description="The sandbox: WeChat, platforms, waybills")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--pay-keys",
        default=str(Path("instance") / "wechatpay"),
        help="WeChat Pay's and the merchant's keys (made here when missing)",
    )
    args = parser.parse_args()

    class Sandbox(BaseApplication):
        """One process (the sandbox keeps its state in memory) with a thread per connection,
        connections kept open between calls as WeChat's and the platforms' gateways keep them
        (Werkzeug's development server closes every connection after one answer)."""

        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 32)
            self.cfg.set("keepalive", 30)
            self.cfg.set("timeout", 120)
            # gunicorn's control socket has one path per user: the app beside it may want it.
            self.cfg.set("control_socket_disable", True)

        def load(self):  # in the worker process, so the sandbox's threads start there
            state = SandboxState(pay=wechatpay.PayState(Path(args.pay_keys)))
            return create_sandbox(state)

    Sandbox().run()


if __name__ == "__main__":
    main()
