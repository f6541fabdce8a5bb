"""Product images and their thumbnails at /media/<key>, for every surface: the catalogue's
pictures are public (a mini-program's <image> sends no token), their keys unguessable and never
reused, so browsers and CDNs keep them for a year. Any other stored file (a return's photos, an
invoice) is not served here."""

from __future__ import annotations

from flask import Blueprint

from app.core import product_images
from app.errors import NotFound
from app.http import send_stored

bp = Blueprint("media", __name__)

CACHE_CONTROL = "public, max-age=31536000, immutable"


@bp.get("/media/<path:key>")
def media(key: str):
    content_type = product_images.content_type_of(key)
    if content_type is None:
        raise NotFound("图片不存在")
    return send_stored(product_images.storage(), key, content_type, CACHE_CONTROL)


@bp.app_template_filter("thumb")
def thumb(image_url: str) -> str:
    """A product's `image` → its thumbnail's URL, for every page (no query: the name follows)."""
    return product_images.thumb_of(image_url or "")


@bp.app_template_filter("media_url")
def media_url(key: str) -> str:
    """A stored picture's key → its URL on the pages (the site's own, or MEDIA_BASE_URL's)."""
    return product_images.url_of(key)
