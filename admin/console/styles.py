"""Styles (款) and their SKUs: the list with a create form, a style's page (its specs, its SKUs,
the combinations still missing, generating or attaching SKUs), and its Excel export."""

from __future__ import annotations

from flask import g, render_template, request

from admin import excel
from admin.console.forms import console_page, form_post, list_page, load_form, load_query
from admin.schemas import (
    ProductGroupIn,
    ProductGroupPatchIn,
    ProductGroupQueryIn,
    SkuGenerateIn,
)
from app.backoffice import catalog as staff_catalog
from app.backoffice import choices
from app.core import styles
from app.errors import ValidationFailed

PER_PAGE = 30


def _group_form(form) -> dict:
    """The form's fields → the API's style body (specs typed a dimension per line)."""
    data = {k: v for k, v in form.items() if k != "specs"}
    if (form.get("specs") or "").strip():
        data["specs"] = styles.parse_specs_text(form["specs"])
    return data


@console_page("/styles", "catalog.view")
def styles_page():
    args = load_query(ProductGroupQueryIn, request.args)
    return list_page(
        "console/styles.html",
        staff_catalog.groups_query(args),
        args["page"],
        PER_PAGE,
        rows=lambda found: staff_catalog.with_skus(list(found)),
        name="groups",
        q=args.get("q", ""),
        category_options=choices.category_options(),
        category_names=dict(choices.category_options()),
        specs_text=styles.specs_text,
    )


@form_post(
    "/styles", "catalog.manage", "已创建款式", "console.styles_page", then="console.style_page"
)
def create_style():
    return staff_catalog.create_group(g.staff, load_form(ProductGroupIn, _group_form(request.form)))


@console_page("/styles/<int:group_id>", "catalog.view")
def style_page(group_id: int):
    return render_template(
        "console/style.html",
        group=staff_catalog.product_group(group_id),
        category_options=choices.category_options(),
        specs_text=styles.specs_text,
        spec_label=styles.spec_label,
    )


@form_post("/styles/<int:group_id>", "catalog.manage", "款式已保存", "console.style_page")
def update_style(group_id: int):
    data = load_form(ProductGroupPatchIn, _group_form(request.form))
    data.setdefault("active", False)  # an unticked checkbox sends nothing
    staff_catalog.update_group(g.staff, group_id, data)


@form_post("/styles/<int:group_id>/skus", "catalog.manage", "", "console.style_page")
def generate_style_skus(group_id: int):
    data = load_form(SkuGenerateIn, request.form)
    before = len(staff_catalog.product_group(group_id).skus)
    after = len(staff_catalog.generate_skus(g.staff, group_id, data).skus)
    return f"已生成 {after - before} 个 SKU"


@form_post("/styles/<int:group_id>/attach", "catalog.manage", "", "console.style_page")
def attach_style_sku(group_id: int):
    sku = (request.form.get("sku") or "").strip()
    if not sku:
        raise ValidationFailed("请填写要加入的商品 SKU", sku=["必填"])
    try:
        spec = styles.parse_spec_label(request.form.get("spec") or "")
    except ValueError as exc:
        raise ValidationFailed(str(exc), spec=[str(exc)]) from None
    staff_catalog.attach_sku(g.staff, group_id, sku, spec)
    return f"已将 {sku} 加入该款式"


@console_page("/styles/export.xlsx", "catalog.view")
def export_styles():
    """Every style's SKUs, a row each, in the columns the style import reads back."""
    args = load_query(ProductGroupQueryIn, request.args)
    return excel.styles_export(staff_catalog.groups_query(args))
