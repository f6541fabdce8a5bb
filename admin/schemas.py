"""Request and response schemas of the admin API."""

from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from app.approval.rules import DOCUMENT_TYPES
from app.auth.permissions import DATA_SCOPES, ROLES
from app.core.promotions import KINDS as PROMOTION_KINDS
from app.core.rules import RECEIPT_METHODS_SHOWN, OrderStatus, SettlementMethod
from app.field.schemas import StockSalesReportOut
from app.integrations.keys import SCOPES as API_KEY_SCOPE_MAP
from app.integrations.schemas import WebhookDeliveryOut
from app.integrations.webhooks import EVENT_TYPES as WEBHOOK_EVENTS
from app.notify.schemas import NotificationOut
from app.notify.settings import current as notify_settings
from app.schemas import (
    AdminOrderOut,
    ApprovalStepOut,
    CatalogueProductOut,
    CategoryBriefOut,
    CodedOut,
    CommentIn,
    CustomerOut,
    DateRangeIn,
    DiscountOut,
    GroupedReportOut,
    GroupRowOut,
    ReplenishmentMethodOut,
    ShipmentOut,
    StockOut,
)
from app.shops.queries import ShopOrderOut, SkuMapItemOut
from app.shops.rules import CARRIERS, PLATFORMS
from app.shops.rules import STATUS_LABELS as SHOP_ORDER_STATUSES
from app.validation import (
    Cost,
    Instant,
    JsonBoolean,
    ListPageOut,
    LocalDateTime,
    PageIn,
    WholeListIn,
    business_date,
    id_field,
    id_qty_line,
    lines_of,
    money_field,
    money_in,
    optional_text,
    page_of,
    patch_of,
    qty_field,
    required_text,
    unit_field,
)

text = validate.Length(min=1, max=200, error="长度须在 1 到 200 之间")
# Names of branches, warehouses, categories and rules: their columns hold 100 characters.
short_name = validate.Length(min=1, max=100, error="长度须在 1 到 100 之间")
price_level = validate.Range(min=1, max=10, error="价格等级须为 1-10")


API_KEY_SCOPES = list(API_KEY_SCOPE_MAP)


class StaffLoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class StaffOut(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    role = fields.String()
    branch_id = fields.Integer(allow_none=True)
    data_scope = fields.String()
    active = fields.Boolean()
    locked_until = LocalDateTime(allow_none=True)


class StaffLoginOut(Schema):
    token = fields.String()
    staff = fields.Nested(StaffOut)


class StaffIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=64))
    password = required_text(128, "密码至少 8 位", min=8)
    name = optional_text(100)
    role = fields.String(required=True, validate=validate.OneOf(ROLES, error="角色无效"))
    branch_id = id_field(load_default=None, allow_none=True)
    data_scope = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(DATA_SCOPES, error="数据范围无效"),
    )
    phone = optional_text(32)


class StaffPatchIn(Schema):
    active = JsonBoolean(required=True)


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    new_password = required_text(128, "密码至少 8 位", min=8)


StaffPageOut = page_of(StaffOut)


class WechatUserOut(Schema):
    """A WeChat user bound to a customer (a dealer) or a staff member; unbinding ends it."""

    id = fields.Integer()
    role = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    nickname = fields.String()
    follows_oa = fields.Boolean(metadata={"description": "follows the official account"})
    created_at = LocalDateTime()
    last_login_at = LocalDateTime()


class WechatUserListOut(ListPageOut):
    items = fields.List(fields.Nested(WechatUserOut))


class NamedIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=short_name)


class BranchOut(CodedOut):
    """A branch: its id, code and name."""


class WarehouseIn(NamedIn):
    branch_id = id_field(load_default=None, allow_none=True)
    address = optional_text(255)


class WarehouseOut(BranchOut):
    branch_id = fields.Integer(allow_none=True)
    address = fields.String()


class CategoryIn(Schema):
    name = fields.String(required=True, validate=short_name)
    parent_id = id_field(load_default=None, allow_none=True)
    sort = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=-10000, max=10000)
    )


class CategoryAdminOut(CategoryBriefOut):
    sort = fields.Integer()  # lists show categories by it, lower first


class CategoryListOut(ListPageOut):
    items = fields.List(fields.Nested(CategoryAdminOut))


class AnnouncementIn(Schema):
    title = fields.String(required=True, validate=text)
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    branch_id = id_field(load_default=None, allow_none=True)
    pinned = JsonBoolean(load_default=False)
    expires_at = Instant(load_default=None, allow_none=True)


class AnnouncementAdminOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    branch_id = fields.Integer(allow_none=True)
    pinned = fields.Boolean()
    published_at = LocalDateTime()


def _level_prices():
    return fields.Dict(
        keys=fields.String(
            validate=validate.OneOf([str(i) for i in range(1, 11)], error="价格等级须为 1-10")
        ),
        values=money_in(),
    )


class UnitIn(Schema):
    """A named unit of a product besides its base one: `factor` base units in one."""

    name = required_text(16, "单位名称须为 1-16 个字")
    factor = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=2, max=10_000, error="换算数须在 2 到 10000 之间"),
    )


def _units(**kwargs):
    return fields.List(
        fields.Nested(UnitIn),
        validate=validate.Length(max=5, error="最多设置 5 个单位"),
        **kwargs,
    )


spec_name = validate.Length(min=1, max=20, error="规格名长度须在 1 到 20 之间")
spec_value = validate.Length(min=1, max=40, error="规格值长度须在 1 到 40 之间")


def _spec():
    """A SKU's values, one per dimension of its style: {"颜色": "红", "尺码": "L"}."""
    return fields.Dict(
        keys=fields.String(validate=spec_name),
        values=fields.String(validate=spec_value),
        validate=validate.Length(max=4, error="规格最多 4 个"),
    )


class ProductIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=text)
    category_id = id_field(load_default=None, allow_none=True)
    unit = fields.String(load_default="件", validate=validate.Length(min=1, max=16))
    pack_size = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=100000)
    )
    min_qty = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=99999))
    step = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=99999))
    list_price = money_in(required=True)
    prices = _level_prices()
    active = JsonBoolean(load_default=True)
    image = optional_text(500)
    brand = optional_text(64)
    safety_stock = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=99_999_999)
    )
    units = _units(load_default=list)  # besides the base unit `unit`
    group_id = id_field(load_default=None, allow_none=True)  # the style (款) it is a SKU of
    spec = _spec()


ProductPatchIn = patch_of(ProductIn, "ProductPatchIn")


class ProductAdminOut(CatalogueProductOut):
    """A product as the staff manage it: with its prices, whether it is on sale, its safety
    stock."""

    list_price = money_field()
    prices = fields.Dict(keys=fields.String(), values=money_field())
    active = fields.Boolean()
    safety_stock = fields.Integer()


ProductAdminPageOut = page_of(ProductAdminOut)


class SpecDimensionIn(Schema):
    name = fields.String(required=True, validate=spec_name)
    values = fields.List(
        fields.String(validate=spec_value),
        required=True,
        validate=validate.Length(min=1, max=50, error="每个规格须有 1 到 50 个值"),
    )


def _specs(**kwargs):
    return fields.List(
        fields.Nested(SpecDimensionIn),
        validate=validate.Length(min=1, max=4, error="规格须有 1 到 4 个"),
        **kwargs,
    )


class ProductGroupIn(Schema):
    """A style (款): its SKUs are products, one per combination of the spec values."""

    code = fields.String(validate=validate.Length(min=1, max=64))  # 款号; K000001 … when left out
    name = fields.String(required=True, validate=text)
    category_id = id_field(required=True)
    brand = optional_text(64)
    specs = _specs(required=True)
    active = JsonBoolean(load_default=True)


ProductGroupPatchIn = patch_of(ProductGroupIn, "ProductGroupPatchIn")


class SpecDimensionOut(Schema):
    name = fields.String()
    values = fields.List(fields.String())


class ProductGroupOut(CodedOut):
    category_id = fields.Integer(allow_none=True)
    brand = fields.String()
    specs = fields.List(fields.Nested(SpecDimensionOut), attribute="spec_list")
    active = fields.Boolean()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    skus = fields.List(fields.Nested(ProductAdminOut))
    # Combinations of the spec values without a product yet.
    missing = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))


ProductGroupPageOut = page_of(ProductGroupOut)


class ProductQueryIn(PageIn):
    q = fields.String(validate=validate.Length(max=64))
    category_id = id_field(strict=False)
    active = fields.Boolean()


class ProductGroupQueryIn(ProductQueryIn):
    """Styles are searched as products are: words, a category, active or not."""


class SkuGenerateIn(Schema):
    """A product for every combination of the style without one: SKU `sku_prefix`-01 …"""

    sku_prefix = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.-]{1,40}$", error="SKU 前缀须为 1 到 40 个字母、数字、- _ ."
        ),
    )
    list_price = money_in(required=True)
    prices = _level_prices()
    unit = fields.String(load_default="件", validate=validate.Length(min=1, max=16))


class CustomerIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=text)
    branch_id = id_field(required=True)
    price_level = fields.Integer(load_default=1, validate=price_level)
    settlement_method = fields.String(
        load_default="credit", validate=validate.OneOf([m.value for m in SettlementMethod])
    )
    credit_limit = money_in(load_default=0)
    rep_id = id_field(load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180)
    )
    warehouse_id = id_field(required=True)
    contact = optional_text(64)
    phone = optional_text(32)
    address = optional_text(255)
    visit_every_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=1, max=365, error="拜访周期须在 1 到 365 天之间"),
    )


CustomerPatchIn = patch_of(
    CustomerIn,
    "CustomerPatchIn",
    price_level=fields.Integer(strict=True, validate=price_level),
    active=JsonBoolean(),
)


CustomerPageOut = page_of(CustomerOut)


class CustomerQueryIn(PageIn):
    q = fields.String(validate=validate.Length(max=64))
    branch_id = id_field(strict=False)


class CustomerPriceIn(Schema):
    price = money_in(required=True)


class CustomerPriceOut(Schema):
    customer_id = fields.Integer()
    product_id = fields.Integer()
    price = money_field()


class InvitationIn(Schema):
    role = fields.String(
        load_default="dealer", validate=validate.OneOf(["dealer"], error="客户邀请只能是 dealer")
    )


class InviteCodeOut(Schema):
    """An invitation: its code, the role it binds to, until when it holds."""

    invite_code = fields.String(attribute="code")
    role = fields.String()
    expires_at = LocalDateTime()


class StaffInvitationOut(InviteCodeOut):
    url = fields.Function(lambda i: notify_settings().binding_link(i.code))


class InvitationOut(InviteCodeOut):
    qr_url = fields.String(allow_none=True)


class ReceiptIn(Schema):
    amount = money_in(required=True)
    method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["bank", "cash", "wechat", "alipay", "cheque", "other"], error="收款方式无效"
        ),
    )
    reference = optional_text(128)
    # The day the money arrived (YYYY-MM-DD, Beijing time), today or earlier; none: today.
    received_at = business_date()


class ReceiptQueryIn(DateRangeIn, PageIn):
    """收款记录: a customer (typed: name or code; or chosen: id), a method, the days received."""

    q = fields.String(validate=validate.Length(max=64, error="搜索内容过长"))
    customer_id = id_field(strict=False)
    method = fields.String(
        validate=validate.OneOf(list(RECEIPT_METHODS_SHOWN), error="收款方式无效")
    )


class ReceiptVoidIn(Schema):
    """作废 a receipt: why, always."""

    reason = required_text(200, "请填写作废原因（1-200 字）")


class StockAdjustmentIn(Schema):
    warehouse_id = id_field(required=True)
    product_id = id_field(required=True)
    qty_delta = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=-9_999_999, max=9_999_999)
    )
    reason = required_text(255, "请填写原因")


class StockQueryIn(PageIn):
    warehouse_id = id_field(strict=False)
    product_id = id_field(strict=False)


StockPageOut = page_of(StockOut)


class ReviewQueueQueryIn(PageIn):
    mine = fields.Boolean(
        load_default=False, metadata={"description": "only orders whose next signature is mine"}
    )


class AdminOrderQueryIn(PageIn):
    status = fields.String(
        validate=validate.OneOf([s.value for s in OrderStatus], error="订单状态无效")
    )
    branch_id = id_field(strict=False)
    customer_id = id_field(strict=False)
    q = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "words in the order number, customer name or code, or a product"},
    )
    date_from = business_date(metadata={"description": "placed on or after (business day)"})
    date_to = business_date(metadata={"description": "placed on or before (business day)"})


AdminOrderPageOut = page_of(AdminOrderOut)


AdjustLineIn = id_qty_line(
    "AdjustLineIn", "product_id", price=money_in(load_default=None, allow_none=True)
)


class AdjustOrderIn(Schema):
    lines = lines_of(AdjustLineIn)
    reason = required_text(500, "请填写调整原因")


class ApproveIn(CommentIn):
    credit_override = JsonBoolean(load_default=False)


class RejectIn(Schema):
    reason = required_text(500, "请填写驳回原因")


StaffOrderLineIn = id_qty_line(
    "StaffOrderLineIn",
    "product_id",
    unit=unit_field(),
)


class StaffOrderIn(Schema):
    """代下单: an order for a dealer, at that dealer's prices."""

    customer_id = id_field(required=True)
    lines = lines_of(StaffOrderLineIn)
    remark = optional_text(500, error="备注太长")
    address_id = id_field(load_default=None, allow_none=True)


class DealerProductQueryIn(Schema):
    q = optional_text(64, error="搜索词太长")


class DealerProductOut(Schema):
    """A product as an order for this dealer would price it (staff also see what is available)."""

    id = fields.Function(lambda v: v.product.id)
    sku = fields.Function(lambda v: v.product.sku)
    name = fields.Function(lambda v: v.product.name)
    unit = fields.Function(lambda v: v.product.unit)
    min_qty = fields.Function(lambda v: v.product.min_qty)
    step = fields.Function(lambda v: v.product.step)
    price = fields.Function(lambda v: f"{v.price:.2f}")
    available = fields.Integer()
    stock_status = fields.String()


class DealerProductsOut(Schema):
    items = fields.List(fields.Nested(DealerProductOut))


class StaffIdempotencyHeaderIn(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Regexp(
            r"^[\x21-\x7e]{1,120}$", error="Idempotency-Key 须为 1-120 个可见 ASCII 字符"
        ),
    )


ShipLineIn = id_qty_line("ShipLineIn", "order_line_id")


class ShipmentIn(Schema):
    lines = lines_of(ShipLineIn, "发货")
    carrier = required_text(64, "请填写承运商")
    tracking_no = required_text(64, "请填写运单号")


class ShipmentAdminOut(ShipmentOut):
    order_id = fields.Integer()
    order_status = fields.Function(lambda s: s.order.status)


class StepOut(ApprovalStepOut):
    rule_name = fields.String()


class QueueLineOut(Schema):
    order_line_id = fields.Function(lambda x: x["line"].id)
    product_id = fields.Function(lambda x: x["line"].product_id)
    name = fields.Function(lambda x: x["line"].product.name)
    qty = fields.Function(lambda x: x["line"].qty)
    price = fields.Function(lambda x: f"{x['line'].price:.2f}")
    list_price = fields.Function(lambda x: f"{x['line'].list_price:.2f}")
    available = fields.Integer()
    short = fields.Function(lambda x: x["available"] < x["line"].qty)


class CreditPositionOut(Schema):
    settlement_method = fields.String()
    credit_limit = money_field()
    used = money_field()
    available = money_field(allow_none=True)
    would_exceed = fields.Boolean()


class QueueEntryOut(Schema):
    order_id = fields.Function(lambda e: e.order.id)
    number = fields.Function(lambda e: e.order.number)
    created_at = fields.Function(
        lambda e: LocalDateTime()._serialize(e.order.created_at, None, None)
    )
    total = fields.Function(lambda e: f"{e.order.total:.2f}")
    customer = fields.Function(
        lambda e: {"id": e.customer.id, "code": e.customer.code, "name": e.customer.name}
    )
    credit = fields.Nested(CreditPositionOut)
    lines = fields.List(fields.Nested(QueueLineOut))
    steps = fields.List(fields.Nested(StepOut))
    next_role = fields.String(allow_none=True)


QueuePageOut = page_of(QueueEntryOut)


class AgingQueryIn(Schema):
    as_of = business_date()
    branch_id = id_field(strict=False)


class AgingRowOut(Schema):
    customer_id = fields.Integer()
    customer_code = fields.String()
    customer_name = fields.String()
    branch_id = fields.Integer()
    buckets = fields.Dict(keys=fields.String(), values=money_field())
    total = money_field()


class AgingOut(Schema):
    as_of = fields.Date()
    items = fields.List(fields.Nested(AgingRowOut))
    totals = fields.Dict(keys=fields.String(), values=money_field())


class RuleStepIn(Schema):
    role = fields.String(required=True)


class RuleIn(Schema):
    name = fields.String(required=True, validate=short_name)
    # Which document the rule governs; rules made before documents were named govern orders.
    document = fields.String(
        load_default="order", validate=validate.OneOf(DOCUMENT_TYPES, error="单据类型无效")
    )
    condition = fields.Dict(load_default=dict)
    steps = fields.List(fields.Nested(RuleStepIn), required=True, validate=validate.Length(max=10))
    priority = fields.Integer(
        strict=True, load_default=100, validate=validate.Range(min=0, max=100000)
    )


# Any of a rule's fields; what is left out stays as it is.
RulePatchIn = patch_of(RuleIn, "RulePatchIn", active=fields.Boolean())


class RuleQueryIn(WholeListIn):
    document = fields.String(validate=validate.OneOf(DOCUMENT_TYPES, error="单据类型无效"))


class RuleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    document = fields.String()
    priority = fields.Integer()
    condition = fields.Function(lambda r: json.loads(r.condition))
    steps = fields.Function(lambda r: json.loads(r.steps))
    active = fields.Boolean()


class RuleListOut(ListPageOut):
    items = fields.List(fields.Nested(RuleOut))


class NotificationQueryIn(PageIn):
    status = fields.String(
        validate=validate.OneOf(["pending", "sent", "undeliverable", "dead"], error="状态无效")
    )
    order_id = id_field(strict=False)


NotificationPageOut = page_of(NotificationOut)


class VisitDayQueryIn(Schema):
    day = business_date()
    staff_id = id_field(strict=False)


class VisitDayOut(Schema):
    staff_id = fields.Integer()
    staff_name = fields.String()
    visits = fields.Integer()
    duration_s = fields.Integer()
    anomalies = fields.List(fields.Dict())


class VisitDayListOut(Schema):
    day = fields.Date()
    items = fields.List(fields.Nested(VisitDayOut))


class ReportQueryIn(PageIn):
    customer_id = id_field(strict=False)


class StockReportOut(StockSalesReportOut):
    customer_id = fields.Integer()
    reported_by_staff_id = fields.Integer(allow_none=True)
    visit_id = fields.Integer(allow_none=True)


StockReportPageOut = page_of(StockReportOut)


class ReplenishmentSettingIn(Schema):
    customer_id = id_field(load_default=None, allow_none=True)
    method = fields.String(
        required=True,
        validate=validate.OneOf(["sell_one", "stock_gap", "turnover"], error="补货方式无效"),
    )
    window_days = fields.Integer(
        strict=True, load_default=30, validate=validate.Range(min=1, max=365)
    )
    turnover_days = fields.Integer(
        strict=True, load_default=14, validate=validate.Range(min=0, max=365)
    )
    lead_days = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=365))


class ReplenishmentSettingOut(ReplenishmentMethodOut):
    customer_id = fields.Integer(allow_none=True)  # null: the setting for every customer


# --- integrations: webhooks, API keys, ERP sync ----------------------------------------------


def _some_of(choices: list[str], error: str) -> fields.List:
    """A required list of one or more of `choices` (a webhook's events, an API key's scopes):
    `error` says a value is none of them."""
    return fields.List(
        fields.String(validate=validate.OneOf(choices, error=error)),
        required=True,
        validate=validate.Length(min=1, max=len(choices)),
    )


class WebhookIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500))
    events = _some_of(WEBHOOK_EVENTS, "事件类型无效")
    active = JsonBoolean(load_default=True)


class WebhookOut(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.Function(lambda e: json.loads(e.events))
    active = fields.Boolean()
    created_at = LocalDateTime()


class WebhookCreatedOut(WebhookOut):
    secret = fields.String(metadata={"description": "shown once: keep it to verify signatures"})


class WebhookListOut(ListPageOut):
    items = fields.List(fields.Nested(WebhookOut))


WebhookDeliveryPageOut = page_of(WebhookDeliveryOut)


class ApiKeyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = _some_of(API_KEY_SCOPES, "权限范围无效")
    data_scope = fields.String(
        load_default="all", validate=validate.OneOf(["all", "branch"], error="数据范围无效")
    )
    branch_id = id_field(load_default=None, allow_none=True)


class ApiKeyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    scopes = fields.Function(lambda k: json.loads(k.scopes))
    data_scope = fields.String()
    branch_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    last_used_at = LocalDateTime(allow_none=True)
    revoked = fields.Function(lambda k: k.revoked_at is not None)


class ApiKeyCreatedOut(ApiKeyOut):
    key = fields.String(
        metadata={"description": "shown once: the system sends it as a Bearer token"}
    )


class ApiKeyListOut(ListPageOut):
    items = fields.List(fields.Nested(ApiKeyOut))


class StockLevelIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    on_hand = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=99_999_999)
    )


class StockLevelsIn(Schema):
    warehouse_id = id_field(required=True)
    items = fields.List(
        fields.Nested(StockLevelIn), required=True, validate=validate.Length(min=1, max=5000)
    )
    reason = fields.String(load_default="ERP 盘点", validate=validate.Length(min=1, max=255))


class StockLevelsOut(Schema):
    items = fields.List(fields.Nested(StockOut))


class PriceRowIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    list_price = money_in()
    prices = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf([str(i) for i in range(1, 11)], error="价格等级须为 1-10")
        ),
        values=money_in(),
        load_default=dict,
    )


class PricesIn(Schema):
    items = fields.List(
        fields.Nested(PriceRowIn), required=True, validate=validate.Length(min=1, max=5000)
    )


class CustomerRowIn(CustomerPatchIn):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))


class CustomersBulkIn(Schema):
    items = fields.List(
        fields.Nested(CustomerRowIn), required=True, validate=validate.Length(min=1, max=2000)
    )


class BulkOut(Schema):
    count = fields.Integer()


# --- sales reports and targets ---------------------------------------------------------------


class SalesQueryIn(Schema):
    date_from = business_date(
        data_key="from", metadata={"description": "first day (default: this month's first)"}
    )
    date_to = business_date(data_key="to", metadata={"description": "last day (default: today)"})
    group_by = fields.String(
        load_default="branch",
        validate=validate.OneOf(
            ["branch", "rep", "customer", "product", "category", "brand", "channel", "shop", "day"],
            error="分组方式无效",
        ),
    )
    branch_id = id_field(strict=False)
    rep_id = id_field(strict=False)


class SalesTotalsOut(Schema):
    orders = fields.Integer()
    amount = money_field()
    shipped_amount = money_field()
    returned_amount = money_field()
    receipts = money_field()
    # Inventory at cost: goods shipped less goods returned at the cost they moved at.
    cost = money_field()
    gross_profit = money_field()
    gross_margin = fields.Decimal(places=1, as_string=True, allow_none=True)


class SalesRowOut(GroupRowOut, SalesTotalsOut):
    """One group's sales."""


class SalesReportOut(GroupedReportOut):
    items = fields.List(fields.Nested(SalesRowOut))
    totals = fields.Nested(SalesTotalsOut)


# A month the business can mean, as business_date() bounds days.
PERIOD = r"^20\d{2}-(0[1-9]|1[0-2])$"


class TargetIn(Schema):
    period = fields.String(
        required=True,
        validate=validate.Regexp(PERIOD, error="格式应为 YYYY-MM（2000 到 2099 年）"),
    )
    branch_id = id_field(load_default=None, allow_none=True)
    staff_id = id_field(load_default=None, allow_none=True)
    amount = money_in(required=True)


class TargetOut(Schema):
    id = fields.Integer()
    period = fields.String()
    branch_id = fields.Integer(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    amount = money_field()


class TargetsQueryIn(Schema):
    period = fields.String(
        metadata={"description": "YYYY-MM (default: this month)"},
        validate=validate.Regexp(PERIOD, error="格式应为 YYYY-MM（2000 到 2099 年）"),
    )


class TargetRowOut(Schema):
    id = fields.Integer()
    name = fields.String()
    target = money_field(allow_none=True)
    achieved = money_field()
    receipts = money_field()
    percent = fields.Decimal(as_string=True, allow_none=True)


class TargetsReportOut(Schema):
    period = fields.String()
    branches = fields.List(fields.Nested(TargetRowOut))
    reps = fields.List(fields.Nested(TargetRowOut))


# --- promotions (特价, 阶梯价, 满减, 满赠/买赠) ---------------------------------------------------


def _target_ids(**kwargs):
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=500),
        allow_none=True,
        **kwargs,
    )


class PromotionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(
        required=True, validate=validate.OneOf(list(PROMOTION_KINDS), error="促销类型无效")
    )
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    active = JsonBoolean(load_default=True)
    branch_ids = _target_ids(load_default=None)
    price_levels = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=10)),
        validate=validate.Length(max=10),
        allow_none=True,
        load_default=None,
    )
    customer_ids = _target_ids(load_default=None)
    rules = fields.Dict(required=True)  # checked against the kind by the service


# A promotion's kind is set when it is made: a change may touch any other field.
PromotionPatchIn = patch_of(PromotionIn, "PromotionPatchIn", exclude=("kind",))


class PromotionResultsOut(Schema):
    """What a promotion did, over the orders in the caller's scope (not rejected or cancelled)."""

    orders = fields.Integer(attribute="order_count")
    sales = money_field()
    discount = money_field()
    shipped = money_field()
    cost = Cost()
    gross_profit = money_field()
    gross_margin = fields.Decimal(places=1, as_string=True, allow_none=True)


class PromotionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    label = fields.String()  # as dealers see it beside a product: 特价, 满1000减50, 买10赠1
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    active = fields.Boolean()
    status = fields.String()  # scheduled | open | ended | inactive
    status_label = fields.String()
    branch_ids = fields.List(fields.Integer(), attribute="branch_id_list")
    price_levels = fields.List(fields.Integer(), attribute="price_level_list")
    customer_ids = fields.List(fields.Integer(), attribute="customer_id_list")
    rules = fields.Dict(attribute="rules_out")
    results = fields.Nested(PromotionResultsOut)
    created_by = fields.String()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


PromotionPageOut = page_of(PromotionOut)


class PromotionQueryIn(PageIn):
    status = fields.String(
        validate=validate.OneOf(["scheduled", "open", "ended", "inactive"], error="状态无效")
    )
    kind = fields.String(validate=validate.OneOf(list(PROMOTION_KINDS), error="促销类型无效"))


class PreviewLineIn(Schema):
    product_id = id_field(required=True)
    qty = qty_field(required=True)


class PromotionPreviewIn(Schema):
    customer_id = id_field(required=True)
    lines = fields.List(
        fields.Nested(PreviewLineIn), load_default=list, validate=validate.Length(max=200)
    )


class OfferOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    label = fields.String()


class PreviewLineOut(Schema):
    product_id = fields.Function(lambda ln: ln.product.id)
    sku = fields.Function(lambda ln: ln.product.sku)
    name = fields.Function(lambda ln: ln.product.name)
    qty = fields.Integer()
    original_price = fields.Function(lambda ln: f"{ln.base_price:.2f}")
    price = money_field()
    amount = money_field()
    promotion = fields.Function(lambda ln: ln.promotion.label if ln.promotion else None)
    gift = fields.Boolean()
    discount = money_field()


class PromotionPreviewOut(Schema):
    customer_id = fields.Function(lambda p: p.customer.id)
    offers = fields.List(fields.Nested(OfferOut))
    lines = fields.Function(
        lambda p: PreviewLineOut(many=True).dump(p.quote.lines) if p.quote else []
    )
    subtotal = fields.Function(lambda p: f"{p.quote.subtotal:.2f}" if p.quote else "0.00")
    discounts = fields.Function(
        lambda p: DiscountOut(many=True).dump(p.quote.discounts) if p.quote else []
    )
    discount_total = fields.Function(
        lambda p: f"{p.quote.discount_total:.2f}" if p.quote else "0.00"
    )
    total = fields.Function(lambda p: f"{p.quote.total:.2f}" if p.quote else "0.00")
    promotions = fields.Function(
        lambda p: [pr.message for pr in p.quote.progress] if p.quote else []
    )
    warnings = fields.Function(lambda p: p.quote.warnings if p.quote else [])


# --- online shops (网店管理) ---------------------------------------------------------------


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class ShopIn(Schema):
    name = _text(100, required=True)
    platform = fields.String(required=True, validate=validate.OneOf(list(PLATFORMS)))
    app_key = _text(64, required=True)
    app_secret = _text(128, required=True)
    access_token = _text(255, required=True)
    warehouse_id = id_field(required=True)
    stock_share_pct = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=100, error="须在 0 到 100 之间")
    )
    safety_stock = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=9999999, error="不能为负数")
    )
    active = fields.Boolean()


class ShopPatchIn(Schema):
    name = _text(100)
    app_secret = _text(128)
    access_token = _text(255)
    warehouse_id = id_field()
    stock_share_pct = ShopIn._declared_fields["stock_share_pct"]
    safety_stock = ShopIn._declared_fields["safety_stock"]
    active = fields.Boolean()


class SyncOut(Schema):
    fetched = fields.Integer()
    new = fields.Integer()
    updated = fields.Integer()


class SkuMapItemIn(Schema):
    platform_sku = _text(64, required=True)
    product_id = id_field(required=True)
    qty = qty_field(load_default=1)


class SkuMapIn(Schema):
    items = fields.List(
        fields.Nested(SkuMapItemIn),
        required=True,
        validate=validate.Length(max=5000, error="一次最多 5000 项"),
    )


class UnmappedOut(Schema):
    platform_sku = fields.String()
    orders = fields.Integer()


class SkuMapOut(Schema):
    items = fields.List(fields.Nested(SkuMapItemOut))
    unmapped = fields.List(fields.Nested(UnmappedOut))


class ShopOrderQueryIn(PageIn):
    status = fields.String(validate=validate.OneOf(list(SHOP_ORDER_STATUSES)))
    shop_id = id_field(strict=False)
    q = fields.String(validate=validate.Length(max=64))


class IdsIn(Schema):
    ids = fields.List(
        id_field(),
        required=True,
        validate=validate.Length(min=1, max=500, error="一次 1 到 500 个订单"),
    )


class WaybillsIn(IdsIn):
    carrier = fields.String(required=True, validate=validate.OneOf(list(CARRIERS)))


class SplitLineIn(Schema):
    line_id = id_field(required=True)
    qty = qty_field(required=True)


class SplitIn(Schema):
    lines = fields.List(
        fields.Nested(SplitLineIn),
        required=True,
        validate=validate.Length(min=1, max=200, error="拆分行数须在 1 到 200 之间"),
    )


class SplitOut(Schema):
    kept = fields.Nested(ShopOrderOut)
    split = fields.Nested(ShopOrderOut)


class _ShopOrderResultOut(Schema):
    """What became of one shop order in a batch, by its id."""

    id = fields.Integer()


class WaybillItemOut(_ShopOrderResultOut):
    tracking_no = fields.String()


class FailedOut(_ShopOrderResultOut):
    error = fields.String()


class _BatchOut(Schema):
    """A batch over shop orders: those it could not do, each with the reason."""

    failed = fields.List(fields.Nested(FailedOut))


class WaybillsOut(_BatchOut):
    items = fields.List(fields.Nested(WaybillItemOut))


class ShipOut(_BatchOut):
    shipped = fields.List(fields.Integer())


class PushedOut(Schema):
    pushed = fields.Integer()


class MessageOut(Schema):
    message = fields.String()


class LabelsQueryIn(Schema):
    ids = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{1,10}(,\d{1,10}){0,499}$", error="须为逗号分隔的订单编号"),
    )
