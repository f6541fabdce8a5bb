"""对接 ERP: webhooks (register, delivery log with response code and time, redeliver) and API
keys (create with scopes, revoke). A secret or key is shown once, right after it is made."""

from __future__ import annotations

import json

from flask import g, render_template, request, url_for

from admin.console.blueprint import bp
from admin.console.forms import load_form, perform
from admin.console.session import console_login
from admin.schemas import ApiKeyIn, WebhookIn
from app.auth.permissions import DATA_SCOPE_LABELS
from app.integrations import keys, webhooks

EVENT_LABELS = {
    "order.submitted": "订单提交",
    "order.approved": "订单审核通过",
    "order.rejected": "订单驳回",
    "order.cancelled": "订单取消",
    "order.shipped": "订单发货",
    "order.completed": "订单完成",
    "receipt.created": "收款登记",
    "return.received": "退货入库",
}
SCOPE_LABELS = {
    "catalog.write": "商品与价格",
    "stock.write": "库存",
    "customers.write": "客户",
    "orders.read": "订单（只读）",
    "receipts.write": "收款",
}


@bp.get("/integrations")
@console_login("integrations.manage")
def integrations():
    endpoints = list(webhooks.endpoints(g.staff))
    recent = {e.id: list(webhooks.deliveries(g.staff, e.id).limit(20)) for e in endpoints}
    api_keys = list(keys.keys_of(g.staff))
    return render_template(
        "console/integrations.html",
        endpoints=endpoints,
        recent=recent,
        api_keys=api_keys,
        key_scopes={k.id: _scopes_in_words(k.scopes) for k in api_keys},
        data_scope_labels=DATA_SCOPE_LABELS,
        event_labels=EVENT_LABELS,
        scope_labels=SCOPE_LABELS,
    )


def _scopes_in_words(stored: str) -> str:
    """A key's scopes (stored as a JSON list) as the checkboxes that granted them read."""
    return "、".join(SCOPE_LABELS.get(s, "其他权限") for s in json.loads(stored or "[]"))


def _back() -> str:
    return url_for("console.integrations")


@bp.post("/integrations/webhooks")
@console_login("integrations.manage")
def add_webhook():
    def action():
        data = load_form(
            WebhookIn,
            {"url": request.form.get("url", ""), "events": request.form.getlist("events")},
        )
        endpoint = webhooks.register(g.staff, data["url"], data["events"])
        return f"已添加回调地址。签名密钥（只显示这一次，请妥善保存）：{endpoint.secret}"

    return perform(action, "已添加", _back())


@bp.post("/integrations/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
@console_login("integrations.manage")
def redeliver_webhook(webhook_id: int, delivery_id: int):
    return perform(
        lambda: webhooks.redeliver(g.staff, webhook_id, delivery_id), "已重新排队投递", _back()
    )


@bp.post("/integrations/api-keys")
@console_login("integrations.manage")
def add_api_key():
    def action():
        data = load_form(
            ApiKeyIn,
            {
                "name": request.form.get("name", ""),
                "scopes": request.form.getlist("scopes"),
                "data_scope": request.form.get("data_scope") or "all",
                "branch_id": request.form.get("branch_id") or None,
            },
        )
        _, key = keys.create_key(
            g.staff, data["name"], data["scopes"], data["data_scope"], data["branch_id"]
        )
        return f"已创建 API 密钥（只显示这一次，请妥善保存）：{key}"

    return perform(action, "已创建", _back())


@bp.post("/integrations/api-keys/<int:key_id>/revoke")
@console_login("integrations.manage")
def revoke_api_key(key_id: int):
    return perform(lambda: keys.revoke(g.staff, key_id), "API 密钥已吊销", _back())
