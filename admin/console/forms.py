"""Console forms go through the admin API's own schemas; errors come back to the page in words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache, wraps

from flask import current_app, flash, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from admin.console.blueprint import bp
from admin.console.session import console_login
from app.errors import AppError, ValidationFailed
from app.pages import perform as run_form_action
from app.validation import ExactDecimal, PageIn, reject_unstorable, relax

# Field names as staff read them in error messages.
FIELD_LABELS = {
    "username": "用户名",
    "password": "密码",
    "qty": "数量",
    "price": "单价",
    "reason": "原因",
    "comment": "审批意见",
    "carrier": "承运商",
    "tracking_no": "运单号",
    "lines": "商品行",
    "amount": "金额",
    "method": "收款方式",
    "reference": "参考号",
    "received_at": "收款日期",
    "code": "编码",
    "name": "名称",
    "sku": "SKU",
    "category_id": "分类",
    "unit": "单位",
    "units": "多单位",
    "factor": "换算数",
    "pack_size": "包装数",
    "min_qty": "起订量",
    "step": "订货倍数",
    "list_price": "标准价",
    "prices": "等级价",
    "branch_id": "分支机构",
    "warehouse_id": "仓库",
    "product_id": "商品",
    "price_level": "价格等级",
    "settlement_method": "结算方式",
    "credit_limit": "信用额度",
    "rep_id": "业务员",
    "lat": "纬度",
    "lng": "经度",
    "qty_delta": "调整数量",
    "title": "标题",
    "body": "内容",
    "role": "角色",
    "data_scope": "数据范围",
    "condition": "条件",
    "steps": "审批步骤",
    "priority": "优先级",
    "as_of": "截至日期",
    "date_from": "开始日期",
    "date_to": "结束日期",
    "method_name": "补货方式",
    "file": "文件",
    "visit_every_days": "拜访周期",
    "unit_cost": "单价",
    "counted_qty": "实盘数量",
    "supplier": "供应商",
    "from_warehouse_id": "调出仓库",
    "to_warehouse_id": "调入仓库",
    "note": "说明",
    "location": "库位",
    "on_hand": "库存",
    "safety_stock": "安全库存",
    "lead_days": "到货天数",
    "customer_id": "客户",
    "staff_id": "员工",
    "order_id": "订单",
    "payment_id": "支付单",
    "kind": "类型",
    "date": "日期",
    "day": "日期",
    "period": "期间",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "remark": "备注",
    "contact": "联系人",
    "phone": "电话",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "address": "详细地址",
    "email": "邮箱",
    "tax_no": "税号",
    "invoice_no": "发票号码",
    "current_password": "当前密码",
    "new_password": "新密码",
    "shop_id": "网店",
    "platform": "平台",
    "app_key": "App Key",
    "app_secret": "App Secret",
    "stock_share_pct": "库存共享比例",
    "brand": "品牌",
    "group_id": "款式",
    "spec": "规格",
    "specs": "规格",
    "values": "规格值",
    "sku_prefix": "SKU 前缀",
    "image": "图片",
    "status": "状态",
}


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def paging(total: int, page: int, per_page: int) -> dict:
    """What a list page's pager needs."""
    return {"total": total, "page": page, "pages": page_count(total, per_page)}


def page_of(query, page: int, per_page: int) -> tuple[object, dict]:
    """One page of a list's query, and what the page's pager needs (the rows counted first)."""
    total = query.count()
    return query.paginate(page, per_page), paging(total, page, per_page)


def list_page(
    template: str,
    query,
    page: int,
    per_page: int,
    *,
    rows: Callable[[object], object] = list,
    name: str = "items",
    **context,
):
    """A list page: page `page` of `query`, its rows through `rows` (e.g. adding each row's
    details) shown as `name`, with the pager and the page's own `context`."""
    found, pager = page_of(query, page, per_page)
    return render_template(template, **{name: rows(found)}, **pager, **context)


def status_query(statuses: Mapping[str, str]) -> type[Schema]:
    """The query string of a list filtered by status: the page, and one of `statuses` (none: all)."""
    return _status_query(tuple(statuses))


@cache
def _status_query(statuses: tuple[str, ...]) -> type[Schema]:
    status = fields.String(validate=validate.OneOf(list(statuses)))
    return PageIn.from_dict({"status": status}, name="StatusQuery")


def status_list(template: str, statuses: Mapping[str, str], query, per_page: int, **context):
    """A list page filtered by status: page of `query(status)`, the status (one of `statuses`,
    None for all) from the query string, shown with `statuses` to choose from; `context` as
    `list_page`'s (e.g. `rows`)."""
    args = load_query(status_query(statuses), request.args)
    return list_page(
        template,
        query(args.get("status")),
        args["page"],
        per_page,
        status=args.get("status", ""),
        statuses=statuses,
        **context,
    )


def load_query(schema_cls: type[Schema], args: Mapping, only: tuple[str, ...] | None = None):
    """A page's query string through `schema_cls`, as `load_form`; parameters the schema does not
    name (a tracking tag, an old bookmark's) are ignored rather than refused.

    Raises: ValidationFailed for a parameter it names that is wrong.
    """
    names = {field.data_key or name for name, field in schema_cls().fields.items()}
    return load_form(schema_cls, {k: v for k, v in args.items() if k in names}, only)


def load_form(schema_cls: type[Schema], data: Mapping, only: tuple[str, ...] | None = None):
    """Validate form data with an API schema; blank fields count as not given.

    Raises: ValidationFailed with the schema's messages per field.
    """
    schema = relax(schema_cls(only=only) if only else schema_cls())
    cleaned = {}
    for key, value in data.items():
        if key in ("csrf_token", "next"):
            continue
        if isinstance(value, str):
            reject_unstorable(value, key)
            value = value.strip()
            if value == "":
                continue
            if isinstance(schema.fields.get(key), ExactDecimal):
                value = _as_typed_plainly(value)
        cleaned[key] = value
    try:
        return schema.load(cleaned)
    except ValidationError as exc:
        raise ValidationFailed("提交的数据不正确", **exc.messages_dict) from None


# An amount as people copy it from a statement or a spreadsheet: ¥1,000.00, 1,000.
_GROUPED = re.compile(r"[¥￥]?\s*(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)")


def _as_typed_plainly(value: str) -> str:
    """An amount typed with a ¥ or thousands separators, as the schema reads amounts ("1000.00");
    anything else as typed, for the schema to refuse in words ("12,5" is not 12.5 or 125)."""
    found = _GROUPED.fullmatch(value)
    return found[1].replace(",", "") if found else value


def _flatten(messages, labels: Mapping[str, str], prefix: str = "") -> list[str]:
    out = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # A field without a label is not named (a staff member never reads a field's key);
            # the message, and the row it is on, still say what is wrong.
            label = labels.get(str(key), "")
            if str(key).isdigit():
                label = f"第 {int(key) + 1} 行"
            out += _flatten(value, labels, f"{prefix}{label} " if label else prefix)
    elif isinstance(messages, list | tuple):
        for item in messages:
            out += _flatten(item, labels, prefix)
    else:
        out.append(f"{prefix.strip()}：{messages}" if prefix else str(messages))
    return out


def describe(exc: AppError, labels: Mapping[str, str] | None = None) -> str:
    """The error's message, and for bad input what is wrong with which field (`labels`: the
    form's own names for its fields, over the console's usual ones)."""
    # Only what is wrong with a field (its messages); other details (ids, quantities) are for API
    # clients, and the message already says them in words.
    fields = {k: v for k, v in exc.details.items() if isinstance(v, list | tuple | Mapping)}
    if isinstance(exc, ValidationFailed) and fields:
        # A field whose words the message already says is not said again after it
        # ("收款金额必须大于 0：金额：收款金额必须大于 0").
        fields = {
            k: v
            for k, v in fields.items()
            if not (isinstance(v, list | tuple) and all(str(m) in exc.message for m in v))
        }
        if not fields:
            return exc.message
        labels = {**FIELD_LABELS, **(labels or {})}
        return f"{exc.message}：" + "；".join(_flatten(fields, labels))
    return exc.message


def perform(
    action: Callable[[], object],
    success: str,
    back: str,
    then: Callable[[object], str] | None = None,
):
    """Run a service call for a form; say how it went on the next page (POST, redirect 303, GET).
    The action may return its own success message; `then` gives the page to show after success
    from what the action returned (e.g. the record it created)."""
    return run_form_action(action, success, back, then, describe=describe, code=303)


def console_page(rule: str, permission: str | None):
    """A console page (GET): signed in, and in a role with `permission` (None: the view checks
    it itself)."""

    def decorator(view):
        return bp.get(rule)(console_login(permission)(view))

    return decorator


def form_post(
    rule: str,
    permission: str,
    success: str,
    back: str | Callable[..., str],
    then: str | None = None,
    again: Callable[..., object] | None = None,
):
    """A console form's POST view, whose body is only its service call: signed in with
    `permission`, the call run through `perform`, the outcome said on `back` — a console page's
    endpoint, given those of the view's arguments its address takes (a record's page after an
    action on that record), or a function of the view's arguments giving the address. `then`:
    the endpoint of the page of the record the call created, to go to instead. `again`: the
    form's page view; a refused submission shows it again at once, with what was typed
    (`typed=request.form`) and what is wrong, instead of an empty form on `back`."""

    def decorator(view):
        @bp.post(rule)
        @console_login(permission)
        @wraps(view)
        def post(**view_args):
            address = back(**view_args) if callable(back) else _address(back, view_args)
            created = (lambda record: record_page(then, record.id)) if then else None
            if again is not None:
                try:
                    outcome = view(**view_args)
                except AppError as exc:
                    if exc.status in (401, 403, 404):
                        raise
                    flash(f"{describe(exc)}。您填写的内容还在，尚未保存。", "error")
                    return again(**view_args, typed=request.form)
                return perform(lambda: outcome, success, address, created)
            return perform(lambda: view(**view_args), success, address, created)

        return post

    return decorator


def filtered(endpoint: str) -> Callable[..., str]:
    """`back` for a form on a filtered list (posted with the list's query string): the list
    again, as it was filtered."""
    return lambda **_: url_for(endpoint, **request.args)


def record_page(endpoint: str, record_id: int) -> str:
    """The address of a record's page: `endpoint`'s one argument (its id) given `record_id`."""
    (name,) = next(current_app.url_map.iter_rules(endpoint)).arguments
    return url_for(endpoint, **{name: record_id})


def _address(endpoint: str, view_args: Mapping) -> str:
    rule = next(current_app.url_map.iter_rules(endpoint))
    return url_for(endpoint, **{k: v for k, v in view_args.items() if k in rule.arguments})


@bp.errorhandler(AppError)
def _app_error(exc: AppError):
    return render_template("console/error.html", message=describe(exc)), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    messages = {
        400: "请求无效，请刷新页面后重试",
        403: "没有权限执行此操作",
        404: "页面不存在",
        405: "不支持的请求方法",
        413: "上传的文件过大",
        429: "操作太频繁，请稍后再试",
    }
    if exc.code == 400 and "CSRF" in (exc.description or ""):
        message = "页面已过期（安全校验失败），请刷新页面后重试"
    else:
        message = messages.get(exc.code, exc.name)
    return render_template("console/error.html", message=message), exc.code


def back_to(default: str) -> str:
    """Where to return after a form: the page it came from when that is a console page."""
    ref = request.referrer or ""
    host = request.host_url.rstrip("/")
    if ref.startswith(host + "/admin"):
        return ref[len(host) :]
    return default
