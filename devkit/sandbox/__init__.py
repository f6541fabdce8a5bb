"""The sandbox: local stand-ins, over real HTTP, for the outside systems the app talks to.

Development (`make run`) and the tests point the app's clients at it; each stand-in speaks its
system's real wire format, so the clients under test are the ones production uses: WeChat
(wechat.py), the online platforms (shops.py with taobao, pdd, doudian, youzan), the
electronic waybill service (waybills.py) and WeChat Pay (wechatpay.py, when given its keys), all
in one app.

    python -m devkit.sandbox --port 5001
"""

from __future__ import annotations

from flask import Flask

from devkit.sandbox import doudian, pdd, taobao, waybills, wechatpay, youzan
from devkit.sandbox.shops import ShopsStore, controls
from devkit.sandbox.wechat import SandboxState
from devkit.sandbox.wechat import create_sandbox as create_wechat

__all__ = ["SandboxState", "ShopsStore", "create_sandbox"]


def create_sandbox(state: SandboxState | None = None, shops: ShopsStore | None = None) -> Flask:
    app = create_wechat(state)
    store = shops or ShopsStore()
    app.extensions["shops_store"] = store
    app.register_blueprint(controls(store))
    for module in (taobao, pdd, doudian, youzan, waybills):
        app.register_blueprint(module.blueprint(store))
    pay = app.extensions["sandbox_state"].pay
    if pay is not None:
        wechatpay.register(app, pay)
    return app
