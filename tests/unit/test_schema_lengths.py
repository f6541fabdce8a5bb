"""Every text field an input schema lets through fits the column it is stored in: a schema that
allows 200 characters for a 100-character column makes the 101st a 500 on PostgreSQL.

Each input schema with a length limit is listed here with the model it writes (fields of the same
name are that model's columns), or its fields with the column each is stored in, or as not stored;
a new schema or field that is in no list fails the test until someone says where it goes."""

from __future__ import annotations

import importlib
import inspect

import pytest
from marshmallow import Schema, fields, validate
from peewee import CharField, TextField

from app.approval.models import ApprovalRule, ApprovalStep
from app.core import models as core
from app.integrations.models import ApiKey, WebhookEndpoint
from app.inventory import models as inventory
from app.mall.models import Announcement, CartItem, OrderAudit
from app.payments import models as payments
from app.shops.models import Shop, ShopSku

SCHEMA_MODULES = (
    "admin.schemas",
    "miniprogram_api.schemas",
    "app.schemas",
    "h5.shop",
    "h5.forms",
    "h5.rep",
    "h5.visit_cart",
    "h5.staff",
    "h5.returns",
    "h5.commerce",
    "admin.console.staff_orders",
    "admin.console.returns",
    "admin.console.reports",
    "admin.inventory_schemas",
    "app.payments.schemas",
)

# Schema -> the model whose same-named columns its fields are stored in.
STORED_IN = {
    "StaffIn": core.Staff,
    "NamedIn": core.Branch,
    "WarehouseIn": core.Warehouse,
    "CategoryIn": core.Category,
    "AnnouncementIn": Announcement,
    "ProductIn": core.Product,
    "ProductPatchIn": core.Product,
    "ProductGroupIn": core.ProductGroup,
    "ProductGroupPatchIn": core.ProductGroup,
    "CustomerIn": core.Customer,
    "CustomerPatchIn": core.Customer,
    "CustomerRowIn": core.Customer,
    "ReceiptIn": core.Receipt,
    "ShipmentIn": core.Shipment,
    "ShipForm": core.Shipment,
    "PromotionIn": core.Promotion,
    "PromotionPatchIn": core.Promotion,
    "RuleIn": ApprovalRule,
    "RulePatchIn": ApprovalRule,
    "WebhookIn": WebhookEndpoint,
    "ApiKeyIn": ApiKey,
    "PlaceOrderIn": core.Order,
    "StaffOrderIn": core.Order,
    "SubmitForm": core.Order,
    "ReturnRequestIn": core.ReturnRequest,
    "AddressIn": core.CustomerAddress,
    "AddressChangeIn": core.CustomerAddress,
    "StockReceiptIn": inventory.StockReceipt,
    "TransferIn": inventory.Transfer,
    "StockCountIn": inventory.StockCount,
    "FeeIn": inventory.CustomerFee,
    "LocationIn": core.Stock,
    "RefundIn": payments.Refund,
    "InvoiceIn": payments.Invoice,
    "InvoiceIssueIn": payments.Invoice,
    "ShopIn": Shop,
    "ShopPatchIn": Shop,
    "SkuMapItemIn": ShopSku,
}
# Every approval's comment box: stored as the approval step's comment.
APPROVAL_COMMENTS = (
    "CommentIn",
    "ApproveIn",
    "ApproveForm",
    "Comment",
    "SignIn",
    "RefundApproveIn",
)
# (schema, field) -> the column it is stored in, where the names differ or the schema is a
# command rather than a row; written column by column.
STORED_AS = {
    (schema, field): column
    for column, stored in (
        (core.StockMovement.reason, [("StockAdjustmentIn", "reason"), ("StockLevelsIn", "reason")]),
        (core.Product.sku, [("StockLevelIn", "sku"), ("PriceRowIn", "sku")]),
        (OrderAudit.reason, [("AdjustOrderIn", "reason")]),
        (ApprovalStep.comment, [(name, "comment") for name in APPROVAL_COMMENTS]),
        (core.Order.reject_reason, [("RejectIn", "reason"), ("RejectForm", "reason")]),
        (core.ReturnRequest.reject_reason, [("Reason", "reason")]),
        (inventory.TransferEvent.note, [("RejectDocumentIn", "reason")]),
        (inventory.CustomerFee.void_reason, [("FeeVoidIn", "reason")]),
        (payments.Refund.error, [("RefundRejectIn", "reason")]),
        (core.Receipt.void_reason, [("ReceiptVoidIn", "reason")]),
        (payments.Invoice.reject_reason, [("InvoiceRejectIn", "reason")]),
        (payments.StatementConfirmation.note, [("StatementAnswerIn", "note")]),
        (CartItem.unit, [("CartItemIn", "unit")]),
        (core.Product.unit, [("SkuGenerateIn", "unit")]),
        (core.ProductGroup.specs, [("SpecDimensionIn", "name"), ("SpecDimensionIn", "values")]),
        (core.Product.units, [("UnitIn", "name")]),
    )
    for schema, field in stored
}
# Checked, never stored as typed: credentials, search words, codes looked up, idempotency keys.
NOT_STORED = {
    ("DocumentQueryIn", "status"),
    ("AdminOrderQueryIn", "q"),
    ("StaffLoginIn", "username"),
    ("StaffLoginIn", "password"),
    ("StaffIn", "password"),
    ("PasswordChangeIn", "current_password"),
    ("PasswordChangeIn", "new_password"),
    ("ProductQueryIn", "q"),
    ("ProductQueryIn", "brand"),
    ("ProductGroupQueryIn", "q"),
    ("CustomerQueryIn", "q"),
    ("ReceiptQueryIn", "q"),
    ("CatalogQuery", "q"),
    ("LoginIn", "code"),
    ("BindIn", "invite_code"),
    ("SubscriptionsIn", "template_ids"),
    ("SubmitForm", "idempotency_key"),
    ("OrderQueryIn", "q"),
    ("OrderListQuery", "q"),
    ("BulkItemIn", "sku"),
    ("BulkItemIn", "unit"),
    ("FavouriteForm", "q"),
    ("QuickOrderForm", "skus"),
    ("ProductSearchIn", "q"),
    ("DealerProductQueryIn", "q"),
    ("ShopOrderQueryIn", "q"),
}


def _length_limited_fields():
    import config.settings  # noqa: F401 - the schema modules read settings at import

    seen = set()
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and issubclass(cls, Schema)) or cls in seen:
                continue
            if cls.__module__ != module_name:
                continue
            seen.add(cls)
            for field_name, field in cls._declared_fields.items():
                inner = field.inner if isinstance(field, fields.List) else field
                if not isinstance(inner, fields.String):
                    continue
                for v in inner.validators:
                    if isinstance(v, validate.Length) and v.max is not None:
                        yield name, field_name, v.max


LIMITED = sorted(set(_length_limited_fields()))


def _column(schema: str, field: str):
    if (schema, field) in STORED_AS:
        return STORED_AS[(schema, field)]
    model = STORED_IN.get(schema)
    return model._meta.fields.get(field) if model is not None else None


@pytest.mark.parametrize(("schema", "field", "limit"), LIMITED)
def test_every_length_limited_input_field_fits_its_column(schema, field, limit):
    if (schema, field) in NOT_STORED:
        return
    column = _column(schema, field)
    assert column is not None, f"{schema}.{field}: say where it is stored (or that it is not)"
    if isinstance(column, TextField):
        return
    assert isinstance(column, CharField), f"{schema}.{field} -> {column}"
    assert limit <= column.max_length, (
        f"{schema}.{field} allows {limit} characters; {column.model.__name__}.{column.name} "
        f"holds {column.max_length}"
    )


def test_the_walk_finds_the_schemas():
    assert len(LIMITED) > 60


def _unlimited_stored_fields():
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in vars(module).items():
            if name not in STORED_IN or cls.__module__ != module_name:
                continue
            for field_name, field in cls._declared_fields.items():
                if not isinstance(field, fields.String) or field.dump_only:
                    continue
                limited = any(
                    isinstance(v, validate.Length | validate.OneOf) for v in field.validators
                )
                if not limited and isinstance(_column(name, field_name), CharField):
                    yield f"{name}.{field_name}"


def test_no_input_field_stored_in_a_limited_column_is_unlimited():
    assert list(_unlimited_stored_fields()) == []
