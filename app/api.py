"""The OpenAPI-documented API object (flask-smorest) and its argument parser, answering in our envelope."""

from __future__ import annotations

from typing import ClassVar

from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from app.errors import BadRequest, ValidationFailed
from app.extensions import client_address, limited
from app.validation import Cost, DecimalString, ErrorOut, Money, paged, reject_unstorable

# What a repeated order submission answers (200) instead of a new order (201).
REPEATED_ORDER = "同一 Idempotency-Key 的重复提交：返回首次创建的订单"


def _flatten(messages) -> dict:
    """webargs keys messages by location ({"json": {...}}); clients want the fields."""
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "json_or_form",
        "query",
        "headers",
        "form",
        "files",
    }:
        flat = {}
        for inner in messages.values():
            flat.update(inner if isinstance(inner, dict) else {"_schema": inner})
        return _named(flat)
    return _named(messages if isinstance(messages, dict) else {"_schema": messages})


def _named(messages):
    """Every key a string, as JSON needs: a form part sent without a name is reported under
    "_unnamed", a list item by its index."""
    if not isinstance(messages, dict):
        return messages
    return {
        ("_unnamed" if key is None else str(key)): _named(value) for key, value in messages.items()
    }


class Parser(FlaskParser):
    # As for bodies, a query parameter the contract does not name is refused, not silently dropped.
    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
    }

    def _raw_load_json(self, req):
        if req.get_data(cache=True) and not is_json_request(req):
            raise BadRequest("请使用 JSON 格式提交（Content-Type: application/json）")
        try:
            data = super()._raw_load_json(req)
        except RecursionError:  # e.g. 100,000 nested brackets
            raise BadRequest("请求体嵌套层数过多") from None
        reject_unstorable(data, "_schema")
        return data

    def load_json_or_form(self, req, schema):
        """A body sent as a form (multipart, with a file) is read as one; anything else as JSON."""
        if req.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return self.load_form(req, schema)
        return self.load_json(req, schema)

    def load_querystring(self, req, schema):
        for key, values in req.args.lists():
            reject_unstorable([key, *values], key)
        return super().load_querystring(req, schema)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise BadRequest("请求体不是合法的 JSON")

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise ValidationFailed(**_flatten(error.messages))


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *args, **kwargs):
        # One schema object per route rather than one per request: building a marshmallow schema
        # deep-copies its fields, a cost every order would pay again (docs/performance.md).
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def sign_in(self, rule: str, scope: str, body_in, out):
        """A sign-in endpoint (POST `rule`): limited by RATELIMIT_LOGIN per client address under
        `scope`, as there is no caller yet; the body parsed by `body_in`, the token and who it is
        for answered by `out`; public in the API document, as this is how a token is obtained."""

        def decorator(view):
            view = self.arguments(body_in)(self.response(200, out)(self.doc(security=[])(view)))
            return self.post(rule)(limited("RATELIMIT_LOGIN", scope, key=client_address)(view))

        return decorator

    def idempotent(self, headers_in, body_in, out, repeated: str):
        """A creation a client may send again with the same Idempotency-Key: the headers and the
        body parsed by their schemas (passed to the view in that order); 201 with the new `out`,
        or 200 with what the first submission made (`repeated` says what). The view answers
        `(body, 201 if created else 200)`."""

        def decorator(view):
            view = self.alt_response(200, schema=out, description=repeated)(view)
            view = self.arguments(body_in)(self.response(201, out)(view))
            return self.arguments(headers_in, location="headers")(view)

        return decorator


def named(name: str, doc: str | None = None):
    """Name a view built by a function (its endpoint is the name) and give it the words the API
    documents, before the route and the schemas wrap it."""

    def name_it(view):
        view.__name__ = view.__qualname__ = name
        view.__doc__ = doc
        return view

    return name_it


def page_from(fetch, args: dict, *params, **named) -> dict:
    """The page `args` asks for (`page`, `per_page`) of a list that a service answers as
    `(items, total)`, given its own `params` and then the page and its size."""
    items, total = fetch(*params, args["page"], args["per_page"], **named)
    return paged(items, args["page"], args["per_page"], total)


def registrar(*blueprints):
    """What a surface's package calls `register(api)`: its `blueprints` registered on the API,
    in this order (the order of the API document's tags)."""

    def register(api) -> None:
        for bp in blueprints:
            api.register_blueprint(bp)

    return register


class IdConverter(IntegerConverter):
    """`<id:order_id>`: a positive id that fits the database; anything else is a 404, not a 500."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error):
        from app.http import http_error_response

        return http_error_response(error)


def _docs_for_staff_only(app) -> None:
    """With API_DOCS_PUBLIC off (the production default), /api/openapi.json and /api/docs are
    for staff signed in to the console or holding a staff token."""
    from flask import redirect, request, session, url_for

    from app.auth.services import staff_for_token
    from app.core.models import Staff
    from app.errors import Unauthorized

    @app.before_request
    def _guard_docs():
        if request.blueprint != "api-docs" or app.config.get("API_DOCS_PUBLIC", True):
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            staff_for_token(token)  # raises Unauthorized for a bad, old or revoked token
            return None
        staff_id = session.get("staff_id")
        signed_in = (
            staff_id is not None
            and Staff.select()
            .where(
                (Staff.id == staff_id) & Staff.active & (Staff.token_version == session.get("ver"))
            )
            .exists()
        )
        if signed_in:
            return None
        if request.path.endswith(".json"):
            raise Unauthorized("接口文档仅对已登录的员工开放")
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def init_api(app) -> Api:
    """A fresh Api per application: flask-smorest keeps the spec per instance."""
    app.config.setdefault("API_TITLE", "Dealer Mall API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault(
        "OPENAPI_SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
    )
    app.url_map.converters["id"] = IdConverter
    api = Api()
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "订货商城小程序 / H5 与管理后台接口"},
            # Every endpoint takes a bearer token unless it says otherwise (the logins).
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
    )
    api.register_field(Money, "string", "decimal")
    api.register_field(DecimalString, "string", "decimal")
    api.register_field(Cost, "string", "decimal")
    _docs_for_staff_only(app)
    return api
