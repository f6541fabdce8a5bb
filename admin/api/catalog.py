"""Products with their 10 price levels, categories, customer price books."""

from __future__ import annotations

from admin.schemas import (
    CategoryAdminOut,
    CategoryIn,
    CustomerPriceIn,
    CustomerPriceOut,
    ProductAdminOut,
    ProductAdminPageOut,
    ProductGroupIn,
    ProductGroupOut,
    ProductGroupPageOut,
    ProductGroupPatchIn,
    ProductGroupQueryIn,
    ProductIn,
    ProductPatchIn,
    ProductQueryIn,
    SkuGenerateIn,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import accounts, catalog, choices
from app.validation import page_of_query

bp = Blueprint("admin_catalog", __name__, url_prefix="/api/admin/v1", description="商品与价格")


@bp.get("/products")
@staff_required("catalog.view")
@bp.arguments(ProductQueryIn, location="query")
@bp.response(200, ProductAdminPageOut)
def list_products(args):
    return page_of_query(
        catalog.products_query(args), args, lambda page: catalog.with_level_prices(list(page))
    )


@bp.post("/products")
@staff_required("catalog.manage")
@bp.arguments(ProductIn)
@bp.response(201, ProductAdminOut)
def create_product(data):
    return catalog.create_product(current_staff(), data)


@bp.patch("/products/<id:product_id>")
@staff_required("catalog.manage")
@bp.arguments(ProductPatchIn)
@bp.response(200, ProductAdminOut)
def update_product(data, product_id):
    return catalog.update_product(current_staff(), product_id, data)


@bp.get("/product-groups")
@staff_required("catalog.view")
@bp.arguments(ProductGroupQueryIn, location="query")
@bp.response(200, ProductGroupPageOut)
def list_groups(args):
    """Styles (款), newest first, each with its SKUs."""
    return page_of_query(
        catalog.groups_query(args), args, lambda page: catalog.with_skus(list(page))
    )


@bp.post("/product-groups")
@staff_required("catalog.manage")
@bp.arguments(ProductGroupIn)
@bp.response(201, ProductGroupOut)
def create_group(data):
    """A style (款) with its spec dimensions; its products (SKUs) come with `group_id` and
    `spec` on POST /products, or all at once from POST /product-groups/{id}/skus."""
    return catalog.create_group(current_staff(), data)


@bp.get("/product-groups/<id:group_id>")
@staff_required("catalog.view")
@bp.response(200, ProductGroupOut)
def get_group(group_id):
    return catalog.product_group(group_id)


@bp.patch("/product-groups/<id:group_id>")
@staff_required("catalog.manage")
@bp.arguments(ProductGroupPatchIn)
@bp.response(200, ProductGroupOut)
def update_group(data, group_id):
    """Values and dimensions may be added; one a SKU still uses cannot go (conflict 409)."""
    return catalog.update_group(current_staff(), group_id, data)


@bp.post("/product-groups/<id:group_id>/skus")
@staff_required("catalog.manage")
@bp.arguments(SkuGenerateIn)
@bp.response(200, ProductGroupOut)
def generate_skus(data, group_id):
    """Creates a product for every combination of the style's values that has none: SKU
    `sku_prefix`-01, -02 … (by the combination's place), named after the style and its values."""
    return catalog.generate_skus(current_staff(), group_id, data)


@bp.post("/categories")
@staff_required("catalog.manage")
@bp.arguments(CategoryIn)
@bp.response(201, CategoryAdminOut)
def create_category(data):
    return catalog.create_category(current_staff(), data["name"], data["parent_id"], data["sort"])


@bp.get("/categories")
@staff_required("catalog.view")
@bp.response(200, CategoryAdminOut(many=True))
def list_categories():
    return choices.categories()


@bp.put("/customers/<id:customer_id>/prices/<id:product_id>")
@staff_required("catalog.manage")
@bp.arguments(CustomerPriceIn)
@bp.response(200, CustomerPriceOut)
def set_customer_price(data, customer_id, product_id):
    return accounts.set_customer_price(current_staff(), customer_id, product_id, data["price"])
