"""Excel imports of products and customers: the form, the template, and the row-by-row report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import g, render_template, request

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import console_page
from admin.console.session import console_login, may
from app.errors import Forbidden, NotFound, ValidationFailed

if TYPE_CHECKING:
    from app.core.models import Staff


@dataclass(frozen=True)
class Import:
    title: str
    permission: str
    columns: list
    run: Callable[[bytes, Staff], excel.ImportResult]
    template_name: str


IMPORTS = {
    "products": Import(
        "导入商品",
        "catalog.manage",
        excel.PRODUCT_COLUMNS,
        excel.import_products,
        "商品导入模板.xlsx",
    ),
    "styles": Import(
        "导入款式与SKU",
        "catalog.manage",
        excel.STYLE_COLUMNS,
        excel.import_styles,
        "款式导入模板.xlsx",
    ),
    "customers": Import(
        "导入客户",
        "customers.manage",
        excel.CUSTOMER_COLUMNS,
        excel.import_customers,
        "客户导入模板.xlsx",
    ),
}


def _spec(kind: str) -> Import:
    spec = IMPORTS.get(kind)
    if spec is None:
        raise NotFound("页面不存在")
    if not may(spec.permission):
        raise Forbidden("当前角色无权导入")
    return spec


@console_page("/import/<kind>", None)
def import_form(kind: str):
    return render_template("console/import.html", kind=kind, spec=_spec(kind), result=None)


@console_page("/import/<kind>/template.xlsx", None)
def import_template(kind: str):
    spec = _spec(kind)
    return excel.template_response(spec.template_name, spec.columns)


@bp.post("/import/<kind>")
@console_login(None)
def run_import(kind: str):
    """Every row is checked first; with any error nothing is saved and the rows are listed (422)."""
    spec = _spec(kind)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed("请选择要导入的 Excel 文件", file=["必填"])
    result = spec.run(upload.read(), g.staff)
    page = render_template("console/import.html", kind=kind, spec=spec, result=result)
    return page, 422 if result.errors else 200
