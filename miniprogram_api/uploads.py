"""Photo uploads (a visit's shelf photos, a return's photos): one multipart field `file`."""

from __future__ import annotations

from flask import request

from app.adapters.storage import LocalStorage
from app.errors import ValidationFailed
from app.http import FILE_UPLOAD, photo_upload

# The OpenAPI request body of a photo upload.
PHOTO_UPLOAD = FILE_UPLOAD


def uploaded_photo() -> tuple[bytes, LocalStorage, int]:
    """The `file` field as the photo services take it. Raises: ValidationFailed without it."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("请以 multipart 表单字段 file 上传照片", file=["必填"])
    return photo_upload(upload)
