"""Promotions (促销): the list with each one's status, a form to create and schedule one of the four
kinds for chosen branches, price levels or customers, 提前结束, and a preview of what a chosen
dealer pays for a product now."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    describe,
    filtered,
    form_post,
    load_query,
    paging,
)
from admin.console.session import console_login
from admin.schemas import PromotionIn, PromotionQueryIn
from app.backoffice import choices
from app.backoffice import promotions as staff_promotions
from app.core.promotions import KINDS
from app.core.rules import PRICE_LEVELS
from app.errors import AppError, ValidationFailed
from app.validation import relax, whole_number

PER_PAGE = 30
KIND_LABELS = {
    "special_price": "特价",
    "tiered_price": "阶梯价",
    "full_reduction": "满减",
    "gift": "满赠 / 买赠",
}
TIERS = 3
FIELD_LABELS = {
    "name": "名称",
    "kind": "类型",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "rules": "规则",
    "branch_ids": "分支机构",
    "price_levels": "价格等级",
    "customer_ids": "客户",
}


def _ids(form, key: str, what: str) -> list[int]:
    return [whole_number(v, low=1, what=what) for v in form.getlist(key) if v.strip()]


def _rules(kind: str, form) -> dict:
    """The chosen kind's fields → its `rules` (shape checked by the service)."""

    def text(key):
        return form.get(key, "").strip()

    def number(key, what):
        return whole_number(text(key), low=1, what=what) if text(key) else None

    if kind == "special_price":
        return {"items": [{"product_id": number("sp_product", "商品"), "price": text("sp_price")}]}
    if kind == "tiered_price":
        tiers = [
            {"min_qty": number(f"tier_qty_{i}", "起订量"), "price": text(f"tier_price_{i}")}
            for i in range(1, TIERS + 1)
            if text(f"tier_qty_{i}") or text(f"tier_price_{i}")
        ]
        return {"product_id": number("tp_product", "商品"), "tiers": tiers}
    if kind == "full_reduction":
        rules = {
            "threshold": text("fr_threshold"),
            "reduction": text("fr_reduction"),
            "repeat": bool(form.get("fr_repeat")),
        }
        products = _ids(form, "fr_products", "商品")
        if products:
            rules["product_ids"] = products
        return rules
    rules = {
        "gift_product_id": number("gift_product", "赠品"),
        "gift_qty": number("gift_qty", "赠送数量"),
        "repeat": bool(form.get("gift_repeat")),
    }
    if text("gift_buy_product"):
        rules["product_id"] = number("gift_buy_product", "购买商品")
        rules["min_qty"] = number("gift_min_qty", "购买数量") or 1
    if text("gift_threshold"):
        rules["threshold"] = text("gift_threshold")
    return rules


def _promotion_form(form) -> dict:
    """The form → the API's promotion body, loaded by the API's schema.
    Raises: ValidationFailed."""
    kind = form.get("kind", "")
    body = {
        "name": form.get("name", "").strip(),
        "kind": kind,
        "starts_at": form.get("starts_at", "").strip(),
        "ends_at": form.get("ends_at", "").strip(),
        "branch_ids": _ids(form, "branch_ids", "分支机构"),
        "price_levels": _ids(form, "price_levels", "价格等级"),
        "customer_ids": _ids(form, "customer_ids", "客户"),
        "rules": _rules(kind, form) if kind in KINDS else {},
    }
    try:
        return relax(PromotionIn()).load(body)
    except ValidationError as exc:
        raise ValidationFailed("提交的数据不正确", **exc.messages_dict) from None


def _preview(args):
    """What the preview form asks for, priced; None when it asks nothing; its error in words."""
    customer_id = args.get("preview_customer", "").strip()
    if not customer_id:
        return None, ""
    try:
        lines = []
        product = args.get("preview_product", "").strip()
        if product:
            qty = whole_number(args.get("preview_qty", "1") or "1", low=1, what="数量")
            lines = [{"product_id": whole_number(product, low=1, what="商品"), "qty": qty}]
        found = staff_promotions.preview(
            g.staff, whole_number(customer_id, low=1, what="客户"), lines
        )
        return found, ""
    except AppError as exc:
        return None, exc.message


@console_page("/promotions", "promotions.view")
def promotions(typed=None, form_error: str = ""):
    """The list, the create form (with what was typed and what is wrong, after a refused
    submission), and the preview."""
    args = load_query(PromotionQueryIn, request.args)
    items, total = staff_promotions.promotions_page(g.staff, args, args["page"], PER_PAGE)
    rule_words = _rule_words(items)
    preview, preview_error = _preview(request.args)
    return render_template(
        "console/promotions.html",
        items=items,
        **paging(total, args["page"], PER_PAGE),
        status=args.get("status", ""),
        status_labels=staff_promotions.STATUS_LABELS,
        kind_labels=KIND_LABELS,
        tiers=range(1, TIERS + 1),
        branch_options=choices.branch_options(),
        branch_names=choices.branch_names(),
        customer_options=[(c.id, f"{c.code} {c.name}") for c in choices.active_customers(g.staff)],
        customer_names=choices.customer_labels(),
        product_options=choices.product_options(),
        levels=PRICE_LEVELS,
        preview=preview,
        preview_error=preview_error,
        preview_args=request.args,
        typed=typed if typed is not None else MultiDict(),
        form_error=form_error,
        rule_words=rule_words,
    )


def _rule_words(items) -> dict[int, str]:
    """What each promotion does, as the list says it: a 特价 or 阶梯价 names its products and
    prices (its label alone, "特价", says nothing of them); the others are their label."""
    ids = set()
    for p in items:
        if p.kind == "special_price":
            ids |= {item["product_id"] for item in p.rules_out["items"]}
        elif p.kind == "tiered_price":
            ids.add(p.rules_out["product_id"])
    products = choices.products_by_id(ids)

    def named(product_id: int) -> tuple[str, str]:
        found = products.get(product_id)
        return (found.name, found.unit) if found else ("已删除的商品", "件")

    words = {}
    for p in items:
        rules = p.rules_out
        if p.kind == "special_price":
            words[p.id] = "；".join(
                f"{named(i['product_id'])[0]} ¥{i['price']}" for i in rules["items"]
            )
        elif p.kind == "tiered_price":
            name, unit = named(rules["product_id"])
            tiers = "，".join(f"满 {t['min_qty']} {unit} ¥{t['price']}" for t in rules["tiers"])
            words[p.id] = f"{name}：{tiers}"
        else:
            words[p.id] = p.label
    return words


@bp.post("/promotions")
@console_login("promotions.manage")
def create_promotion():
    """A refused promotion comes back with what was typed and what is wrong with it."""
    try:
        made = staff_promotions.create_promotion(g.staff, _promotion_form(request.form))
    except AppError as exc:
        if exc.status == 403:
            raise
        return promotions(request.form, describe(exc, FIELD_LABELS))
    flash(f"促销“{made.name}”已创建（{made.label}，{made.status_label}）", "success")
    return redirect(url_for("console.promotions"), code=303)


@form_post(
    "/promotions/<int:promotion_id>/end",
    "promotions.manage",
    "促销已结束",
    filtered("console.promotions"),
)
def end_promotion(promotion_id: int):
    ended = staff_promotions.end_promotion(g.staff, promotion_id)
    return f"促销“{ended.name}”已{ended.status_label}"
