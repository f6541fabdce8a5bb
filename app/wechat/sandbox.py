"""The WeChat sandbox: a local fake of the WeChat endpoints we use, served over real HTTP.

Speaks WeChat's paths, response shapes and error codes (40029 invalid code, 40001 invalid token,
42001 expired token, 43101 subscription refused, 40013 invalid appid), records every message sent,
and can be told to fail or to be slow. Control endpoints live under `/_sandbox/`.

    python -m app.wechat.sandbox --port 5001
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request

TOKEN_TTL = 7200


@dataclass
class SandboxState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token → (appid, expiry)
    messages: list[dict] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # openids that refused subscribe messages
    token_fetches: int = 0
    down_until: float = 0.0
    fail_next: int = 0
    delay: float = 0.0
    msg_ids: itertools.count = field(default_factory=lambda: itertools.count(100001))
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code from authorize → openid

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.messages.clear()
            self.refused.clear()
            self.oauth_codes.clear()
            self.token_fetches = 0
            self.down_until = 0.0
            self.fail_next = 0
            self.delay = 0.0


def wx_error(code: int, message: str):
    return jsonify({"errcode": code, "errmsg": message})


def create_sandbox(state: SandboxState | None = None) -> Flask:
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    state = state or SandboxState()
    app.extensions["sandbox_state"] = state

    @app.before_request
    def faults():
        if request.path.startswith("/_sandbox"):
            return None
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

    def refuse_code(code: str):
        """WeChat's answer to a login code it does not know (any code starting "invalid")."""
        return wx_error(40029, "invalid code") if not code or code.startswith("invalid") else None

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

    @app.post("/sms/send")
    def sms_send():
        # Not WeChat: a stand-in for the SMS provider's HTTP API, so SMS is faked over HTTP too.
        body = request.get_json(silent=True) or {}
        if not body.get("phone") or not body.get("text"):
            return jsonify({"code": 400, "message": "phone and text required"}), 400
        with state.lock:
            msgid = next(state.msg_ids)
            state.messages.append(
                {"kind": "sms", "msgid": msgid, "at": time.time(), "touser": body["phone"], **body}
            )
        return jsonify({"code": 0, "id": str(msgid)})

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
        touser = request.args.get("touser")
        with state.lock:
            items = [m for m in state.messages if not touser or m["touser"] == touser]
        return jsonify({"items": items, "total": len(items)})

    @app.get("/_sandbox/stats")
    def stats():
        with state.lock:
            return jsonify({"token_fetches": state.token_fetches, "messages": len(state.messages)})

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

    @app.post("/_sandbox/expire-tokens")
    def expire_tokens():
        with state.lock:
            state.tokens = {t: (a, 0.0) for t, (a, _) in state.tokens.items()}
        return jsonify({"ok": True})

    @app.post("/_sandbox/refuse-subscribe")
    def refuse_subscribe():
        openid = (request.get_json(silent=True) or {}).get("openid", "")
        with state.lock:
            state.refused.add(openid)
        return jsonify({"ok": True})

    return app


def main() -> None:
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description="WeChat sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    run_simple(args.host, args.port, create_sandbox(), threaded=True)


if __name__ == "__main__":
    main()
