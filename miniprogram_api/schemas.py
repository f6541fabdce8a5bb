"""Request and response schemas of the mini-program / H5 API (one place, In/Out by name)."""

from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from app.core import units as product_units
from app.core.rules import OrderStatus
from app.field.schemas import StockSalesReportOut as StockSalesReportOut  # by dealers and reps
from app.schemas import (
    AddressOut,
    CatalogueProductOut,
    CategoryBriefOut,
    CodedOut,
    DateRangeIn,
    DateRangeOut,
    DiscountOut,
    MediaUrl,
    OrderOut,
    WarningOut,
)
from app.validation import (
    ListPageOut,
    LocalDateTime,
    PageIn,
    business_date,
    id_field,
    id_qty_line,
    lines_of,
    money_field,
    optional_text,
    page_of,
    qty_field,
    required_text,
    unit_field,
)


class LoginIn(Schema):
    code = required_text(128, "登录凭证无效")


class CustomerBriefOut(CodedOut):
    """The dealer a WeChat user is bound to."""


class LoginOut(Schema):
    token = fields.String(required=True)
    bound = fields.Boolean(required=True)
    role = fields.String(allow_none=True)
    customer = fields.Nested(CustomerBriefOut, allow_none=True)


class BindIn(Schema):
    invite_code = required_text(32, "邀请码长度不正确", min=4)


class StaffBriefOut(Schema):
    id = fields.Integer()
    name = fields.String()


class BindOut(Schema):
    token = fields.String(required=True)
    role = fields.String(required=True)
    customer = fields.Nested(CustomerBriefOut, allow_none=True)
    staff = fields.Nested(StaffBriefOut, allow_none=True)


class MeCustomerOut(CustomerBriefOut):
    price_level = fields.Integer()
    price_level_name = fields.String()
    settlement_method = fields.String()
    branch_name = fields.String()


class MeOut(Schema):
    role = fields.String(allow_none=True)
    bound = fields.Boolean()
    customer = fields.Nested(MeCustomerOut, allow_none=True)
    staff = fields.Nested(StaffBriefOut, allow_none=True)
    unread = fields.Integer()  # unread messages in the in-app inbox


class InboxQueryIn(PageIn):
    unread_only = fields.Boolean(load_default=False)


class InboxMessageOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    order_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    read = fields.Function(lambda m: m.read_at is not None)


class InboxPageOut(page_of(InboxMessageOut)):
    """A page of the inbox, and how many of its messages are unread."""

    unread = fields.Integer()


class UnreadOut(Schema):
    unread = fields.Integer()


class TemplateIdsOut(Schema):
    template_ids = fields.List(fields.String())


class CategoryOut(CategoryBriefOut):
    children = fields.List(fields.Nested(lambda: CategoryOut()))


class CategoryTreeOut(Schema):
    items = fields.List(fields.Nested(CategoryOut))


class ProductQueryIn(PageIn):
    q = fields.String(validate=validate.Length(max=64, error="搜索词太长"))
    category_id = id_field(strict=False)
    brand = fields.String(validate=validate.Length(min=1, max=64, error="品牌名太长"))  # exact


class ProductOut(CatalogueProductOut):
    """A product as this dealer may order it: at its price, with its stock and promotion."""

    price = money_field()
    stock_status = fields.String(validate=validate.OneOf(["in_stock", "low", "out"]))
    # The best promotion open to this dealer on the product: 特价, 阶梯价, 满1000减50, 买10赠1.
    promotion = fields.String(allow_none=True)
    # An open 特价 below `price` (what a line of it costs now, before quantity tiers), or null.
    promotion_price = money_field(allow_none=True)
    favourite = fields.Boolean(dump_default=False)  # in this customer's 收藏


ProductPageOut = page_of(ProductOut)


class GroupSpecOut(Schema):
    name = fields.String()
    values = fields.List(fields.String())


class GroupOut(CodedOut):
    """A style (款) with its SKUs on sale at this dealer's prices."""

    brand = fields.String()
    category_id = fields.Integer(allow_none=True)
    specs = fields.List(fields.Nested(GroupSpecOut))
    price_min = money_field()
    price_max = money_field()
    stock_status = fields.String(validate=validate.OneOf(["in_stock", "low", "out"]))
    skus = fields.List(fields.Nested(ProductOut))


FavouritePageOut = ProductPageOut  # the favourites are catalogue items


class CartItemIn(Schema):
    qty = qty_field(required=True)
    unit = unit_field()


class CartLineOut(Schema):
    product_id = fields.Function(lambda ln: ln.view.product.id)
    sku = fields.Function(lambda ln: ln.view.product.sku)
    name = fields.Function(lambda ln: ln.view.product.name)
    unit = fields.String()  # the unit the dealer picked, `unit_qty` of it; `qty`: base units
    unit_qty = fields.Integer()
    base_unit = fields.Function(lambda ln: ln.view.product.unit)
    units = fields.Function(lambda ln: product_units.dumped(ln.view.product))
    image = MediaUrl(attribute="view.product.image")
    min_qty = fields.Function(lambda ln: ln.view.product.min_qty)
    step = fields.Function(lambda ln: ln.view.product.step)
    stock_status = fields.String()  # for the line's quantity: `low` when it may not ship in full
    price = fields.Function(lambda ln: f"{ln.unit_price:.2f}")  # after line promotions
    original_price = fields.Function(lambda ln: f"{ln.original_price:.2f}")  # before them
    promotion = fields.String(allow_none=True)  # the label of the promotion that set or gave it
    gift = fields.Boolean()
    qty = fields.Integer()
    amount = money_field()


class SkippedOut(Schema):
    product_id = fields.Integer()
    name = fields.String()
    reason = fields.String()


class CartDiscountOut(DiscountOut):
    """What one promotion takes off the cart, as an order placed from it would say."""


class CartWarningOut(WarningOut):
    """An order's warnings as a cart has them (a gift out of stock): never the credit ones, which
    only an order placed has."""

    class Meta:
        exclude = ("available_credit", "total")


class _SameAsItems(fields.List):
    """A list another field of the schema already dumps: nothing is dumped for it here (the
    schema's post_dump answers the other field's list under this name)."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return None


class CartOut(Schema):
    items = fields.List(fields.Nested(CartLineOut))  # the dealer's lines, then gifts at 0.00
    # The same lines under the name API.md gives them ("cart with lines"), as an order has them:
    # documented as the list it is, answered with `items` as dumped (once: `_lines_are_items`).
    lines = _SameAsItems(fields.Nested(CartLineOut), dump_only=True)
    subtotal = money_field()
    discounts = fields.List(fields.Nested(CartDiscountOut))
    discount_total = money_field()
    total = money_field()
    count = fields.Integer()
    skipped = fields.List(fields.Nested(SkippedOut))
    # What each promotion did for the cart, or what it is short of: "满1000减50：再买 ¥120.00 可减 ¥50.00"
    promotions = fields.List(fields.String())
    warnings = fields.List(fields.Nested(CartWarningOut))

    @post_dump
    def _lines_are_items(self, data, **kwargs):
        data["lines"] = data["items"]
        return data


class BulkItemIn(Schema):
    sku = required_text(64, "商品编码须为 1-64 个字符")
    qty = qty_field(required=True)
    unit = unit_field()


class BulkCartIn(Schema):
    items = lines_of(BulkItemIn)


class BulkLineOut(Schema):
    """A line of a quick order's list: its SKU as sent, and the product it named."""

    sku = fields.String()
    product_id = fields.Integer()
    name = fields.String()


class BulkAddedOut(BulkLineOut):
    qty = fields.Integer()  # base units
    unit = fields.String()  # what `unit_qty` counts
    unit_qty = fields.Integer()
    base_unit = fields.String()


class BulkAdjustedOut(BulkLineOut):
    requested = fields.Integer()
    qty = fields.Integer()
    reason = fields.String()


class BulkRefusedOut(Schema):
    sku = fields.String()
    reason = fields.String()


class BulkCartOut(CartOut):
    """The cart after a quick order, with what happened to each line of the list."""

    added = fields.List(fields.Nested(BulkAddedOut))
    not_found = fields.List(fields.String())
    adjusted = fields.List(fields.Nested(BulkAdjustedOut))
    refused = fields.List(fields.Nested(BulkRefusedOut))


OrderLineIn = id_qty_line("OrderLineIn", "product_id", unit=unit_field())


class PlaceOrderIn(Schema):
    lines = lines_of(OrderLineIn)
    remark = optional_text(500, error="备注太长")
    address_id = id_field(load_default=None, allow_none=True)


class IdempotencyHeaderIn(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Regexp(
            r"^[\x21-\x7e]{1,128}$", error="Idempotency-Key 须为 1-128 个可见 ASCII 字符"
        ),
    )


OrderPageOut = page_of(OrderOut)


class OrderQueryIn(PageIn):
    status = fields.String(
        validate=validate.OneOf([s.value for s in OrderStatus], error="订单状态无效")
    )
    q = fields.String(validate=validate.Length(max=64, error="搜索词太长"))


class RecentProductOut(ProductOut):
    last_qty = fields.Integer()  # in the product's base unit
    last_unit = (
        fields.String()
    )  # the unit it was last ordered in (the base unit if no longer sold so)
    last_unit_qty = fields.Integer()  # how many of `last_unit`: what 再订 sends
    last_ordered_at = LocalDateTime()


class RecentProductsOut(ListPageOut):
    items = fields.List(fields.Nested(RecentProductOut))


class AnnouncementOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    pinned = fields.Boolean()
    published_at = LocalDateTime()


AnnouncementPageOut = page_of(AnnouncementOut)


class AccountOut(Schema):
    settlement_method = fields.String()
    credit_limit = money_field()
    receivable = money_field()
    open_orders_amount = money_field()
    available_credit = money_field()
    balance = money_field()


class StatementQueryIn(DateRangeIn):
    """The days of a statement (default: this month so far)."""


class StatementLineOut(Schema):
    at = LocalDateTime()
    kind = fields.String()
    ref = fields.String()
    note = fields.String()
    amount = money_field()
    balance = money_field()


class StatementOut(DateRangeOut):
    opening_balance = money_field()
    closing_balance = money_field()
    items = fields.List(fields.Nested(StatementLineOut))


class AddressListOut(ListPageOut):
    items = fields.List(fields.Nested(AddressOut))


class StockSalesLineIn(Schema):
    product_id = id_field(required=True)
    stock_qty = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=9_999_999, error="库存数量无效"),
    )
    sales_qty = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=9_999_999, error="销量无效")
    )


def stock_sales_lines():
    """A report's lines: 1 to 500 products, each with its stock and sales."""
    return fields.List(
        fields.Nested(StockSalesLineIn),
        required=True,
        validate=validate.Length(min=1, max=500, error="商品行数须在 1 到 500 之间"),
    )


class StockSalesIn(Schema):
    period_end = business_date(required=True)
    lines = stock_sales_lines()


class SubscriptionsIn(Schema):
    template_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=10, error="模板数量须在 1 到 10 之间"),
    )


class SubscriptionOut(Schema):
    template_id = fields.String()
    remaining = fields.Integer()


class SubscriptionsOut(Schema):
    items = fields.List(fields.Nested(SubscriptionOut))


class GeoIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90, error="纬度无效"))
    lng = fields.Float(required=True, validate=validate.Range(min=-180, max=180, error="经度无效"))


class CheckInIn(GeoIn):
    customer_id = id_field(required=True)


class RepCustomerOut(Schema):
    id = fields.Function(lambda rc: rc.customer.id)
    code = fields.Function(lambda rc: rc.customer.code)
    name = fields.Function(lambda rc: rc.customer.name)
    address = fields.Function(lambda rc: rc.customer.address)
    lat = fields.Function(lambda rc: None if rc.customer.lat is None else float(rc.customer.lat))
    lng = fields.Function(lambda rc: None if rc.customer.lng is None else float(rc.customer.lng))
    visit_every_days = fields.Function(lambda rc: rc.customer.visit_every_days)
    last_visit_at = LocalDateTime(allow_none=True)
    due_on = fields.Date()
    due_today = fields.Boolean()
    overdue_days = fields.Integer()


class RepCustomerListOut(ListPageOut):
    items = fields.List(fields.Nested(RepCustomerOut))


class VisitOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    checkin_at = LocalDateTime()
    checkin_distance_m = fields.Integer()
    checkout_at = LocalDateTime(allow_none=True)
    checkout_distance_m = fields.Integer(allow_none=True)
    duration_s = fields.Integer(allow_none=True)
    open = fields.Function(lambda v: v.open_for_staff is not None)


class PhotoOut(Schema):
    id = fields.Integer()
    visit_id = fields.Integer()
    return_id = fields.Integer(attribute="request_id")
    content_type = fields.String()
    size = fields.Integer()
    created_at = LocalDateTime()


class ReportLinesIn(Schema):
    lines = stock_sales_lines()
