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
from admin.security import BEARER, current_staff, staff_required
from app.api import Blueprint
from app.auth.scopes import customer_in_scope
from app.core import catalog
from app.core.models import Category, Product
from app.errors import NotFound
from app.validation import paged

bp = Blueprint("admin_catalog", __name__, url_prefix="/api/admin/v1", description="商品与价格")


def _with_prices(products: list[Product]) -> list[Product]:
    levels = catalog.level_prices([p.id for p in products])
    for p in products:
        p.prices = {str(level): price for level, price in sorted(levels[p.id].items())}
    return products


def _prices(data: dict) -> dict[int, object]:
    return {int(k): v for k, v in data.pop("prices", {}).items()}


@bp.get("/products")
@staff_required("catalog.view")
@bp.arguments(ProductQueryIn, location="query")
@bp.response(200, ProductAdminPageOut)
@bp.doc(security=BEARER)
def list_products(args):
    query = Product.select()
    if args.get("q"):
        query = query.where(Product.name.contains(args["q"]) | Product.sku.contains(args["q"]))
    if args.get("category_id"):
        query = query.where(Product.category == args["category_id"])
    if "active" in args:
        query = query.where(Product.active == args["active"])
    total = query.count()
    items = list(query.order_by(Product.id).paginate(args["page"], args["per_page"]))
    return paged(_with_prices(items), args["page"], args["per_page"], total)


@bp.post("/products")
@staff_required("catalog.manage")
@bp.arguments(ProductIn)
@bp.response(201, ProductAdminOut)
@bp.doc(security=BEARER)
def create_product(data):
    prices = _prices(data)
    return _with_prices([catalog.create_product(prices=prices, **data)])[0]


@bp.patch("/products/<id:product_id>")
@staff_required("catalog.manage")
@bp.arguments(ProductPatchIn)
@bp.response(200, ProductAdminOut)
@bp.doc(security=BEARER)
def update_product(data, product_id):
    prices = _prices(data)
    return _with_prices([catalog.update_product(product_id, prices=prices, **data)])[0]


@bp.post("/categories")
@staff_required("catalog.manage")
@bp.arguments(CategoryIn)
@bp.response(201, CategoryAdminOut)
@bp.doc(security=BEARER)
def create_category(data):
    return catalog.create_category(data["name"], data["parent_id"], data["sort"])


@bp.get("/categories")
@staff_required("catalog.view")
@bp.response(200, CategoryAdminOut(many=True))
@bp.doc(security=BEARER)
def list_categories():
    return list(Category.select().order_by(Category.sort, Category.id))


@bp.put("/customers/<id:customer_id>/prices/<id:product_id>")
@staff_required("catalog.manage")
@bp.arguments(CustomerPriceIn)
@bp.response(200, CustomerPriceOut)
@bp.doc(security=BEARER)
def set_customer_price(data, customer_id, product_id):
    customer_in_scope(current_staff(), customer_id)
    if not Product.select().where(Product.id == product_id).exists():
        raise NotFound("商品不存在", product_id=product_id)
    return catalog.set_customer_price(customer_id, product_id, data["price"])
