"""Products with their 10 price levels, categories, product import from Excel."""

from __future__ import annotations

from flask import g, render_template, request, url_for

from admin import excel
from admin.console.forms import console_page, form_post, load_form, load_query, page_of
from admin.schemas import CategoryIn, ProductIn, ProductPatchIn, ProductQueryIn
from app.backoffice import catalog as staff_catalog
from app.backoffice import choices
from app.core import catalog, product_images
from app.core.rules import PRICE_LEVELS
from app.errors import ValidationFailed

PER_PAGE = 30
UNIT_ROWS = 5  # a product's most named units (app.core.units.MAX_UNITS)


def _product_form(form) -> dict:
    """Flat form fields → the API's product body (level prices as {"1": price, ...})."""
    data = {k: v for k, v in form.items() if not k.startswith("price-")}
    prices = {
        str(level): form.get(f"price-{level}")
        for level in PRICE_LEVELS
        if (form.get(f"price-{level}") or "").strip()
    }
    if prices:
        data["prices"] = prices
    # 多单位: rows of (name, factor); a form that has them sets them all (none left: no units).
    data = {k: v for k, v in data.items() if not k.startswith("unit-")}
    if "unit-name-1" in form:
        data["units"] = [
            {"name": name, "factor": form.get(f"unit-factor-{n}", "").strip()}
            for n in range(1, UNIT_ROWS + 1)
            if (name := form.get(f"unit-name-{n}", "").strip())
            or form.get(f"unit-factor-{n}", "").strip()
        ]
    return data


def _images(product_id: int, **_) -> str:
    """The product's page at its pictures (after an action on them)."""
    return url_for("console.product", product_id=product_id, _anchor="images")


def _categories():
    return choices.category_options()


@console_page("/products", "catalog.view")
def products():
    args = load_query(ProductQueryIn, request.args)
    found, pager = page_of(staff_catalog.products_query(args, by_sku=True), args["page"], PER_PAGE)
    items = list(found)
    levels = catalog.level_prices([p.id for p in items])
    return render_template(
        "console/products.html",
        products=items,
        levels=levels,
        level_numbers=PRICE_LEVELS,
        **pager,
        q=args.get("q", ""),
        category_id=args.get("category_id", ""),
        category_options=_categories(),
    )


@console_page("/products/export.xlsx", "catalog.view")
def export_products():
    """The products the list's filters find, in the columns the product import reads back."""
    args = load_query(ProductQueryIn, request.args)
    return excel.products_export(staff_catalog.products_query(args, by_sku=True))


@form_post("/products", "catalog.manage", "已创建商品", "console.products", then="console.product")
def create_product():
    return staff_catalog.create_product(g.staff, load_form(ProductIn, _product_form(request.form)))


@console_page("/products/<int:product_id>", "catalog.view")
def product(product_id: int):
    found = staff_catalog.product(product_id)
    return render_template(
        "console/product.html",
        product=found,
        images=[product_images.described(i, absolute_urls=False) for i in found.images],
        image_limit=product_images.max_images(),
        image_max_mb=product_images.max_bytes() // (1024 * 1024),
        prices={int(level): price for level, price in found.prices.items()},
        level_numbers=PRICE_LEVELS,
        category_options=_categories(),
    )


@form_post("/products/<int:product_id>", "catalog.manage", "商品已保存", "console.product")
def update_product(product_id: int):
    data = load_form(ProductPatchIn, _product_form(request.form))
    data.setdefault("active", False)  # an unticked checkbox sends nothing
    if not request.form.get("category_id"):
        data["category_id"] = None
    staff_catalog.update_product(g.staff, product_id, data)


@form_post("/products/<int:product_id>/images", "catalog.manage", "", _images)
def upload_product_images(product_id: int):
    """上传图片: one or several pictures from the product page's image section."""
    uploads = [f for f in request.files.getlist("file") if f.filename]
    if not uploads:
        raise ValidationFailed("请选择要上传的图片", file=["必填"])
    for upload in uploads:
        data = upload.read(product_images.max_bytes() + 1)
        staff_catalog.add_product_image(g.staff, product_id, data)
    return f"已上传 {len(uploads)} 张图片"


@form_post(
    "/products/<int:product_id>/images/<int:image_id>/delete",
    "catalog.manage",
    "图片已删除",
    _images,
)
def delete_product_image(product_id: int, image_id: int):
    return staff_catalog.remove_product_image(g.staff, product_id, image_id)


@form_post(
    "/products/<int:product_id>/images/<int:image_id>/first",
    "catalog.manage",
    "已设为首图",
    _images,
)
def first_product_image(product_id: int, image_id: int):
    return staff_catalog.make_first_product_image(g.staff, product_id, image_id)


@form_post("/categories", "catalog.manage", "已添加分类", "console.products")
def create_category():
    data = load_form(CategoryIn, request.form)
    staff_catalog.create_category(g.staff, data["name"], data["parent_id"], data["sort"])
