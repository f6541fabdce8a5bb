"""Photo uploads (a visit's shelf photos, a return's photos): one multipart field `file`."""

from __future__ import annotations

from flask import current_app, request

from app.errors import ValidationFailed
from app.field.storage import LocalStorage

# The OpenAPI request body of a photo upload.
PHOTO_UPLOAD = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        }
    }
}


def uploaded_photo() -> tuple[bytes, LocalStorage, int]:
    """The uploaded bytes (read one past the limit, so the service can tell it was too big), the
    storage and the size limit. Raises: ValidationFailed without a `file` field."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("请以 multipart 表单字段 file 上传照片", file=["必填"])
    limit = current_app.config["PHOTO_MAX_BYTES"]
    return upload.read(limit + 1), LocalStorage(current_app.config["UPLOAD_DIR"]), limit
