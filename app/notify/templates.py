"""What each WeChat message says, by WeChat's current rules. Pure: no I/O.

Official-account template messages carry keywords only (WeChat dropped `first`, `remark` and
colours in May 2023): each value at most 20 characters, no line breaks. Mini-program subscribe
messages carry typed fields, each within its type's limit. Content is fitted before sending
(shortened with "…"), never sent to fail.

Template ids come from settings; the keywords of each template are fixed here and documented in
docs/wechat.md (the templates to apply for on the WeChat platform).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from app.core.rules import paid_money_words
from app.money import written

# Field type (the key's prefix, as WeChat names them) → the longest value WeChat takes.
LIMITS = {
    "thing": 20,
    "phrase": 5,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "name": 10,
    "car_number": 8,
}
TEMPLATE_KEYWORD_LIMIT = 20
ASCII_PRINTABLE = re.compile(r"[^\x21-\x7e]")

# The keywords of each template (official account) and subscribe template (mini-program):
# template name → [(field key, what goes in it)].
OA_TEMPLATES = {
    "order_status": [
        ("character_string1", "order_number"),
        ("phrase2", "status_label"),
        ("time3", "at"),
        ("amount4", "total"),
        ("thing5", "detail"),
    ],
    "order_shipped": [
        ("character_string1", "order_number"),
        ("thing2", "carrier"),
        ("character_string3", "tracking_no"),
        ("time4", "at"),
        ("phrase5", "status_label"),
    ],
    "staff_task": [
        ("character_string1", "order_number"),
        ("thing2", "customer_name"),
        ("amount3", "amount"),  # the order's total, or a return's value
        ("phrase4", "task"),
        ("time5", "at"),
    ],
}
SUBSCRIBE_TEMPLATES = {
    "order_status": [
        ("character_string1", "order_number"),
        ("phrase2", "status_label"),
        ("time3", "at"),
        ("thing4", "detail"),
    ],
    "order_shipped": [
        ("character_string1", "order_number"),
        ("thing2", "carrier"),
        ("character_string3", "tracking_no"),
        ("time4", "at"),
    ],
}
SHIPPING = ("ship_part", "ship_all")
# The subscribe messages as a dealer grants them in the mini-program.
SUBSCRIBE_LABELS = {"order_status": "订单状态通知", "order_shipped": "发货通知"}


def field_type(key: str) -> str:
    return key.rstrip("0123456789")


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())  # no line breaks, no runs of spaces
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(key: str, value, *, keyword_limit: int | None = None) -> str:
    """A value as a field of this type can carry it."""
    kind = field_type(key)
    if kind == "time":
        return _time(value)
    if kind == "amount":
        return _amount(value)
    text = " ".join(str(value or "").split())
    if kind in ("character_string", "number", "letter"):
        text = ASCII_PRINTABLE.sub("", text)[: LIMITS[kind]]
    elif kind in LIMITS:
        text = shorten(text, LIMITS[kind])
    if keyword_limit is not None:
        text = shorten(text, keyword_limit)
    return text or "-"


def _time(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value or "").strip()
    try:
        return dt.datetime.strptime(text[:16], "%Y-%m-%d %H:%M").strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def _amount(value) -> str:
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01')):.2f}"
    except (InvalidOperation, ValueError):
        return "0.00"


def _data(fields: list[tuple[str, str]], message: dict, keyword_limit: int | None) -> dict:
    return {
        key: {"value": fit(key, message.get(source, ""), keyword_limit=keyword_limit)}
        for key, source in fields
    }


def oa_template(kind: str, audience: str) -> str:
    """Which official-account template a notification goes out with."""
    if audience != "dealer" and audience != "rep":
        return "staff_task"
    return "order_shipped" if kind in SHIPPING else "order_status"


def subscribe_template(kind: str) -> str:
    return "order_shipped" if kind in SHIPPING else "order_status"


def template_data(template: str, message: dict) -> dict:
    """Keywords only, each within WeChat's limit for template messages."""
    return _data(OA_TEMPLATES[template], message, TEMPLATE_KEYWORD_LIMIT)


def subscribe_data(template: str, message: dict) -> dict:
    return _data(SUBSCRIBE_TEMPLATES[template], message, None)


# --- what each notification says, to whom -------------------------------------------------------

DEALER_TITLES = {
    "submit": "客服已为您代下单",  # only an order placed for the dealer (代下单) tells them of it
    "adjust": "订单已由客服调整",
    "approve": "订单已审核通过",
    "reject": "订单未通过审核",
    "ship_part": "订单部分发货",
    "ship_all": "订单已发货",
    "cancel": "订单已取消",
    "return_approve": "退货申请已批准",
    "return_reject": "退货申请未通过",
    "return_receive": "退货已入库",
    "pay": "订单已付款",
    "refund": "订单款项已退回",
}
# Staff to-dos: (title, the to-do in at most 5 characters).
STAFF_TASKS = {
    "customer_service": ("新订单待审核", "待审核"),
    "approver": ("订单待您审批", "待审批"),
    "warehouse": ("订单待发货", "待发货"),
}


def describe(kind: str, audience: str, payload: dict) -> dict:
    """The words of a notification: its title and detail (inbox, SMS) and, for staff, the to-do;
    `payload` is what the outbox recorded with the event."""
    # What the message is about in money: a return's value, else the order's total (a
    # notification recorded before amounts were kept has its order's total only).
    payload = {**payload, "amount": payload.get("amount", payload["total"])}
    if audience in STAFF_TASKS:
        title, task = STAFF_TASKS[audience]
        a_return = kind.startswith("return_") or payload.get("document") == "return"
        if a_return:
            title = {
                "customer_service": "退货待审核",
                "warehouse": "退货待入库",
                "approver": "退货待您审批",
            }.get(audience, title)
            # "订单…（客户，金额…元）退货待审核": the order the return is of, what it asks back,
            # and what awaits.
            task = {"customer_service": "退货待审核", "warehouse": "待入库"}.get(audience, task)
        what = "退货金额" if a_return else "订单金额"
        detail = f"{payload.get('customer_name', '')} {what} {written(payload['amount'])}"
        if audience == "approver":
            detail += "，请审批"
        return {**payload, "title": title, "detail": detail, "task": task}
    details = {
        "submit": "请核对商品和数量，如有不符请联系客服",
        "adjust": payload.get("note", ""),  # what changed, before → after, and why
        "approve": "我们将尽快为您安排发货",
        "reject": f"原因：{payload.get('note', '')}",
        "ship_part": f"{payload.get('carrier', '')} {payload.get('tracking_no', '')}",
        "ship_all": f"{payload.get('carrier', '')} {payload.get('tracking_no', '')}",
        "cancel": "订单已取消，如有疑问请联系客服",
        "return_approve": "请将商品寄回，仓库收货后为您退款",
        "return_reject": f"原因：{payload.get('note', '')}",
        "return_receive": f"已退回账户：{payload.get('note', '')}",
        "pay": f"已收到微信支付 {payload.get('note', '')}",
        "refund": f"微信支付退款 {payload.get('note', '')}，原路退回",
    }
    title = DEALER_TITLES.get(kind, "订单状态更新")
    if kind == "submit" and payload.get("placed_by_name"):  # a rep ordered on a visit
        title = f"{payload['placed_by_name']} 已为您代下单"
        details["submit"] = f"{payload['placed_by_name']} 代下单，请核对商品和数量"
    prepaid = Decimal(payload.get("prepaid") or "0")
    if prepaid > 0:  # the money paid for an order that will not ship
        words = paid_money_words(prepaid, done=True)
        details[kind] = words if kind == "cancel" else f"{details[kind]}；{words}"
    return {
        **payload,
        "title": title,
        "detail": details.get(kind, payload.get("status_label", "")),
        "task": "",
    }


def sms_params(template: str, message: dict) -> list[str]:
    """The parameters of each SMS template, in order (docs/wechat.md: the texts registered)."""
    if template == "staff_task":
        return [
            shorten(message["order_number"], 32),
            shorten(message.get("customer_name", ""), 12),
            f"{_amount(message['amount'])}",
            message.get("task", ""),
        ]
    return [
        shorten(message["order_number"], 32),
        shorten(message.get("status_label", ""), 12),
        shorten(message.get("detail", ""), 30),
    ]
