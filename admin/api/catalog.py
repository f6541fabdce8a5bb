"""Products with their 10 price levels, categories, customer price books."""

from __future__ import annotations

from admin.schemas import (
    CategoryAdminOut,
    CategoryIn,
    CustomerPriceIn,
    CustomerPriceOut,
    ProductAdminOut,
    ProductAdminPageOut,
    ProductIn,
    ProductPatchIn,
    ProductQueryIn,
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
