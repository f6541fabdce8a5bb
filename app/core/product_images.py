"""Product images: uploaded pictures of a product, each stored with a thumbnail; the first one
(lowest position) is the product's `image`.

Keys are `products/YYYY/MM/<32 hex>.<jpg|png|webp>`, the thumbnail beside it as
`….thumb.jpg`. URLs are MEDIA_BASE_URL/<key> when a CDN or public bucket serves them, else
`/media/<key>` on the site itself (the APIs answer those as absolute URLs on PUBLIC_BASE_URL), so
a page can name a product's thumbnail from Product.image alone (`thumb_of`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.adapters import images
from app.adapters.storage import new_key, storage_from
from app.core.models import Product, ProductImage
from app.db import db, transaction, utcnow
from app.errors import NotFound, ValidationFailed
from app.events import CatalogueChanged, emit

log = logging.getLogger(__name__)

FOLDER = "products"
THUMB_SUFFIX = ".thumb.jpg"
_KEY = re.compile(r"^products/\d{4}/\d{2}/[0-9a-f]{32}(?P<ext>\.thumb\.jpg|\.jpg|\.png|\.webp)$")
_IMAGE_URL = re.compile(r"^(?P<stem>.*/products/\d{4}/\d{2}/[0-9a-f]{32})\.(jpg|png|webp)$")


@dataclass
class _Settings:
    storage: object = None
    media_base: str = "/media"
    public_base: str = "http://127.0.0.1:5000"
    max_bytes: int = 5 * 1024 * 1024
    max_images: int = 9


_settings = _Settings()


def configure(settings: Mapping) -> None:
    """Set once per process by app.bootstrap."""
    global _settings
    _settings = _Settings(
        storage=storage_from(settings),
        media_base=(settings.get("MEDIA_BASE_URL") or "/media").rstrip("/"),
        public_base=(settings.get("PUBLIC_BASE_URL") or "").rstrip("/"),
        max_bytes=int(settings.get("PRODUCT_IMAGE_MAX_BYTES", 5 * 1024 * 1024)),
        max_images=int(settings.get("PRODUCT_IMAGES_MAX", 9)),
    )


def storage():
    return _settings.storage


def max_bytes() -> int:
    return _settings.max_bytes


def max_images() -> int:
    return _settings.max_images


def url_of(key: str) -> str:
    return f"{_settings.media_base}/{key}"


def absolute(url: str) -> str:
    """A URL as the APIs answer it: one on this site gets PUBLIC_BASE_URL in front."""
    if url.startswith("/") and not url.startswith("//"):
        return f"{_settings.public_base}{url}"
    return url


def thumb_of(image_url: str) -> str:
    """The thumbnail of a product's `image` when it is one of ours, else the image itself."""
    found = _IMAGE_URL.match(image_url or "")
    return f"{found['stem']}{THUMB_SUFFIX}" if found else image_url


def content_type_of(key: str) -> str | None:
    """The content type of a stored product image or thumbnail; None for any other key."""
    found = _KEY.match(key)
    if not found:
        return None
    # A thumbnail is always a JPEG; a picture is kept in the format it came in.
    extension = "jpg" if found["ext"] == THUMB_SUFFIX else found["ext"].lstrip(".")
    return images.CONTENT_TYPES[extension]


def _thumb_key(key: str) -> str:
    return key.rsplit(".", 1)[0] + THUMB_SUFFIX


def _product_row(product_id: int) -> None:
    """Lock the product's row for this transaction (two uploads at once count in turn).
    Raises: NotFound."""
    if not Product.update(updated_at=utcnow()).where(Product.id == product_id).execute():
        raise NotFound("商品不存在", product_id=product_id)


def _ordered(product_id: int) -> list[ProductImage]:
    return list(
        ProductImage.select()
        .where(ProductImage.product == product_id)
        .order_by(ProductImage.position, ProductImage.id)
    )


def _first_is(product_id: int, rows: list[ProductImage]) -> None:
    Product.update(image=url_of(rows[0].storage_key) if rows else "").where(
        Product.id == product_id
    ).execute()


def _forget_files(keys: list[str]) -> None:
    for key in keys:
        try:
            storage().delete(key)
        except Exception:
            log.warning("stored file %s could not be removed", key, exc_info=True)


def add(product_id: int, data: bytes) -> ProductImage:
    """Store an uploaded picture of a product (re-encoded without metadata, with a thumbnail);
    the product's first picture becomes its `image`.

    Raises: NotFound (product), ValidationFailed (not a JPEG/PNG/WebP image, too large, corrupt,
    too many pixels, the product has PRODUCT_IMAGES_MAX pictures already)."""
    if not Product.select().where(Product.id == product_id).exists():
        raise NotFound("商品不存在", product_id=product_id)
    picture = images.prepared(data, _settings.max_bytes)
    key = new_key(FOLDER, picture.extension)
    thumb_key = _thumb_key(key)
    storage().put(key, picture.data, picture.content_type)
    storage().put(thumb_key, picture.thumb, "image/jpeg")
    try:
        with transaction():
            _product_row(product_id)
            rows = _ordered(product_id)
            if len(rows) >= _settings.max_images:
                raise ValidationFailed(
                    f"每个商品最多 {_settings.max_images} 张图片，请先删除不用的图片",
                    file=["图片过多"],
                )
            image = ProductImage.create(
                product=product_id,
                storage_key=key,
                thumb_key=thumb_key,
                content_type=picture.content_type,
                size=len(picture.data),
                width=picture.width,
                height=picture.height,
                position=rows[-1].position + 1 if rows else 0,
            )
            if not rows:
                _first_is(product_id, [image])
            emit(CatalogueChanged())
    except BaseException:
        _forget_files([key, thumb_key])
        raise
    return image


def _image_of(product_id: int, image_id: int) -> ProductImage:
    found = ProductImage.get_or_none(
        (ProductImage.id == image_id) & (ProductImage.product == product_id)
    )
    if found is None:
        raise NotFound("图片不存在", image_id=image_id)
    return found


def remove(product_id: int, image_id: int) -> ProductImage:
    """Delete a picture (and its files, once committed); the next one becomes the product's
    `image`, or none is left. Returns the picture as it was.
    Raises: NotFound (product, or a picture not of this product)."""
    with transaction():
        _product_row(product_id)
        image = _image_of(product_id, image_id)
        image.delete_instance()
        _first_is(product_id, _ordered(product_id))
        emit(CatalogueChanged())
        keys = [image.storage_key, image.thumb_key]
        db.after_commit(lambda: _forget_files(keys))
    return image


def make_first(product_id: int, image_id: int) -> None:
    """Put a picture first: it becomes the product's `image`. Raises: NotFound."""
    with transaction():
        _product_row(product_id)
        chosen = _image_of(product_id, image_id)
        rows = [chosen] + [r for r in _ordered(product_id) if r.id != chosen.id]
        for position, row in enumerate(rows):
            if row.position != position:
                ProductImage.update(position=position).where(ProductImage.id == row.id).execute()
        _first_is(product_id, rows)
        emit(CatalogueChanged())


def of_products(product_ids: list[int]) -> dict[int, list[ProductImage]]:
    """Each product's pictures, first first (one query)."""
    found: dict[int, list[ProductImage]] = {pid: [] for pid in product_ids}
    if product_ids:
        for row in (
            ProductImage.select()
            .where(ProductImage.product << product_ids)
            .order_by(ProductImage.product, ProductImage.position, ProductImage.id)
        ):
            found[row.product_id].append(row)
    return found


def with_images(products: list) -> list:
    """Each product (or product view) gets `images`: its pictures, first first."""
    found = of_products([p.id for p in products])
    for p in products:
        target = getattr(p, "product", p)
        target.images = found[p.id]
    return products


def described(image: ProductImage, *, absolute_urls: bool = True) -> dict:
    """A picture as the APIs (absolute URLs) and pages (the site's own) show it."""
    url, thumb = url_of(image.storage_key), url_of(image.thumb_key)
    if absolute_urls:
        url, thumb = absolute(url), absolute(thumb)
    return {
        "id": image.id,
        "url": url,
        "thumb_url": thumb,
        "width": image.width,
        "height": image.height,
        "position": image.position,
    }
