"""Form parsing for the H5 pages: a schema per form, blank fields as not given, errors in words."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.errors import ValidationFailed
from app.validation import reject_unstorable


def parse_form(schema: Schema, data) -> dict:
    """A form (or query string) through a schema. Raises: ValidationFailed."""
    cleaned = {}
    for key, value in data.items():
        reject_unstorable(value, key)
        if value.strip():
            cleaned[key] = value.strip()
    try:
        return schema.load(cleaned, unknown="exclude")
    except ValidationError as exc:
        raise ValidationFailed("提交的内容不正确", **exc.messages_dict) from None


class CatalogQuery(Schema):
    """The catalogue's search: words, a category, a page."""

    q = fields.String(validate=validate.Length(max=64))
    category_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class QtyForm(Schema):
    qty = fields.Integer(required=True, validate=validate.Range(min=1, max=99999))


class SubmitForm(Schema):
    """提交订单 from a cart: the page's Idempotency-Key, where it goes, the remark."""

    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=64))
    address_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    remark = fields.String(load_default="", validate=validate.Length(max=200))
