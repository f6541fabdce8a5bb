"""The surface for calls that outside systems make to us (WeChat's official-account callback,
WeChat Pay's notifications, WeChat's check of our domain): each request is verified before
anything is done with it."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from callbacks.domain_files import init_domain_files
    from callbacks.wechat import bp as wechat_bp
    from callbacks.wechatpay import bp as wechatpay_bp

    app.register_blueprint(wechat_bp)
    app.register_blueprint(wechatpay_bp)
    init_domain_files(app)
