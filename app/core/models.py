"""Core tables: organisation, catalogue, prices, stock, orders, shipments, receivables and their ledgers."""

from __future__ import annotations

import json

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
)

from app.db import BaseModel, CostField, MoneyField, utcnow


class Branch(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    created_at = DateTimeField(default=utcnow)


class Warehouse(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    branch = ForeignKeyField(Branch, null=True, backref="warehouses", on_delete="RESTRICT")
    address = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow)


class Staff(BaseModel):
    """An employee of HQ or a branch: console user, approver, warehouse, finance or sales rep."""

    username = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=255)
    name = CharField(max_length=100)
    role = CharField(max_length=32, index=True)
    branch = ForeignKeyField(Branch, null=True, backref="staff", on_delete="RESTRICT")
    data_scope = CharField(max_length=16, default="own")  # all | branch | own
    phone = CharField(max_length=32, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    # Bumped by disabling, re-enabling or a password change: older tokens and sessions stop working.
    token_version = IntegerField(default=0)
    # Lockout after repeated failed passwords: `failed_logins` counts the attempts claimed since
    # `failures_reset_at` (the window's start; an unlock or a successful sign-in starts afresh).
    locked_until = DateTimeField(null=True)
    failures_reset_at = DateTimeField(null=True)
    failed_logins = IntegerField(default=0)


class Category(BaseModel):
    name = CharField(max_length=100)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    sort = IntegerField(default=0)


class ProductGroup(BaseModel):
    """A style (款): products that differ only by spec values (颜色, 尺码, 口味…) are its SKUs.
    `specs` is JSON, the dimensions in order: [{"name": "颜色", "values": ["红", "蓝"]}, ...]."""

    code = CharField(max_length=64, unique=True)  # 款号
    name = CharField(max_length=200, index=True)
    category = ForeignKeyField(Category, null=True, backref="groups", on_delete="RESTRICT")
    brand = CharField(max_length=64, default="")
    specs = TextField(default="[]")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def spec_list(self) -> list[dict]:
        return json.loads(self.specs or "[]")


class Product(BaseModel):
    sku = CharField(max_length=64, unique=True)
    name = CharField(max_length=200, index=True)
    category = ForeignKeyField(Category, null=True, backref="products", on_delete="RESTRICT")
    unit = CharField(max_length=16, default="件")
    pack_size = IntegerField(default=1, constraints=[Check("pack_size >= 1")])
    min_qty = IntegerField(default=1, constraints=[Check("min_qty >= 1")])
    step = IntegerField(default=1, constraints=[Check("step >= 1")])
    list_price = MoneyField(constraints=[Check("list_price >= 0")])
    image = CharField(max_length=500, default="")
    active = BooleanField(default=True, index=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    brand = CharField(max_length=64, default="", index=True)
    # Available stock below this in a warehouse raises a low_stock alert (0: never).
    safety_stock = IntegerField(default=0, constraints=[Check("safety_stock >= 0")])
    # Named units besides the base one, JSON [{"name": "箱", "factor": 12}] (app.core.units).
    units = TextField(default="[]")
    # A SKU of a style: its spec values as canonical JSON (keys sorted), "" without a group;
    # one product per combination of a style's values.
    group = ForeignKeyField(ProductGroup, null=True, backref="products", on_delete="RESTRICT")
    spec = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("group", "spec"), True),)

    @property
    def spec_values(self) -> dict[str, str]:
        return json.loads(self.spec) if self.spec else {}


class ProductPrice(BaseModel):
    """One of the 10 wholesale price levels of a product."""

    product = ForeignKeyField(Product, backref="level_prices", on_delete="CASCADE")
    level = SmallIntegerField(constraints=[Check("level BETWEEN 1 AND 10")])
    price = MoneyField(constraints=[Check("price >= 0")])

    class Meta:
        indexes = ((("product", "level"), True),)


class Customer(BaseModel):
    """A dealer's account at HQ.

    `ar_balance` is what the customer owes (negative: prepaid funds on account); `held` is the value
    of approved, not yet shipped orders. Both change only by guarded UPDATEs with a ledger row.
    """

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=200, index=True)
    branch = ForeignKeyField(Branch, backref="customers", on_delete="RESTRICT")
    price_level = SmallIntegerField(default=1, constraints=[Check("price_level BETWEEN 1 AND 10")])
    settlement_method = CharField(max_length=16, default="credit")  # prepaid | credit | cod
    credit_limit = MoneyField(default=0, constraints=[Check("credit_limit >= 0")])
    ar_balance = MoneyField(default=0)
    held = MoneyField(default=0, constraints=[Check("held >= 0")])
    rep = ForeignKeyField(Staff, null=True, backref="customers", on_delete="SET NULL")
    warehouse = ForeignKeyField(Warehouse, backref="customers", on_delete="RESTRICT")
    contact = CharField(max_length=64, default="")
    phone = CharField(max_length=32, default="")
    address = CharField(max_length=255, default="")
    lat = DecimalField(max_digits=9, decimal_places=6, null=True)
    lng = DecimalField(max_digits=9, decimal_places=6, null=True)
    visit_every_days = SmallIntegerField(default=7, constraints=[Check("visit_every_days >= 1")])
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)


class Region:
    """省市区 of an address (`province`, `city`, `district` fields), as an address is written."""

    @property
    def region(self) -> str:
        """A municipality is named once (上海市浦东新区)."""
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}"


class CustomerAddress(Region, BaseModel):
    """A delivery address of a customer; orders keep a copy of the one they were sent to.

    `address` is the street and number; province, city and district are blank only on addresses
    written before they were asked for (the street then holds the whole address)."""

    customer = ForeignKeyField(Customer, backref="addresses", on_delete="CASCADE")
    contact = CharField(max_length=64)
    phone = CharField(max_length=32)
    province = CharField(max_length=32, default="")
    city = CharField(max_length=32, default="")
    district = CharField(max_length=32, default="")
    address = CharField(max_length=255)
    is_default = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    def place_text(self) -> str:
        return f"{self.region}{self.address}"

    def as_text(self) -> str:
        return f"{self.contact} {self.phone} {self.place_text()}"


class CustomerPrice(BaseModel):
    """A customer's price-book entry: overrides the level price for one product."""

    customer = ForeignKeyField(Customer, backref="price_book", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="customer_prices", on_delete="CASCADE")
    price = MoneyField(constraints=[Check("price >= 0")])
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "product"), True),)


class Stock(BaseModel):
    """On hand and reserved per warehouse and product; the CHECKs back up invariant 1 in the database.

    `value` is what the goods on hand cost, exactly the sum of the values of the row's movements
    (invariant 9); `unit_cost` is the moving average, value / on_hand to 4 places (the last one
    while nothing is on hand). `in_transit` is on its way here from another warehouse: never on
    hand, never available until received."""

    warehouse = ForeignKeyField(Warehouse, backref="stock", on_delete="RESTRICT")
    product = ForeignKeyField(Product, backref="stock", on_delete="RESTRICT")
    on_hand = IntegerField(default=0)
    reserved = IntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)
    in_transit = IntegerField(default=0)
    value = CostField(default=0)
    unit_cost = CostField(default=0)
    location = CharField(max_length=32, default="")  # 库位, printed on picking lists

    class Meta:
        indexes = ((("warehouse", "product"), True),)
        constraints = [
            Check("reserved >= 0"),
            Check("reserved <= on_hand"),
            Check("in_transit >= 0"),
            Check("value >= 0"),
            Check("unit_cost >= 0"),
        ]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(BaseModel):
    """Append-only stock ledger: the deltas of a stock row sum to its on_hand and reserved, and
    the values to its value (invariant 9).

    On-hand movements (`kind` in app.core.stock.ON_HAND_KINDS: receipt, shipment, return,
    transfer_out, transfer_in, count, adjustment, shop_shipment) record the cost they moved at:
    `value` exactly, `unit_cost` = value / qty to 4 places. Reservations (reserve, release) move
    no goods: on_hand_delta 0, no cost, no on_hand_after."""

    warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    kind = CharField(max_length=16)
    on_hand_delta = IntegerField(default=0)
    reserved_delta = IntegerField(default=0)
    reason = CharField(max_length=255, default="")
    ref = CharField(max_length=64, default="", index=True)
    actor = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    unit_cost = CostField(default=0)
    value = CostField(default=0)  # signed: what left (−) or came (+) at cost
    on_hand_after = IntegerField(null=True)

    class Meta:
        indexes = (
            (("warehouse", "product", "id"), False),
            (("kind", "created_at"), False),
            (("warehouse", "created_at"), False),
        )


class Promotion(BaseModel):
    """A promotion (特价, 阶梯价, 满减, 满赠/买赠): its kind's rules, its window and whom it targets
    (no branch, level or customer named: everyone). Rules and targets are JSON (app.core.promotions
    reads and checks them)."""

    name = CharField(max_length=100)
    kind = CharField(max_length=16)
    starts_at = DateTimeField()
    ends_at = DateTimeField(index=True)
    active = BooleanField(default=True)
    branch_ids = TextField(default="[]")
    price_levels = TextField(default="[]")
    customer_ids = TextField(default="[]")
    rules = TextField()
    created_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("ends_at > starts_at")]


class Order(BaseModel):
    """A sales order, from submission through review to shipping; status follows rules.TRANSITIONS."""

    number = CharField(max_length=32, unique=True)
    customer = ForeignKeyField(Customer, backref="orders", on_delete="RESTRICT")
    warehouse = ForeignKeyField(Warehouse, on_delete="RESTRICT")
    status = CharField(max_length=24, index=True)
    source = CharField(max_length=16, default="mall")  # mall | rep | admin
    placed_by = CharField(max_length=64, default="")
    total = MoneyField(default=0)  # what the customer pays: the lines' amounts less discount_total
    held_amount = MoneyField(default=0)  # part of customer.held that belongs to this order
    remark = CharField(max_length=500, default="")
    address = CharField(max_length=500, default="")
    reject_reason = CharField(max_length=500, default="")
    credit_override_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow, index=True)
    approved_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)
    discount_total = MoneyField(default=0, constraints=[Check("discount_total >= 0")])

    class Meta:
        table_name = "sales_order"
        indexes = ((("customer", "created_at"), False),)


class OrderLine(BaseModel):
    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    price = MoneyField()
    list_price = MoneyField()
    amount = MoneyField()
    shipped_qty = IntegerField(default=0)
    reserved_qty = IntegerField(default=0)
    # Asked back, approved or received in returns not rejected (invariant 7: ≤ shipped_qty).
    returned_qty = IntegerField(
        default=0, constraints=[Check("returned_qty >= 0"), Check("returned_qty <= shipped_qty")]
    )
    # What the order's promotions did to this line, as placed (a later change to a promotion never
    # changes it): the promotion that set its price (or gave it), a gift at 0.00, and its share of
    # the order's discounts (满减), which its shipments and returns are valued after.
    promotion = ForeignKeyField(Promotion, null=True, on_delete="RESTRICT")
    promotion_label = CharField(max_length=40, default="")
    base_price = MoneyField(default=0)  # the customer's own price before promotions
    gift = BooleanField(default=False)
    discount = MoneyField(default=0, constraints=[Check("discount >= 0")])
    # The unit the dealer ordered in and how many of it (`qty` is always in base units);
    # null on lines written without one: the product's base unit, `qty` of it.
    unit = CharField(max_length=16, null=True)
    unit_qty = IntegerField(null=True)

    class Meta:
        table_name = "sales_order_line"
        constraints = [Check("shipped_qty >= 0"), Check("shipped_qty <= qty")]
        # One bought line per product, and at most one gift line of it beside.
        indexes = ((("order", "product", "gift"), True),)


class OrderDiscount(BaseModel):
    """A discount an order was placed with (满减), kept as it was applied."""

    order = ForeignKeyField(Order, backref="discounts", on_delete="CASCADE")
    promotion = ForeignKeyField(Promotion, on_delete="RESTRICT")
    name = CharField(max_length=100)
    amount = MoneyField(constraints=[Check("amount > 0")])

    class Meta:
        table_name = "sales_order_discount"


class DocumentEvent(BaseModel):
    """The shape of every document's history (orders, returns, transfers …): one row per action,
    with the status it moved from and to. Each document has its own table of this shape."""

    action = CharField(max_length=24)
    from_status = CharField(max_length=24, null=True)
    to_status = CharField(max_length=24)
    actor = CharField(max_length=64, default="")
    note = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)


class OrderEvent(DocumentEvent):
    """One row per status change (invariant 4): the order's history, as the dealer sees it."""

    order = ForeignKeyField(Order, backref="events", on_delete="CASCADE")


class Shipment(BaseModel):
    order = ForeignKeyField(Order, backref="shipments", on_delete="RESTRICT")
    number = CharField(max_length=32, unique=True)
    carrier = CharField(max_length=64)
    tracking_no = CharField(max_length=64)
    amount = MoneyField()
    shipped_by = CharField(max_length=64, default="")
    shipped_at = DateTimeField(default=utcnow, index=True)
    cost = CostField(default=0)  # cost of goods: what the shipment's stock movements took


class ShipmentLine(BaseModel):
    shipment = ForeignKeyField(Shipment, backref="lines", on_delete="CASCADE")
    order_line = ForeignKeyField(OrderLine, backref="shipment_lines", on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    amount = MoneyField()
    cost = CostField(default=0)


class HoldMovement(BaseModel):
    """Append-only ledger of customer.held: holds at approval, releases at shipping or cancel."""

    customer = ForeignKeyField(Customer, on_delete="RESTRICT")
    order = ForeignKeyField(Order, on_delete="RESTRICT")
    kind = CharField(max_length=16)  # hold | release | ship
    amount = MoneyField()  # signed
    override_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)


class AccountEntry(BaseModel):
    """Append-only customer account ledger: sums to customer.ar_balance; the dealer's statement."""

    customer = ForeignKeyField(Customer, backref="account_entries", on_delete="RESTRICT")
    kind = CharField(
        max_length=16
    )  # shipment | receipt | return | refund | refund_void | receipt_void
    amount = MoneyField()  # + the customer owes more, − the customer paid
    ref = CharField(max_length=64, default="")
    note = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "created_at"), False),)


class Receivable(BaseModel):
    """What one shipment put on the customer's account; `open_amount` falls as receipts are applied."""

    customer = ForeignKeyField(Customer, backref="receivables", on_delete="RESTRICT")
    order = ForeignKeyField(Order, on_delete="RESTRICT")
    shipment = ForeignKeyField(Shipment, on_delete="RESTRICT")
    amount = MoneyField(constraints=[Check("amount > 0")])
    open_amount = MoneyField()
    posted_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "open_amount"), False),)
        constraints = [Check("open_amount >= 0"), Check("open_amount <= amount")]


class Receipt(BaseModel):
    """Money received from a customer; `unapplied` is what no receivable has taken yet (prepayment).

    A receipt with an `order` is a payment for that order (WeChat Pay): it pays that order's
    receivables, and what it holds unapplied waits for that order's shipments while the order can
    still ship (credit.oldest_open). Refunds take money back out of it (receivables.reverse_receipt),
    so `unapplied` plus its allocations is `amount` less what was refunded; a voided receipt
    holds nothing. `received_at` is when the money arrived: now, or the close of the day finance
    dated it (a cheque or a transfer that came in earlier)."""

    customer = ForeignKeyField(Customer, backref="receipts", on_delete="RESTRICT")
    number = CharField(max_length=32, unique=True)
    amount = MoneyField(constraints=[Check("amount > 0")])
    unapplied = MoneyField()
    method = CharField(max_length=32)
    reference = CharField(max_length=128, default="")
    recorded_by = CharField(max_length=64, default="")
    received_at = DateTimeField(default=utcnow, index=True)
    order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    # 作废: a receipt recorded by mistake is never deleted; it is marked (who, when, why) and
    # its money taken back (receivables.void_receipt).
    voided_at = DateTimeField(null=True)
    voided_by = CharField(max_length=64, default="")
    void_reason = CharField(max_length=255, default="")

    class Meta:
        constraints = [Check("unapplied >= 0"), Check("unapplied <= amount")]


class ReceiptAllocation(BaseModel):
    receipt = ForeignKeyField(Receipt, backref="allocations", on_delete="RESTRICT")
    receivable = ForeignKeyField(Receivable, backref="allocations", on_delete="RESTRICT")
    amount = MoneyField(constraints=[Check("amount > 0")])
    created_at = DateTimeField(default=utcnow)


class ReturnRequest(BaseModel):
    """A dealer asking to send shipped goods back (退货): reviewed, then received by the warehouse."""

    number = CharField(max_length=32, unique=True)
    order = ForeignKeyField(Order, backref="returns", on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="returns", on_delete="RESTRICT")
    status = CharField(
        max_length=24, index=True
    )  # pending | approved | partially_received | received | rejected
    reason = CharField(max_length=500)
    reject_reason = CharField(max_length=500, default="")
    amount = MoneyField()  # the value asked back, at the order's prices
    received_amount = MoneyField(default=0)  # credited so far
    requested_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)


class ReturnLine(BaseModel):
    request = ForeignKeyField(ReturnRequest, backref="lines", on_delete="CASCADE")
    order_line = ForeignKeyField(OrderLine, on_delete="RESTRICT")
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    qty = IntegerField(constraints=[Check("qty > 0")])
    received_qty = IntegerField(default=0)
    price = MoneyField()
    amount = MoneyField()

    class Meta:
        constraints = [Check("received_qty >= 0"), Check("received_qty <= qty")]


class ReturnEvent(DocumentEvent):
    request = ForeignKeyField(ReturnRequest, backref="events", on_delete="CASCADE")


class StoredPhoto(BaseModel):
    """A photo someone took (of a return, at a visit) kept in the file store under `storage_key`;
    a model of no table of its own."""

    storage_key = CharField(max_length=255)
    content_type = CharField(max_length=32)
    size = IntegerField()
    created_at = DateTimeField(default=utcnow)


class ReturnPhoto(StoredPhoto):
    request = ForeignKeyField(ReturnRequest, backref="photos", on_delete="CASCADE")


class Target(BaseModel):
    """A monthly sales target (考核) for a branch or a rep."""

    period = CharField(max_length=7)  # YYYY-MM
    branch = ForeignKeyField(Branch, null=True, on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
    amount = MoneyField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("period", "branch", "staff"), True),)


class ProductImage(BaseModel):
    """A picture of a product (and its thumbnail) in the file store; the lowest `position` is
    the product's first picture, whose URL is Product.image."""

    product = ForeignKeyField(Product, backref="+", on_delete="CASCADE")
    storage_key = CharField(max_length=255)
    thumb_key = CharField(max_length=255)
    content_type = CharField(max_length=32)
    size = IntegerField()
    width = IntegerField()
    height = IntegerField()
    position = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("product", "position"), False),)


MODELS = [
    Branch,
    Warehouse,
    Staff,
    Category,
    ProductGroup,
    Product,
    ProductPrice,
    Customer,
    CustomerAddress,
    CustomerPrice,
    Stock,
    StockMovement,
    Promotion,
    Order,
    OrderLine,
    OrderDiscount,
    OrderEvent,
    Shipment,
    ShipmentLine,
    HoldMovement,
    AccountEntry,
    Receivable,
    Receipt,
    ReceiptAllocation,
    ReturnRequest,
    ReturnLine,
    ReturnEvent,
    ReturnPhoto,
    Target,
    ProductImage,
]
