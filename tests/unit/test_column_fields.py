"""columns(): an output schema's fields taken from the columns of the model it dumps, each typed
and nullable as its column is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import fields
from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from app.db import CostField, MoneyField
from app.validation import Cost, LocalDateTime, Money, column_field, columns


class Owner(Model):
    name = CharField()


class Thing(Model):
    id = AutoField()
    owner = ForeignKeyField(Owner)
    helper = ForeignKeyField(Owner, null=True)
    name = CharField()
    body = TextField(default="")
    qty = IntegerField()
    big = BigIntegerField()
    price = MoneyField()
    cost = CostField()
    done = BooleanField(default=False)
    made_at = DateTimeField()
    sent_at = DateTimeField(null=True)
    day = DateField()
    ratio = FloatField()


@pytest.mark.parametrize(
    ("name", "field_type"),
    [
        ("id", fields.Integer),
        ("owner_id", fields.Integer),
        ("name", fields.String),
        ("body", fields.String),
        ("qty", fields.Integer),
        ("big", fields.Integer),
        ("price", Money),
        ("cost", Cost),
        ("done", fields.Boolean),
        ("made_at", LocalDateTime),
        ("day", fields.Date),
    ],
)
def test_a_column_is_shown_as_its_type(name, field_type):
    field = column_field(Thing, name)
    assert type(field) is field_type
    assert not field.allow_none


def test_a_column_that_may_be_null_may_be_shown_null():
    assert column_field(Thing, "helper_id").allow_none
    assert column_field(Thing, "sent_at").allow_none


def test_a_foreign_key_is_named_by_its_id_only():
    with pytest.raises(KeyError):
        column_field(Thing, "owner")
    with pytest.raises(KeyError):
        column_field(Thing, "colour")


def test_a_column_type_without_a_field_is_refused():
    with pytest.raises(TypeError):
        column_field(Thing, "ratio")


def test_the_schema_base_dumps_the_columns_named_and_no_others():
    schema = columns(Thing, "id", "helper_id", "price", "cost", "made_at", "sent_at", "day")()
    thing = Thing(
        id=7,
        helper=Owner(id=3),
        name="x",
        price=Decimal("12.3"),
        cost=Decimal("1.23456"),
        made_at=dt.datetime(2026, 1, 2, 16, 30),
        sent_at=None,
        day=dt.date(2026, 1, 3),
    )
    assert schema.dump(thing) == {
        "id": 7,
        "helper_id": 3,
        "price": "12.30",
        "cost": "1.2346",
        "made_at": "2026-01-03T00:30:00+08:00",
        "sent_at": None,
        "day": "2026-01-03",
    }


def test_a_schema_adds_to_the_columns_what_differs():
    class ThingOut(columns(Thing, "id", "name")):
        label = fields.Function(lambda t: f"{t.name}!")

    assert list(ThingOut._declared_fields) == ["id", "name", "label"]
    assert ThingOut().dump(Thing(id=1, name="x")) == {"id": 1, "name": "x", "label": "x!"}
