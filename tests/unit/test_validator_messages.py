"""Every validator in every schema says what is wrong in Chinese: marshmallow's defaults are
English ("Length must be between 1 and 32."), and they reach dealers' phones and the console
wherever a schema gives no words of its own (app.validation gives them Chinese ones)."""

from __future__ import annotations

import re

from marshmallow import Schema, fields, validate

import app.validation  # noqa: F401 - gives marshmallow its Chinese words

ENGLISH = re.compile(r"[A-Za-z]{3,}")
# What a message may name as it is: placeholders and the words a field's format is written in.
ALLOWED = {"min", "max", "equal", "choices", "labels", "input", "other", "true", "false", "JSON"}
ALLOWED |= {"YYYY", "ISO", "ASCII", "Idempotency", "Key", "https", "http", "URL", "SKU"}


def _schemas(root=Schema):
    for cls in root.__subclasses__():
        yield cls
        yield from _schemas(cls)


def _validators(field):
    yield from field.validators
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if inner is not None:
            yield from _validators(inner)


def _messages(validator) -> list[str]:
    """The words the validator would say, however it keeps them."""
    said = [validator.error] if getattr(validator, "error", None) else []
    if isinstance(validator, validate.Length | validate.Range) and not validator.error:
        said += [validator.message_min, validator.message_max, validator.message_all]
    return said


def _english(text: str, named: set[str]) -> list[str]:
    """English words in `text`, besides the values and field names the message may quote."""
    return [w for w in ENGLISH.findall(text) if w not in ALLOWED | named]


def _named(validator, name: str, field) -> set[str]:
    """What a message may quote as the client writes it: the field and the values it takes."""
    choices = getattr(validator, "choices", None) or getattr(validator, "comparable", None) or ()
    values = {str(c) for c in ([choices] if isinstance(choices, str) else choices)}
    return values | {name, field.data_key or name}


def test_marshmallows_validators_speak_chinese_by_default():
    assert validate.Length(1, 32)._format_error("", validate.Length.message_all) == (
        "长度须在 1 到 32 之间"
    )
    assert validate.Range(min=1)._format_error(0, validate.Range(min=1).message_min) == "须不小于 1"
    assert validate.OneOf(["a", "b"]).error == "须为以下之一：{choices}"
    assert validate.Regexp(r"\\d").error == "格式不正确"


def test_every_validator_of_every_schema_speaks_chinese(app):
    """`app` has imported every surface: each of its schemas' validators is checked."""
    english = {}
    checked = 0
    for schema in set(_schemas()):
        if not schema.__module__.startswith(("app.", "admin", "h5", "miniprogram_api", "erp")):
            continue
        for name, field in schema._declared_fields.items():
            if not isinstance(field, fields.Field):
                continue
            for validator in _validators(field):
                checked += 1
                for text in _messages(validator):
                    if _english(text, _named(validator, name, field)):
                        english[f"{schema.__module__}.{schema.__name__}.{name}"] = text
    assert checked > 200
    assert english == {}
