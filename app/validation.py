"""Schema plumbing shared by every HTTP surface: Chinese validation messages, money and paging
fields, output fields taken from a model's columns."""

from __future__ import annotations

import copy
import decimal
import re
from typing import ClassVar

from marshmallow import Schema, ValidationError, fields, missing, validate
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from app.db import CostField, MoneyField
from app.errors import ValidationFailed

# marshmallow's messages reach dealers' phones: say them in Chinese, once, for every field type.
_MESSAGES = {
    fields.Field: {"required": "此项必填", "null": "不能为空", "validator_failed": "取值无效"},
    fields.Integer: {"invalid": "须为整数", "too_large": "数值过大", "not_an_integer": "须为整数"},
    fields.Number: {"invalid": "须为数字", "too_large": "数值过大"},
    fields.Decimal: {"special": "不支持的数值", "invalid": "须为数字"},
    fields.String: {"invalid": "须为文本", "invalid_utf8": "文本编码无效"},
    fields.Boolean: {"invalid": "须为 true 或 false"},
    fields.Date: {"invalid": "日期格式应为 YYYY-MM-DD", "format": "日期格式无效"},
    fields.DateTime: {"invalid": "时间格式应为 ISO 8601", "format": "时间格式无效"},
    fields.List: {"invalid": "须为列表"},
    fields.Dict: {"invalid": "须为对象"},
    fields.Nested: {"type": "须为对象"},
    fields.Email: {"invalid": "邮箱地址无效"},
    fields.Url: {"invalid": "网址无效"},
}
for _field, _messages in _MESSAGES.items():
    _field.default_error_messages = {**_field.default_error_messages, **_messages}
Schema.error_messages = {"unknown": "不允许的字段", "type": "须为 JSON 对象"}
# The same for the validators a schema gives no words of its own: their defaults are English.
# Range and OneOf fill in their words when made, so this runs before any schema is built.
_VALIDATOR_MESSAGES = {
    validate.Length: {
        "message_min": "长度不能少于 {min}",
        "message_max": "长度不能超过 {max}",
        "message_all": "长度须在 {min} 到 {max} 之间",
        "message_equal": "长度须为 {equal}",
    },
    validate.Range: {
        "message_min": "须{min_op} {{min}}",
        "message_max": "须{max_op} {{max}}",
        "message_all": "须{min_op} {{min}}、{max_op} {{max}}",
        "message_gte": "不小于",
        "message_gt": "大于",
        "message_lte": "不大于",
        "message_lt": "小于",
    },
    validate.OneOf: {"default_message": "须为以下之一：{choices}"},
    validate.NoneOf: {"default_message": "取值无效"},
    validate.ContainsOnly: {"default_message": "含有不可选的值，可选：{choices}"},
    validate.Equal: {"default_message": "须为 {other}"},
    validate.Regexp: {"default_message": "格式不正确"},
    validate.URL: {"default_message": "网址无效"},
    validate.Email: {"default_message": "邮箱地址无效"},
    validate.Predicate: {"default_message": "取值无效"},
}
for _validator, _messages in _VALIDATOR_MESSAGES.items():
    for _name, _text in _messages.items():
        setattr(_validator, _name, _text)


def whole_field(low: int, high: int, what: str = "数量", **kwargs):
    """A whole number from `low` to `high` in a JSON body (a number, not its digits as text)."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=low, max=high, error=f"{what}须在 {low} 到 {high} 之间"),
        **kwargs,
    )


def qty_field(**kwargs):
    return whole_field(1, 99999, **kwargs)


class ExactDecimal(fields.Decimal):
    """A decimal in JSON as a string with `places` decimals at most, never a float (invariant
    5): a JSON number, or a string with more decimals than are kept ("113.121" as money), is
    refused, never rounded. Answers write it with `places` decimals. Documented in OpenAPI as a
    string of format "decimal" (registered in app/api.py)."""

    what: ClassVar[str] = "金额"
    example: ClassVar[str] = "1234.50"

    def __init__(self, places: int = 2, **kwargs):
        super().__init__(places=places, as_string=True, allow_nan=False, **kwargs)
        self.decimals = places

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(f'{self.what}须为字符串，如 "{self.example}"')
        try:
            exact = decimal.Decimal(value.strip())
            too_fine = exact.is_finite() and exact != exact.quantize(self.places)
        except decimal.InvalidOperation:
            too_fine = False  # not a number, or out of range: the parent says so
        if too_fine:
            raise ValidationError(f"{self.what}最多 {self.decimals} 位小数")
        return super()._deserialize(value, attr, data, **kwargs)


class Money(ExactDecimal):
    """Money in JSON: a string with two decimals ("1234.50")."""


class DecimalString(ExactDecimal):
    """A non-money decimal (e.g. average daily sales) as a JSON string, two places."""

    what = "数值"
    example = "12.50"


class Cost(ExactDecimal):
    """A unit cost or an exact stock value in JSON: a string with 4 decimals ("12.3456")."""

    what = "成本"
    example = "12.3456"

    def __init__(self, **kwargs):
        super().__init__(places=4, **kwargs)


def money_field(**kwargs):
    return Money(**kwargs)


def money_in(**kwargs):
    return Money(
        validate=validate.Range(min=0, max=999_999_999, error="金额须在 0 到 999999999 之间"),
        **kwargs,
    )


def id_field(strict: bool = True, **kwargs):
    """An id: a JSON integer in bodies; in a query string (strict=False) its digits."""
    return fields.Integer(
        strict=strict, validate=validate.Range(min=1, max=2**31 - 1, error="编号无效"), **kwargs
    )


MAX_LINES = 200


def lines_of(line: type[Schema], what: str = "商品") -> fields.List:
    """A document's lines, 1 to MAX_LINES of `line` (order, shipment, return, receipt …)."""
    return fields.List(
        fields.Nested(line),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=f"{what}行数须在 1 到 {MAX_LINES} 之间"
        ),
    )


def id_qty_line(name: str, id_name: str, **more) -> type[Schema]:
    """The schema of a line that names one thing by id and a quantity of it ({id_name, qty});
    `more` adds fields (a price, a unit cost)."""
    return Schema.from_dict(
        {id_name: id_field(required=True), "qty": qty_field(required=True), **more}, name=name
    )


def required_text(max: int, error: str, min: int = 1, **kwargs) -> fields.String:
    """A text a body must carry, `min` to `max` characters; `error` says what a wrong one lacks."""
    return fields.String(
        required=True, validate=validate.Length(min=min, max=max, error=error), **kwargs
    )


def optional_text(max: int, error: str | None = None) -> fields.String:
    """A text a body may leave out (it is then ""), at most `max` characters."""
    return fields.String(load_default="", validate=validate.Length(max=max, error=error))


def unit_field():
    """The unit a line's `qty` counts (one of the product's `units`, or its base unit; default
    the base)."""
    return fields.String(validate=validate.Length(min=1, max=16, error="单位须为 1-16 个字符"))


def patch_of(
    schema: type[Schema], name: str, exclude: tuple[str, ...] = (), **more
) -> type[Schema]:
    """The schema of a change to some of `schema`'s fields: each as it checks them, none required
    and none defaulted, so what is left out stays as it is; `exclude` names the fields a change
    may not touch, `more` adds or replaces fields."""
    changed = {}
    for field_name, field in schema._declared_fields.items():
        if field_name in exclude:
            continue
        changed[field_name] = copy.deepcopy(field)
        changed[field_name].required = False
        changed[field_name].load_default = missing
    # Made here, it belongs where `schema` is (the module its API document and tests walk).
    return type(name, (Schema,), {**changed, **more, "__module__": schema.__module__})


def business_date(**kwargs):
    """A calendar date the business can mean (2000-2099): far dates are typos, not requests."""
    import datetime as dt

    return fields.Date(
        validate=validate.Range(
            min=dt.date(2000, 1, 1), max=dt.date(2099, 12, 31), error="日期须在 2000 到 2099 年之间"
        ),
        **kwargs,
    )


INT_MAX = 2**31 - 1  # what an INTEGER column holds


def whole_number(text: str, *, low: int = 0, high: int = INT_MAX, what: str = "数量") -> int:
    """Digits typed in a form, as a number the columns can hold. ASCII digits only: "²" and "٣"
    are digits to str.isdigit() but not to int(), nor to the person reading the number back.

    Raises: ValidationFailed."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed(f"{what}须为整数")
    value = int(text)
    if not low <= value <= high:
        raise ValidationFailed(f"{what}须在 {low} 到 {high} 之间")
    return value


class PageIn(Schema):
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100000, error="页码须为正整数")
    )
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100, error="每页条数须在 1 到 100 之间")
    )


class WholeListIn(PageIn):
    """The page of a short list a caller usually reads whole (addresses, rules, keys, alerts):
    a hundred to a page unless asked otherwise."""

    per_page = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=100, error="每页条数须在 1 到 100 之间"),
    )


class ListPageOut(Schema):
    """The contract's list fields beside `items`; a list body's schema adds its `items`."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody, required=True)


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The contract's list body: {"items": [...], "page", "per_page", "total"}."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Out')}PageOut",
    )


def paged(items, page: int, per_page: int, total: int) -> dict:
    return {"items": list(items), "page": page, "per_page": per_page, "total": total}


def page_of_list(items, args: dict, **beside) -> dict:
    """One page (`args`: page, per_page) of a list already in memory, as a list body, with
    whatever else the body carries (`beside`)."""
    items = list(items)
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return {**beside, **paged(items[start : start + per_page], page, per_page, len(items))}


def page_of_query(query, args: dict, load=list) -> dict:
    """One page of a query as a list body: `args` carries page and per_page; `load` turns the
    page's query into items (e.g. with prefetched children)."""
    page, per_page = args["page"], args["per_page"]
    return paged(load(query.paginate(page, per_page)), page, per_page, query.count())


class Instant(fields.DateTime):
    """A moment given by a person or a client, stored as naive UTC: without an offset it is
    business time (Asia/Shanghai, as every time shown); with one, the offset must be a real one
    (at most 14 hours: PostgreSQL refuses +21:59 with a 500), and the moment within 2000-2099."""

    default_error_messages: ClassVar = {
        "offset": "时区偏移无效",
        "range": "时间须在 2000 到 2099 年之间",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        import datetime as dt

        from app.timeutil import BUSINESS_TZ

        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BUSINESS_TZ)
        elif abs(moment.utcoffset()) > dt.timedelta(hours=14):
            raise self.make_error("offset")
        if (
            not dt.datetime(2000, 1, 2, tzinfo=dt.UTC)
            <= moment
            < dt.datetime(2099, 12, 31, tzinfo=dt.UTC)
        ):
            raise self.make_error("range")
        return moment.astimezone(dt.UTC).replace(tzinfo=None)


class LocalDateTime(fields.DateTime):
    """Stored in naive UTC; shown in ISO 8601 with the business time zone's offset (+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        from app.timeutil import to_local

        return to_local(value).isoformat(timespec="seconds")


# Fields whose text may run over several lines (a remark, a reason, an address): \t, \n and \r
# are allowed in these and nowhere else. Named once here, for every surface, by the field's name.
# `skus`: the H5 quick order's pasted list, one SKU a line (cells copied from a sheet keep tabs).
MULTILINE_FIELDS = frozenset({"remark", "reason", "comment", "body", "address", "note", "skus"})
# C0 controls but tab, line feed and carriage return; DEL; C1 controls. They break exports (a
# workbook cannot hold them), terminals and other systems, and no one types them on purpose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\t\n\r]")


def _unstorable(text: str, multiline: bool = False) -> str | None:
    if "\x00" in text:
        return "包含空字符"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "包含无效的 Unicode 字符"
    if _CONTROL.search(text):
        return "包含控制字符"
    if not multiline and _LINE_BREAK.search(text):
        return "不能包含换行或制表符"
    return None


def reject_unstorable(value, where: str) -> None:
    """Text no one should store is refused as bad input, field by field, at the boundary of every
    surface (JSON bodies, query strings, console and H5 forms): NUL and lone UTF-16 surrogates
    (a database cannot store them: a 500 on insert), control characters (an Excel export cannot
    hold them), and line breaks outside the MULTILINE_FIELDS."""
    if isinstance(value, str):
        problem = _unstorable(value, where in MULTILINE_FIELDS)
        if problem:
            raise ValidationFailed(f"文本{problem}，请检查后重新提交", **{where: [problem]})
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_unstorable(key, where)
            reject_unstorable(item, str(key))
    elif isinstance(value, list):
        for item in value:
            reject_unstorable(item, where)


def reject_unstorable_form(*multidicts) -> None:
    """Every value of a page's form and query string (each key's every value), whichever view
    reads it and however: the pages call this before any view runs."""
    for values in multidicts:
        for key, items in values.lists():
            reject_unstorable([key, *items], key)


# How an answer shows a column of each type; the first that fits a column is its own (a money
# column is a big integer to peewee, and shown as money).
_COLUMN_FIELDS = (
    (MoneyField, money_field),
    (CostField, Cost),
    (ForeignKeyField, fields.Integer),  # as its id, `x_id`
    (IntegerField, fields.Integer),  # AutoField and BigIntegerField too
    ((CharField, TextField), fields.String),
    (BooleanField, fields.Boolean),
    (DateTimeField, LocalDateTime),
    (DateField, fields.Date),
)


def column_field(model: type[Model], name: str) -> fields.Field:
    """The output field of `model`'s column `name` (a foreign key by its id, `x_id`): typed as
    the column is, null where the column may be."""
    by_name = {
        column.object_id_name if isinstance(column, ForeignKeyField) else column.name: column
        for column in model._meta.sorted_fields
    }
    if name not in by_name:
        raise KeyError(f"{model.__name__} has no column {name!r}")
    column = by_name[name]
    for column_type, make in _COLUMN_FIELDS:
        if isinstance(column, column_type):
            return make(allow_none=column.null)
    raise TypeError(f"{model.__name__}.{name}: no output field for {type(column).__name__}")


def columns(model: type[Model], *names: str) -> type[Schema]:
    """A schema base of `model`'s columns `names`, each shown as column_field() says: an output
    schema that dumps a model names the columns it shows and declares only what differs."""
    return Schema.from_dict(
        {name: column_field(model, name) for name in names}, name=f"{model.__name__}Columns"
    )


class OnlyWhile(LocalDateTime):
    """A time that means something only while its row's `status` is `status`, null otherwise:
    an outbox row's next attempt, once it is sent, undeliverable or dead."""

    def __init__(self, status: str, **kwargs):
        super().__init__(allow_none=True, **kwargs)
        self.status = status

    def serialize(self, attr, obj, accessor=None, **kwargs):
        if getattr(obj, "status", None) != self.status:
            return None
        return super().serialize(attr, obj, accessor, **kwargs)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: true or false only (not 0, 1, "yes": a client that sends those
    has a bug worth hearing about). Form pages relax it back to marshmallow's text values."""

    truthy = frozenset({True})
    falsy = frozenset({False})

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool) and self.truthy == {True}:
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def relax(schema: Schema) -> Schema:
    """Form fields arrive as text: let integer fields accept their digits, as query strings do,
    and booleans a checkbox's "1", "on" or "true"."""
    for field in schema.fields.values():
        if isinstance(field, fields.Integer):
            field.strict = False
        elif isinstance(field, JsonBoolean):
            field.truthy, field.falsy = fields.Boolean.truthy, fields.Boolean.falsy
        elif isinstance(field, fields.Nested):
            relax(field.schema)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            relax(field.inner.schema)
    return schema
