"""HTTP plumbing shared by every surface: the one error envelope for every failure, and the
headers every server-rendered page (console, H5) carries."""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import quote, urlsplit

import segno
from flask import Flask, Response, current_app, jsonify, request
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.adapters.storage import LocalStorage
from app.errors import AppError, NotFound
from app.logs import current_request_id, new_request_id

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: ("validation_error", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "未找到相应资源"),
    405: ("method_not_allowed", "不支持的请求方法"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "请使用 JSON 格式提交"),
    422: ("validation_error", "提交的数据不正确"),
    429: ("rate_limited", "操作太频繁，请稍后再试"),
}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def json_with_etag(body: bytes, etag: str) -> Response:
    """A JSON body the client may keep: 304 with no body when its If-None-Match still holds.

    Private (prices are the dealer's own) and revalidated on every use (stock moves)."""
    response = Response(body, mimetype="application/json")
    response.set_etag(etag.strip('"'))
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    return response.make_conditional(request)


def page_error_handler(app: Flask, prefix: str, handler) -> None:
    """Pages under `prefix` (a surface of HTML pages, such as /h5) answer an HTTP error that no
    view of theirs saw (an unknown path, a method the route has not) with `handler`'s page, not
    the JSON envelope the API keeps."""
    app.extensions.setdefault("page_error_handlers", {})[prefix.rstrip("/")] = handler


def http_error_response(exc: HTTPException):
    handlers = current_app.extensions.get("page_error_handlers", {})
    for prefix, handler in handlers.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return handler(exc)
    code, message = HTTP_CODES.get(exc.code, ("http_error", exc.name))
    response = error_response(exc.code or 500, code, message)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        response = error_response(exc.status, exc.code, exc.message, exc.details)
        response.headers.update(exc.headers)
        return response

    app.register_error_handler(HTTPException, http_error_response)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: Exception):
        log.error("database unavailable: %s", exc)
        return error_response(503, "service_unavailable", "服务暂时不可用，请稍后再试")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        request_id = current_request_id() or new_request_id()
        log.exception("unhandled error, request_id=%s", request_id)
        return error_response(
            500, "internal_error", "服务器开小差了，请稍后再试", {"request_id": request_id}
        )


# Scripts, styles and images only from the app (all vendored); never framed, no <base> tricks.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def page_security_headers(response):
    """Set the page headers a view has not set itself. Product images from MEDIA_BASE_URL (a CDN
    or a public bucket) are allowed as images too."""
    policy = PAGE_CONTENT_SECURITY_POLICY
    media = media_origin(current_app.config.get("MEDIA_BASE_URL") or "")
    if media:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {media}", 1)
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def media_origin(url: str) -> str:
    """scheme://host[:port] of an absolute URL, else ''."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def drain_unread_body(exc=None) -> None:
    """Read whatever the view left of the request's body: an upload refused before it was read
    (401, 429, 404). Gunicorn closes a connection whose body is unread, and nginx, still
    sending that body, then answers 502 in place of the app's own answer."""
    length = request.content_length
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not length or (limit and length > limit):
        return  # nothing to read, or too much: the connection closes as before
    if getattr(request.stream, "is_exhausted", False):
        return  # the view read it all (a JSON body): nothing is left
    try:
        while request.stream.read(1 << 16):
            pass
    except OSError:  # the client went away meanwhile
        log.debug("client left while its request body was being drained")


# The OpenAPI request body of an upload: one multipart field `file` (a photo, a picture).
FILE_UPLOAD = {
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


def send_upload(storage_key: str, content_type: str, cache_control: str) -> Response:
    """An uploaded file, once the view has checked the caller may see it. Behind nginx
    (UPLOADS_ACCEL_PREFIX) nginx sends it from disk (X-Accel-Redirect to its internal location),
    so a worker thread is not held by a slow phone's download; otherwise the app sends it.

    Raises: NotFound when the file is gone (or its key leads outside the storage)."""
    storage = LocalStorage(current_app.config["UPLOAD_DIR"])
    return send_stored(storage, storage_key, content_type, cache_control)


def send_stored(storage, storage_key: str, content_type: str, cache_control: str) -> Response:
    """A file from a store (app/adapters/storage.py): as send_upload for the local one; read
    from the bucket for S3. Raises: NotFound when the file is gone."""
    accel = current_app.config["UPLOADS_ACCEL_PREFIX"] if storage.kind == "local" else ""
    try:
        if accel:
            storage.path(storage_key)  # refuses a key outside the storage
            response = Response(mimetype=content_type)
            response.headers["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{quote(storage_key)}"
        else:
            response = Response(storage.read(storage_key), mimetype=content_type)
    except (OSError, ValueError):
        raise NotFound("照片文件已丢失") from None
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def photo_upload(upload) -> tuple[bytes, LocalStorage, int]:
    """What the photo services take from an uploaded file: its bytes (read one past the limit, so
    the service can tell it was too big), the storage and the size limit."""
    limit = current_app.config["PHOTO_MAX_BYTES"]
    return upload.read(limit + 1), LocalStorage(current_app.config["UPLOAD_DIR"]), limit


def pdf_response(filename: str, data: bytes):
    """A PDF to view in the browser (and print from there), saved under `filename`."""
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename={filename}"},
    )


@lru_cache(maxsize=64)
def qr_data_uri(text: str, scale: int = 5) -> str:
    """A QR code as a PNG data URI: an <img> the page's Content-Security-Policy allows and that
    WeChat's browser recognises on a long press (识别二维码), which it does not for inline SVG."""
    return segno.make(text, error="m").png_data_uri(scale=scale, border=2)
