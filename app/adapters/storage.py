"""Where uploaded files live: one small interface, local disk by default (object storage later)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save(self, data: bytes, folder: str, extension: str) -> str:
        today = dt.date.today()
        key = f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def path(self, key: str) -> Path:
        """Where a stored file is. Raises: ValueError for a key that leads outside the storage."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("key outside storage")
        return path

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()


IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) when the bytes really are a JPEG, PNG or WebP image."""
    for signature, extension, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return extension, content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def checked_image(data: bytes, max_bytes: int) -> tuple[str, str]:
    """(extension, content type) of an uploaded photo. Raises: ValidationFailed (empty, too
    large, not a JPEG/PNG/WebP image)."""
    from app.errors import ValidationFailed

    if not data:
        raise ValidationFailed("请上传照片", file=["必填"])
    if len(data) > max_bytes:
        raise ValidationFailed(f"照片不能超过 {max_bytes // (1024 * 1024)} MB", file=["文件过大"])
    kind = sniff_image(data)
    if kind is None:
        raise ValidationFailed("只能上传 JPEG、PNG 或 WebP 图片", file=["不是图片"])
    return kind
