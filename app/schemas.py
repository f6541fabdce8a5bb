"""Schemas every surface shares: the order read model, replenishment suggestions, returns, and the
field groups of many bodies. (The stock and sales reports suggestions are made from are answered
by app.field.schemas, beside their models.)"""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from app.approval.models import ApprovalStep
from app.core import product_images
from app.core import units as product_units
from app.core.models import (
    Category,
    Customer,
    CustomerAddress,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductImage,
    Receipt,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    Shipment,
    Stock,
)
from app.core.returns import RETURN_ACTIONS, RETURN_LABELS
from app.core.rules import ACTION_LABELS, STATUS_LABELS, OrderStatus
from app.money import money
from app.timeutil import to_local
from app.validation import (
    DecimalString,
    JsonBoolean,
    LocalDateTime,
    PageIn,
    business_date,
    columns,
    id_qty_line,
    lines_of,
    money_field,
    optional_text,
    page_of,
    required_text,
)

# --- field groups the bodies of every surface share ------------------------------------------


class DocumentOut(Schema):
    """A numbered document (order, shipment, receipt, return, invoice, stock document, shop
    order): its id and its number (app.numbering), first in its body."""

    id = fields.Integer()
    number = fields.String()


class CodedOut(Schema):
    """A thing people call by a code as well as a name (a branch, warehouse, customer, style):
    its id, code and name, first in its body."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()


def label_of(labels: dict[str, str], key: str = "status"):
    """The Chinese label of a row's `key` (its status, by default), the value itself if unknown."""
    return fields.Function(lambda row: labels.get(getattr(row, key), getattr(row, key)))


class DateRangeIn(Schema):
    """A query's business days, both ends included: `from` and `to` (YYYY-MM-DD)."""

    date_from = business_date(data_key="from")
    date_to = business_date(data_key="to")


class DateRangeOut(Schema):
    """The days a report or statement covers, as its query named them."""

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


class GroupedReportOut(DateRangeOut):
    """A report over days in groups (`group_by`: branch, rep, customer …): a row for each group
    and the totals."""

    group_by = fields.String()


class GroupKey(fields.Field):
    """A report row's key as API.md gives it: the id (an integer) of a branch, rep, customer,
    product or category; the date for `day`; a brand's name or a channel (`mall`, `shop:3`)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        return value.isoformat() if isinstance(value, dt.date) else str(value)


class GroupRowOut(Schema):
    """The group a row of a grouped report is about: its key (null: none) and its name."""

    key = GroupKey(allow_none=True)
    name = fields.String()


class ApprovalStepOut(columns(ApprovalStep, "seq", "role", "signed_by_id", "signed_at", "comment")):
    """A step of a document's approval: its place, the role that signs it, and the signature."""


class CommentIn(Schema):
    """A signature's optional comment (an approval step's, ApprovalStep.comment)."""

    comment = optional_text(500)


class PostalAddressOut(Schema):
    """Where goods go: the region and the street address."""

    province = fields.String()
    city = fields.String()
    district = fields.String()
    address = fields.String()


class MediaUrl(fields.String):
    """A product's `image` as the APIs answer it: an absolute URL (or "")."""

    def _serialize(self, value, attr, obj, **kwargs):
        return product_images.absolute(value or "")


class MediaKey(fields.String):
    """A stored picture's key, answered as its absolute URL."""

    def _serialize(self, value, attr, obj, **kwargs):
        return product_images.absolute(product_images.url_of(value)) if value else None


class ProductImageOut(columns(ProductImage, "id", "width", "height", "position")):
    """A product's picture: `url` of the picture, `thumb_url` of its thumbnail (absolute URLs)."""

    url = MediaKey(attribute="storage_key")
    thumb_url = MediaKey(attribute="thumb_key")


def product_images_field():
    """A product's pictures, first first (set on products by product_images.with_images)."""
    return fields.List(fields.Nested(ProductImageOut), dump_default=[])


class UnitOut(Schema):
    name = fields.String()
    factor = fields.Integer()  # base units in one


class UnitsOut(fields.List):
    """A product's named units besides its base unit `unit` (factor 1), as they are set:
    [{"name": "箱", "factor": 12}]."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(UnitOut), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return [{"name": u.name, "factor": u.factor} for u in product_units.parsed(value)]


class CategoryBriefOut(columns(Category, "id", "name", "parent_id")):
    """A category as both catalogues name it: its id, its name and its parent (null: a top one)."""


class CatalogueProductOut(
    columns(
        Product,
        "id",
        "sku",
        "name",
        "unit",
        "pack_size",
        "min_qty",
        "step",
        "category_id",
        "brand",
        "group_id",
    )
):
    """A product as every catalogue describes it, the dealers' and the staff's: what it is, how
    it is ordered (its base unit `unit`, packs, minimum and step), its pictures and its style."""

    image = MediaUrl()  # the first of `images`
    images = product_images_field()
    units = UnitsOut()  # named units besides the base unit `unit`: [{"name": "箱", "factor": 12}]
    # A SKU of a style (款): the style's id (`group_id`) and this SKU's values, {"颜色": "红"};
    # else null, {}.
    spec = fields.Dict(keys=fields.String(), values=fields.String(), attribute="spec_values")


class OrderLineOut(
    columns(
        OrderLine,
        "id",
        "product_id",
        "qty",
        "price",
        "amount",
        "shipped_qty",
        "promotion_id",
        "gift",
        "discount",
    )
):
    sku = fields.Function(lambda ln: ln.product.sku)
    name = fields.Function(lambda ln: ln.product.name)
    # The unit the dealer ordered in and how many of it; `qty` counts base units (`base_unit`).
    unit = fields.Function(lambda ln: ln.unit or ln.product.unit)
    unit_qty = fields.Function(lambda ln: ln.qty if ln.unit_qty is None else ln.unit_qty)
    base_unit = fields.Function(lambda ln: ln.product.unit)
    image = MediaUrl(attribute="product.image")
    # What the order's promotions did to the line, as placed: the label of the promotion that set
    # its price or gave it (null: none), a gift at 0.00, and its share of the order's discounts.
    promotion = fields.Function(lambda ln: ln.promotion_label or None)
    original_price = money_field(attribute="base_price")  # the dealer's own price before it


class DiscountOut(Schema):
    promotion_id = fields.Integer()
    name = fields.String()
    amount = money_field()


# What happened to an order, as its history and the notifications about it name each event:
# the order's own actions, its returns', a step waiting for a signature, an adjustment.
EVENT_LABELS = {
    **ACTION_LABELS,
    **RETURN_ACTIONS,
    "approval_step": "待审批",
    "adjust": "订单调整",
}


class OrderEventOut(columns(OrderEvent, "action", "from_status", "to_status", "note")):
    label = label_of(STATUS_LABELS, "to_status")
    at = LocalDateTime(attribute="created_at")


class ShipmentLineOut(Schema):
    order_line_id = fields.Integer()
    product_id = fields.Function(lambda sl: sl.order_line.product_id)
    name = fields.Function(lambda sl: sl.order_line.product.name)
    qty = fields.Integer()


class ShipmentOut(
    columns(Shipment, "carrier", "tracking_no", "amount", "shipped_at"),
    DocumentOut,
):
    lines = fields.List(fields.Nested(ShipmentLineOut), attribute="line_items")


class ReceiptOut(
    columns(
        Receipt,
        "customer_id",
        "amount",
        "unapplied",
        "method",
        "reference",
        "received_at",
        "voided_at",
        "void_reason",
    ),
    DocumentOut,
):
    """Money received from a customer (收款), as it was recorded; `voided_at` and `void_reason`
    once voided (作废, null and "" until then)."""


class WarningOut(Schema):
    code = fields.String()
    message = fields.String()
    product_id = fields.Integer()
    available_credit = fields.String()
    total = fields.String()


class OrderOut(
    columns(
        Order,
        "source",
        "discount_total",
        "total",
        "remark",
        "address",
        "reject_reason",
        "created_at",
        "approved_at",
    ),
    DocumentOut,
):
    status = fields.String(validate=validate.OneOf([s.value for s in OrderStatus]))
    status_label = label_of(STATUS_LABELS)
    lines = fields.List(fields.Nested(OrderLineOut))
    subtotal = fields.Function(lambda o: f"{o.total + o.discount_total:.2f}")
    discounts = fields.List(fields.Nested(DiscountOut))
    events = fields.List(fields.Nested(OrderEventOut))
    shipments = fields.List(fields.Nested(ShipmentOut))
    warnings = fields.List(fields.Nested(WarningOut))


def order_out(order) -> dict:
    """`OrderOut().dump(order)` for an order without shipments (a new one as create_order returns
    it, or the stored one a retried Idempotency-Key gets back), written out by hand: submission is
    the hottest write, a retry at a fair the next, and marshmallow costs as much there as a
    statement. Tests hold the two equal. `warnings` only when the order has them set (a new one)."""
    if order.shipments:
        return OrderOut().dump(order)
    answer = {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "status_label": STATUS_LABELS.get(order.status, order.status),
        "source": order.source,
        "lines": [
            {
                "id": line.id,
                "product_id": line.product_id,
                "sku": line.product.sku,
                "name": line.product.name,
                "unit": line.unit or line.product.unit,
                "unit_qty": line.qty if line.unit_qty is None else line.unit_qty,
                "base_unit": line.product.unit,
                "image": product_images.absolute(line.product.image),
                "qty": line.qty,
                "price": str(money(line.price)),
                "amount": str(money(line.amount)),
                "shipped_qty": line.shipped_qty,
                "promotion": line.promotion_label or None,
                "promotion_id": line.promotion_id,
                "original_price": str(money(line.base_price)),
                "gift": line.gift,
                "discount": str(money(line.discount)),
            }
            for line in order.lines
        ],
        "subtotal": f"{order.total + order.discount_total:.2f}",
        "discounts": [
            {"promotion_id": d.promotion_id, "name": d.name, "amount": str(money(d.amount))}
            for d in order.discounts
        ],
        "discount_total": str(money(order.discount_total)),
        "total": str(money(order.total)),
        "remark": order.remark,
        "address": order.address,
        "reject_reason": order.reject_reason,
        "created_at": to_local(order.created_at).isoformat(timespec="seconds"),
        "approved_at": order.approved_at
        and to_local(order.approved_at).isoformat(timespec="seconds"),
        "events": [
            {
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "label": STATUS_LABELS.get(event.to_status, event.to_status),
                "note": event.note,
                "at": to_local(event.created_at).isoformat(timespec="seconds"),
            }
            for event in order.events
        ],
        "shipments": [],
    }
    if hasattr(order, "warnings"):
        answer["warnings"] = WarningOut(many=True).dump(order.warnings) if order.warnings else []
    return answer


class AdminOrderOut(columns(Order, "customer_id", "placed_by", "credit_override_by_id"), OrderOut):
    customer_name = fields.Function(lambda o: o.customer.name)


class CustomerOut(
    columns(
        Customer,
        "branch_id",
        "price_level",
        "settlement_method",
        "credit_limit",
        "rep_id",
        "warehouse_id",
        "contact",
        "phone",
        "address",
        "visit_every_days",
        "active",
    ),
    CodedOut,
):
    """A dealer's account as the staff see it: what it owes (`receivable`), its approved orders
    not yet shipped (`open_orders_amount`) and where its shop is."""

    receivable = money_field(attribute="ar_balance")
    open_orders_amount = money_field(attribute="held")
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)


class StockOut(
    columns(
        Stock,
        "warehouse_id",
        "product_id",
        "on_hand",
        "reserved",
        "unit_cost",
        "in_transit",
        "location",
    )
):
    """A product's stock in a warehouse. Inventory at cost: the moving average `unit_cost` (4
    places), on hand × cost as money (`value`), and what is on its way here and from here."""

    available = fields.Integer()
    value = money_field()
    in_transit_out = fields.Integer()


class SuggestionOut(Schema):
    product_id = fields.Function(lambda s: s.product.id)
    sku = fields.Function(lambda s: s.product.sku)
    name = fields.Function(lambda s: s.product.name)
    unit = fields.Function(lambda s: s.product.unit)
    qty = fields.Integer()
    stock_qty = fields.Integer()
    sold_since_last = fields.Integer()
    sales_in_window = fields.Integer()
    avg_daily_sales = DecimalString()


class ReplenishmentMethodOut(Schema):
    """How replenishment is worked out (app.field.replenishment.Settings): the method and the days
    it looks back over, keeps stock for and waits for delivery."""

    method = fields.String()
    window_days = fields.Integer()
    turnover_days = fields.Integer()
    lead_days = fields.Integer()


class SuggestionsOut(ReplenishmentMethodOut):
    method_label = fields.String()
    items = fields.List(fields.Nested(SuggestionOut))


# --- returns (退货) ------------------------------------------------------------------------


ReturnLineIn = id_qty_line("ReturnLineIn", "order_line_id")


class ReturnRequestIn(Schema):
    lines = lines_of(ReturnLineIn, "退货")
    reason = required_text(500, "请填写退货原因")


class ReturnLineOut(
    columns(
        ReturnLine,
        "id",
        "order_line_id",
        "product_id",
        "qty",
        "received_qty",
        "price",
        "amount",
    )
):
    name = fields.Function(lambda ln: ln.product.name)


class ReturnEventOut(columns(ReturnEvent, "action", "from_status", "to_status", "note")):
    label = label_of(RETURN_ACTIONS, "action")
    at = LocalDateTime(attribute="created_at")


class ReturnOut(
    columns(
        ReturnRequest,
        "order_id",
        "customer_id",
        "status",
        "amount",
        "received_amount",
        "reason",
        "reject_reason",
        "created_at",
    ),
    DocumentOut,
):
    status_label = label_of(RETURN_LABELS)
    lines = fields.List(fields.Nested(ReturnLineOut))
    photos = fields.Function(lambda r: len(r.photos))
    events = fields.List(fields.Nested(ReturnEventOut))


ReturnPageOut = page_of(ReturnOut)


class ReturnQueryIn(PageIn):
    status = fields.String(validate=validate.OneOf(list(RETURN_LABELS), error="状态无效"))


# A phone a courier can call: digits, with the usual +, -, spaces and brackets of a landline.
PHONE = r"^[0-9+\-() ]{5,20}$"


class AddressIn(Schema):
    """A delivery address, as the mini-program, the H5 pages and the console send it; loaded with
    partial=True for a change to some fields."""

    contact = fields.String(required=True, validate=validate.Length(min=1, max=32))
    phone = fields.String(
        required=True,
        validate=[
            validate.Length(max=20),
            validate.Regexp(PHONE, error="请填写正确的联系电话"),
        ],
    )
    province = fields.String(required=True, validate=validate.Length(min=1, max=32))
    city = fields.String(required=True, validate=validate.Length(min=1, max=32))
    district = fields.String(required=True, validate=validate.Length(min=1, max=32))
    address = fields.String(required=True, validate=validate.Length(min=2, max=200))
    is_default = JsonBoolean(data_key="default")


# The address form's fields as people call them, for saying which one is wrong.
ADDRESS_LABELS = {
    "contact": "收货人",
    "phone": "联系电话",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "address": "详细地址",
}


class AddressChangeIn(AddressIn):
    """Some fields of an address (loaded with partial=True): its own name in the API document."""


class AddressOut(
    columns(CustomerAddress, "id", "contact", "phone", "is_default"), PostalAddressOut
):
    default = fields.Function(lambda a: a.is_default)
