"""WeChat's domain verification files, served at the site's root: the official account's
MP_verify_*.txt (网页授权域名, JS接口安全域名) and the mini-program's 业务域名 file. Each is a
NAME=CONTENT pair in WECHAT_VERIFY_FILES, so a new one needs a setting, not a release."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, current_app

from app.errors import NotFound

bp = Blueprint("domain_files", __name__)

_NAME = re.compile(r"[A-Za-z0-9_]{1,64}\.txt")


def verification_files(setting: str) -> dict[str, str]:
    """{file name: content} from "NAME=CONTENT NAME=CONTENT"; a malformed pair stops the app at
    start-up rather than failing WeChat's check later."""
    files = {}
    for pair in setting.split():
        name, sep, content = pair.partition("=")
        if not sep or not _NAME.fullmatch(name) or not content:
            raise ValueError(f"WECHAT_VERIFY_FILES: {pair!r} is not NAME.txt=CONTENT")
        files[name] = content
    return files


def init_domain_files(app: Flask) -> None:
    app.extensions["wechat_verify_files"] = verification_files(app.config["WECHAT_VERIFY_FILES"])
    app.register_blueprint(bp)


@bp.get("/<name>.txt")
def verification_file(name: str):
    content = current_app.extensions["wechat_verify_files"].get(f"{name}.txt")
    if content is None:
        raise NotFound("文件不存在")
    return Response(content, mimetype="text/plain")
