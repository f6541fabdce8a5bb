"""对接 ERP: webhooks (register, delivery log with response code and time, redeliver) and API
keys (create with scopes, revoke). A secret or key is shown once, right after it is made."""

from __future__ import annotations

import json

from flask import g, render_template, request

from admin.console.forms import console_page, form_post, load_form
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
    "receipt.voided": "收款作废",
    "return.received": "退货入库",
}
SCOPE_LABELS = {
    "catalog.write": "商品与价格",
    "stock.write": "库存",
    "customers.write": "客户",
    "orders.read": "订单（只读）",
    "receipts.write": "收款",
}


@console_page("/integrations", "integrations.manage")
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


@form_post("/integrations/webhooks", "integrations.manage", "已添加", "console.integrations")
def add_webhook():
    data = load_form(
        WebhookIn,
        {"url": request.form.get("url", ""), "events": request.form.getlist("events")},
    )
    endpoint = webhooks.register(g.staff, data["url"], data["events"])
    return f"已添加回调地址。签名密钥（只显示这一次，请妥善保存）：{endpoint.secret}"


@form_post(
    "/integrations/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver",
    "integrations.manage",
    "已重新排队投递",
    "console.integrations",
)
def redeliver_webhook(webhook_id: int, delivery_id: int):
    return webhooks.redeliver(g.staff, webhook_id, delivery_id)


@form_post("/integrations/api-keys", "integrations.manage", "已创建", "console.integrations")
def add_api_key():
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


@form_post(
    "/integrations/api-keys/<int:key_id>/revoke",
    "integrations.manage",
    "API 密钥已吊销",
    "console.integrations",
)
def revoke_api_key(key_id: int):
    return keys.revoke(g.staff, key_id)
