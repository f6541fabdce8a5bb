"""Products with their 10 price levels, categories, customer price books."""

from __future__ import annotations

from flask import request

from admin.api.blueprint import StaffBlueprint
from admin.schemas import (
    CategoryAdminOut,
    CategoryIn,
    CategoryListOut,
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
from admin.security import current_staff
from app.backoffice import accounts, catalog, choices
from app.core import product_images
from app.errors import ValidationFailed
from app.http import FILE_UPLOAD
from app.schemas import ProductImageOut
from app.validation import WholeListIn, page_of_list

bp = StaffBlueprint("admin_catalog", __name__, "商品与价格")


@bp.listing(
    "/products",
    "catalog.view",
    ProductQueryIn,
    ProductAdminPageOut,
    lambda page: product_images.with_images(catalog.with_level_prices(list(page))),
)
def list_products(args):
    return catalog.products_query(args)


@bp.post("/products")
@bp.staff("catalog.manage", body=ProductIn, status=201, out=ProductAdminOut)
def create_product(data):
    return catalog.create_product(current_staff(), data)


@bp.patch("/products/<id:product_id>")
@bp.staff("catalog.manage", body=ProductPatchIn, out=ProductAdminOut)
def update_product(data, product_id):
    return catalog.update_product(current_staff(), product_id, data)


@bp.post("/products/<id:product_id>/images")
@bp.staff("catalog.manage", status=201, out=ProductImageOut)
@bp.doc(**FILE_UPLOAD)
def upload_product_image(product_id):
    """A picture of the product: multipart `file`, JPEG, PNG or WebP, at most
    PRODUCT_IMAGE_MAX_BYTES (5 MB). Stored without its metadata (EXIF, GPS) and with a thumbnail;
    the product's first picture is its `image`. 422 when it is not such an image, too large,
    corrupt, or the product has PRODUCT_IMAGES_MAX (9) pictures already."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("请以 multipart 表单字段 file 上传图片", file=["必填"])
    data = upload.read(product_images.max_bytes() + 1)
    return catalog.add_product_image(current_staff(), product_id, data)


@bp.delete("/products/<id:product_id>/images/<id:image_id>")
@bp.staff("catalog.manage", out=ProductImageOut)
def delete_product_image(product_id, image_id):
    """The picture as it was, deleted with its files; the next one becomes the product's
    `image` (or it has none)."""
    return catalog.remove_product_image(current_staff(), product_id, image_id)


@bp.listing(
    "/product-groups",
    "catalog.view",
    ProductGroupQueryIn,
    ProductGroupPageOut,
    lambda page: catalog.with_skus(list(page)),
)
def list_groups(args):
    """Styles (款), newest first, each with its SKUs."""
    return catalog.groups_query(args)


@bp.post("/product-groups")
@bp.staff("catalog.manage", body=ProductGroupIn, status=201, out=ProductGroupOut)
def create_group(data):
    """A style (款) with its spec dimensions; its products (SKUs) come with `group_id` and
    `spec` on POST /products, or all at once from POST /product-groups/{id}/skus."""
    return catalog.create_group(current_staff(), data)


@bp.get("/product-groups/<id:group_id>")
@bp.staff("catalog.view", out=ProductGroupOut)
def get_group(group_id):
    return catalog.product_group(group_id)


@bp.patch("/product-groups/<id:group_id>")
@bp.staff("catalog.manage", body=ProductGroupPatchIn, out=ProductGroupOut)
def update_group(data, group_id):
    """Values and dimensions may be added; one a SKU still uses cannot go (conflict 409)."""
    return catalog.update_group(current_staff(), group_id, data)


@bp.post("/product-groups/<id:group_id>/skus")
@bp.staff("catalog.manage", body=SkuGenerateIn, out=ProductGroupOut)
def generate_skus(data, group_id):
    """Creates a product for every combination of the style's values that has none: SKU
    `sku_prefix`-01, -02 … (by the combination's place), named after the style and its values."""
    return catalog.generate_skus(current_staff(), group_id, data)


@bp.post("/categories")
@bp.staff("catalog.manage", body=CategoryIn, status=201, out=CategoryAdminOut)
def create_category(data):
    return catalog.create_category(current_staff(), data["name"], data["parent_id"], data["sort"])


@bp.get("/categories")
@bp.staff("catalog.view", query=WholeListIn, out=CategoryListOut)
def list_categories(args):
    return page_of_list(choices.categories(), args)


@bp.put("/customers/<id:customer_id>/prices/<id:product_id>")
@bp.staff("catalog.manage", body=CustomerPriceIn, out=CustomerPriceOut)
def set_customer_price(data, customer_id, product_id):
    return accounts.set_customer_price(current_staff(), customer_id, product_id, data["price"])
