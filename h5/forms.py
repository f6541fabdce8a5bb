"""Form parsing for the H5 pages: a schema per form, blank fields as not given, errors in words."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.errors import ValidationFailed
from app.validation import reject_unstorable

# What a form that is wrong says when no field a person typed is (a stale or tampered page).
FORM_NOT_RIGHT = "提交的内容不正确"


def labelled(label: str) -> dict:
    """A form field's name as its page shows it (`metadata=labelled("税号")`), for saying what is
    wrong with it."""
    return {"label": label}


def said_wrong(details: dict, labels: dict[str, str]) -> str:
    """What is wrong with each field a person typed, by the name the page gives it ("税号：长度须在
    15 到 20 之间"; a reason that names its field is said alone); "" when none of `details` is
    such a field (a hidden one: the page itself is stale or was tampered with)."""
    said = []
    for key, label in labels.items():
        if key in details:
            reason = "".join(details[key][:1]) if isinstance(details[key], list) else ""
            said.append(reason if label in reason else f"{label}：{reason or '请检查'}")
    return "；".join(said)


def parse_form(schema: Schema, data, labels: dict[str, str] | None = None) -> dict:
    """A form (or query string) through a schema. Raises: ValidationFailed, whose message says
    what is wrong with each labelled field (`labelled`, or `labels` for a schema the page shares
    with the API), else that the form was not right."""
    cleaned = {}
    for key, value in data.items():
        reject_unstorable(value, key)
        if value.strip():
            cleaned[key] = value.strip()
    try:
        return schema.load(cleaned, unknown="exclude")
    except ValidationError as exc:
        labels = labels or {
            field.data_key or name: field.metadata["label"]
            for name, field in schema.fields.items()
            if "label" in field.metadata
        }
        message = said_wrong(exc.messages_dict, labels) or FORM_NOT_RIGHT
        raise ValidationFailed(message, **exc.messages_dict) from None


class CatalogQuery(Schema):
    """The catalogue's search: words, a category, a page."""

    q = fields.String(validate=validate.Length(max=64))
    category_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class QtyForm(Schema):
    qty = fields.Integer(
        required=True, validate=validate.Range(min=1, max=99999), metadata=labelled("数量")
    )


class SubmitForm(Schema):
    """提交订单 from a cart: the page's Idempotency-Key, where it goes, the remark."""

    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=64))
    address_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    remark = fields.String(load_default="", validate=validate.Length(max=200))
