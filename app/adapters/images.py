"""Uploaded pictures made safe to publish (Pillow): decoded for real, turned upright by their EXIF
orientation, written again without any metadata (no GPS, no camera, no comments), and a small
thumbnail beside them."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

from app.adapters.storage import checked_image

# Decompression bombs: a small file that decodes to a huge bitmap is refused before it is.
MAX_PIXELS = 40_000_000
LONGEST_SIDE = 2000  # the stored picture, at most this many pixels on its long side
THUMB_SIDE = 400  # the thumbnail's long side
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class Picture:
    data: bytes
    extension: str  # jpg | png | webp, as uploaded
    content_type: str
    width: int
    height: int
    thumb: bytes  # always a JPEG
    thumb_width: int
    thumb_height: int


def _refused(message: str, why: str):
    from app.errors import ValidationFailed

    return ValidationFailed(message, file=[why])


def _decoded(data: bytes) -> Image.Image:
    """The picture, fully decoded. Raises: ValidationFailed (corrupt, truncated, too many
    pixels). Its size is checked from the header, before any pixel is decoded."""
    too_many = _refused(f"图片像素过多（最多 {MAX_PIXELS // 1_000_000} 百万像素）", "像素过多")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise too_many
            probe.verify()  # the file's structure and checksums
        image = Image.open(io.BytesIO(data))
        image.load()  # every pixel: a truncated file fails here
    except Image.DecompressionBombError:
        raise too_many from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise _refused("图片文件已损坏，无法打开", "图片损坏") from None
    return image


def _encoded(image: Image.Image, extension: str) -> bytes:
    out = io.BytesIO()
    if extension == "jpg":
        image.convert("RGB").save(out, "JPEG", quality=86, optimize=True, progressive=True)
    elif extension == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for a JPEG: transparency on white, as the pages' background is."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def prepared(data: bytes, max_bytes: int) -> Picture:
    """A JPEG, PNG or WebP upload as it may be published, with its thumbnail.

    Raises: ValidationFailed (empty, larger than max_bytes, not such an image, corrupt, too many
    pixels)."""
    extension, content_type = checked_image(data, max_bytes)
    image = _decoded(data)
    if getattr(image, "is_animated", False):
        image.seek(0)  # an animated WebP or PNG: its first frame
    try:
        upright = ImageOps.exif_transpose(image)  # a new image
    except (SyntaxError, TypeError, ValueError, KeyError, IndexError, OSError, struct.error):
        upright = image.copy()  # EXIF too broken to say which way is up: as stored
    upright.info.clear()  # no EXIF, ICC, XMP or comments are written again
    if max(upright.size) > LONGEST_SIDE:
        upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    thumb = _flattened(upright)
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80, optimize=True, progressive=True)
    return Picture(
        data=_encoded(upright, extension),
        extension=extension,
        content_type=content_type,
        width=upright.width,
        height=upright.height,
        thumb=out.getvalue(),
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )
