"""Where uploaded files live: one small interface — local disk by default, or an S3-compatible
object store (product images, when STORAGE_BACKEND=s3)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from pathlib import Path


def new_key(folder: str, extension: str) -> str:
    """A fresh key: folder/YYYY/MM/<32 hex>.<extension>."""
    today = dt.date.today()
    return f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class LocalStorage:
    kind = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save(self, data: bytes, folder: str, extension: str) -> str:
        key = new_key(folder, extension)
        self.put(key, data, "")
        return key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (the content type is told by the key's extension here)."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def path(self, key: str) -> Path:
        """Where a stored file is. Raises: ValueError for a key that leads outside the storage."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("key outside storage")
        return path

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove a stored file (one already gone: nothing happens)."""
        self.path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket (AWS S3, MinIO, Tencent COS, Aliyun OSS) through boto3."""

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        timeout: int = 10,
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 2},
                s3={"addressing_style": "path"},
            ),
        )

    def save(self, data: bytes, folder: str, extension: str) -> str:
        key = new_key(folder, extension)
        self.put(key, data, "application/octet-stream")
        return key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type or "application/octet-stream",
            CacheControl="public, max-age=31536000, immutable",
        )

    def read(self, key: str) -> bytes:
        """Raises: OSError when the object is not there or the store cannot be reached."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise OSError(f"s3 read {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def storage_from(settings: Mapping):
    """The store product images go to: S3Storage with STORAGE_BACKEND=s3, else UPLOAD_DIR."""
    if (settings.get("STORAGE_BACKEND") or "local") == "s3":
        return S3Storage(
            settings["S3_BUCKET"],
            endpoint_url=settings.get("S3_ENDPOINT_URL"),
            region=settings.get("S3_REGION"),
            access_key=settings.get("S3_ACCESS_KEY_ID"),
            secret_key=settings.get("S3_SECRET_ACCESS_KEY"),
        )
    return LocalStorage(settings.get("UPLOAD_DIR") or "instance/uploads")


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
