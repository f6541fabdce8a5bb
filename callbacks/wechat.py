"""The official account's callback endpoint: /wechat/callback (GET: URL verification; POST: messages)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.wechat import official_account

bp = Blueprint("wechat", __name__)


@bp.get("/wechat/callback")
def verify_url():
    official_account.verify(
        request.args.get("signature", ""),
        request.args.get("timestamp", ""),
        request.args.get("nonce", ""),
    )
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat/callback")
def receive():
    reply = official_account.handle(request.get_data(), request.args.to_dict())
    return Response(reply, mimetype="application/xml" if reply != "success" else "text/plain")
