"""Form parsing for the H5 pages: a schema per form, blank fields as not given, errors in words."""

from __future__ import annotations

from marshmallow import Schema, ValidationError

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
