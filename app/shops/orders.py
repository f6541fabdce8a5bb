"""Shop orders (网店订单) after download: placing them on the shared stock (reserve, or
`exception` when a SKU is unmapped or short), merging orders going to the same door, splitting
what is there from what is not, cancelling before shipping, electronic waybills and shipping
with the tracking number written back through the outbox.

Every reservation goes through the one stock engine (app/core/stock.py) with the order's number
as its reference, so dealers and shops draw on one `available` (invariant 1).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from app import outbox
from app.adapters.waybills import Party, WaybillClient, WaybillError
from app.auth.scopes import actor, require
from app.core import stock
from app.core.models import Product, Staff
from app.db import db, or_not_found, transaction, utcnow
from app.errors import InsufficientStock, InvalidState, NotFound, ValidationFailed
from app.events import ShopOrderChanged, emit
from app.money import money
from app.numbering import create_numbered
from app.shops import settings
from app.shops.models import PlatformOrder, Shop, ShopOrder, ShopOrderLine, WriteBack
from app.shops.rules import CARRIERS, OPEN, STATUS_LABELS, split_lines
from app.shops.shops import seen_by

SHOP_ACTOR = "shop-sync"
# What an order split off keeps of the one it came from: the buyer, where it goes, when it was paid.
_KEPT_BY_A_SPLIT = (
    "buyer",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "merge_key",
    "paid_at",
)


# --- placing on the shared stock --------------------------------------------------------------


def _lines(order_id: int) -> list[ShopOrderLine]:
    return list(
        ShopOrderLine.select().where(ShopOrderLine.order == order_id).order_by(ShopOrderLine.id)
    )


def _needs(lines) -> list[tuple[int, int]]:
    return [(ln.product_id, ln.base_qty) for ln in lines]


def place(order: ShopOrder, warehouse_id: int) -> ShopOrder:
    """Reserve the order's lines, all or nothing: `pending` when they are covered, `exception`
    (saying which SKU is unmapped or which product is short) when not. Runs in the caller's
    transaction; a shortage rolls back only the attempt."""
    lines = _lines(order.id)
    unmapped = sorted({ln.platform_sku for ln in lines if ln.product_id is None})
    status, reason, reserved = "pending", "", False
    if unmapped:
        status, reason = (
            "exception",
            f"未对应商品：平台 SKU {'、'.join(unmapped)}（请在 SKU 对应中设置）",
        )
    else:
        try:
            with db.atomic():  # a savepoint: a shortage leaves the rest of the download alone
                stock.reserve(warehouse_id, _needs(lines), order.number, SHOP_ACTOR)
            reserved = True
        except InsufficientStock as exc:
            status, reason = "exception", f"缺货：{exc.message.removeprefix('库存不足：')}"
    ShopOrder.update(status=status, exception=reason, reserved=reserved, updated_at=utcnow()).where(
        ShopOrder.id == order.id
    ).execute()
    order.status, order.exception, order.reserved = status, reason, reserved
    return order


def _release(order: ShopOrder, warehouse_id: int) -> None:
    if order.reserved:
        stock.release(warehouse_id, _needs(_lines(order.id)), order.number, SHOP_ACTOR)
        ShopOrder.update(reserved=False).where(ShopOrder.id == order.id).execute()
        order.reserved = False


def _recount(order: ShopOrder) -> None:
    total = sum((ln.price * ln.qty for ln in _lines(order.id)), Decimal("0"))
    order.total = money(total)
    ShopOrder.update(total=order.total).where(ShopOrder.id == order.id).execute()


def place_waiting(shop_id: int) -> int:
    """Try again every `exception` order of a shop (stock arrived, a SKU got mapped): oldest
    first, so what was paid first ships first. Returns how many are now pending."""
    shop = Shop.get_by_id(shop_id)
    placed = 0
    with transaction():
        waiting = (
            ShopOrder.select()
            .where((ShopOrder.shop == shop_id) & (ShopOrder.status == "exception"))
            .order_by(ShopOrder.paid_at, ShopOrder.id)
        )
        for order in waiting:
            _map_lines(shop_id, order.id)
            if place(order, shop.warehouse_id).status == "pending":
                placed += 1
    return placed


def _map_lines(shop_id: int, order_id: int) -> None:
    """Lines downloaded before their SKU was mapped take the mapping now."""
    from app.shops.download import mapping_of

    for line in ShopOrderLine.select().where(
        (ShopOrderLine.order == order_id) & ShopOrderLine.product.is_null()
    ):
        found = mapping_of(shop_id, line.platform_sku)
        if found is not None:
            ShopOrderLine.update(product=found.product_id, base_qty=line.qty * found.qty).where(
                ShopOrderLine.id == line.id
            ).execute()


# --- reading in scope -------------------------------------------------------------------------


def orders_query(staff: Staff):
    require(staff, "shop_orders.view")
    return seen_by(staff, ShopOrder.select(ShopOrder, Shop).join(Shop))


def order_in_scope(staff: Staff, order_id: int) -> ShopOrder:
    found = orders_query(staff).where(ShopOrder.id == order_id).first()
    return or_not_found(found, "网店订单不存在", shop_order_id=order_id)


def _locked(
    staff: Staff,
    order_id: int,
    statuses: tuple[str, ...],
    doing: str,
    why: dict[str, str] | None = None,
) -> ShopOrder:
    """The order in scope, its row taken by a guarded UPDATE on its status (writers queue).
    `why`: by status, what to say instead of "<status>，不能<doing>" of an order in it."""
    order_in_scope(staff, order_id)
    taken = (
        ShopOrder.update(updated_at=utcnow())
        .where((ShopOrder.id == order_id) & (ShopOrder.status << list(statuses)))
        .execute()
    )
    if not taken:
        current = ShopOrder.get_by_id(order_id)
        label = STATUS_LABELS.get(current.status, current.status)
        reason = (why or {}).get(current.status) or f"{label}，不能{doing}"
        raise InvalidState(f"订单 {current.number} {reason}", status=current.status)
    return ShopOrder.get_by_id(order_id)


# --- merge ------------------------------------------------------------------------------------


def merge_into(target: ShopOrder, others: list[ShopOrder], warehouse_id: int) -> ShopOrder:
    """Fold `others` into `target` (same shop and door): their lines move, they become `merged`
    (with no lines, their total 0.00: what they held is counted once, on `target`), and the
    merged order is placed again as one. Runs in the caller's transaction."""
    for order in [target, *others]:
        _release(order, warehouse_id)
    ids = [o.id for o in others]
    ShopOrderLine.update(order=target.id).where(ShopOrderLine.order << ids).execute()
    ShopOrder.update(
        status="merged", merged_into=target.id, exception="", total=0, updated_at=utcnow()
    ).where(ShopOrder.id << ids).execute()
    paid = [o.paid_at for o in [target, *others] if o.paid_at]
    if paid:
        target.paid_at = min(paid)
        ShopOrder.update(paid_at=target.paid_at).where(ShopOrder.id == target.id).execute()
    _recount(target)
    return place(target, warehouse_id)


def merge(staff: Staff, order_ids: list[int]) -> ShopOrder:
    """Merge orders of the same shop, buyer and receiver that have no waybill yet into the
    oldest. Raises: InvalidState (different doors, shops, or not open), NotFound."""
    require(staff, "shops.work")
    ids = sorted(set(order_ids))
    if len(ids) < 2:
        raise ValidationFailed("请至少选择两个订单合并", ids=["至少两个"])
    with transaction():
        orders = [_locked(staff, i, ("pending", "exception"), "合并") for i in ids]
        first = orders[0]
        if any(o.shop_id != first.shop_id or o.merge_key != first.merge_key for o in orders):
            raise InvalidState("只能合并同一店铺、同一买家、同一收件人的订单")
        shop = Shop.get_by_id(first.shop_id)
        return merge_into(first, orders[1:], shop.warehouse_id)


# --- split ------------------------------------------------------------------------------------


def split(staff: Staff, order_id: int, moving: list[dict]) -> tuple[ShopOrder, ShopOrder]:
    """Move some lines (or part of them) to a new order, then place the kept order first and
    the new one after it: what is there ships first. Raises: InvalidState, ValidationFailed."""
    require(staff, "shops.work")
    wanted: dict[int, int] = defaultdict(int)
    for item in moving:
        wanted[item["line_id"]] += item["qty"]
    with transaction():
        order = _locked(staff, order_id, ("pending", "exception"), "拆分")
        shop = Shop.get_by_id(order.shop_id)
        lines = {ln.id: ln for ln in _lines(order.id)}
        try:
            kept, moved = split_lines({i: ln.qty for i, ln in lines.items()}, dict(wanted))
        except ValueError:
            raise ValidationFailed(
                "拆分数量无效：每行不能超过原数量，且拆分后两个订单都要有商品", lines=["数量无效"]
            ) from None
        _release(order, shop.warehouse_id)
        new = create_numbered(
            ShopOrder,
            "WD",
            "created_at",
            shop=order.shop_id,
            status="pending",
            **{name: getattr(order, name) for name in _KEPT_BY_A_SPLIT},
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        for line_id, line in lines.items():
            take = moved.get(line_id, 0)
            if not take:
                continue
            per_unit = line.base_qty // line.qty if line.qty else 0
            ShopOrderLine.create(
                order=new.id,
                platform_order=line.platform_order_id,
                platform_sku=line.platform_sku,
                product=line.product_id,
                qty=take,
                base_qty=take * per_unit,
                price=line.price,
            )
            if kept.get(line_id):
                ShopOrderLine.update(qty=kept[line_id], base_qty=kept[line_id] * per_unit).where(
                    ShopOrderLine.id == line_id
                ).execute()
            else:
                ShopOrderLine.delete().where(ShopOrderLine.id == line_id).execute()
        _recount(order)
        _recount(new)
        place(order, shop.warehouse_id)
        place(new, shop.warehouse_id)
        return ShopOrder.get_by_id(order.id), ShopOrder.get_by_id(new.id)


# --- cancellation from the platform -----------------------------------------------------------


def cancel_platform_order(platform_order: PlatformOrder, warehouse_id: int) -> None:
    """The buyer was refunded before shipping: the platform order's lines leave every open
    order holding them, and their stock is released; an order left with nothing is cancelled.
    Runs in the download's transaction."""
    holders = (
        ShopOrder.select()
        .join(ShopOrderLine, on=ShopOrderLine.order == ShopOrder.id)
        .where(
            (ShopOrderLine.platform_order == platform_order.id) & (ShopOrder.status << list(OPEN))
        )
        .distinct()
    )
    for order in holders:
        _release(order, warehouse_id)
        others = ShopOrderLine.select().where(
            (ShopOrderLine.order == order.id) & (ShopOrderLine.platform_order != platform_order.id)
        )
        if not others.exists():
            ShopOrder.update(status="cancelled", exception="", updated_at=utcnow()).where(
                ShopOrder.id == order.id
            ).execute()
            continue
        ShopOrderLine.delete().where(
            (ShopOrderLine.order == order.id) & (ShopOrderLine.platform_order == platform_order.id)
        ).execute()
        _recount(order)
        place(order, warehouse_id)


# --- waybills ---------------------------------------------------------------------------------


def _waybill_client() -> WaybillClient:
    current = settings.current()
    return WaybillClient(
        current.waybill_business_id, current.waybill_app_key, current.waybill_base_url
    )


def _goods(order: ShopOrder) -> tuple[str, int]:
    """The waybill's goods: our products' names and how many of our units (what is packed)."""
    lines = _lines(order.id)
    names = {
        p.id: p.name
        for p in Product.select(Product.id, Product.name).where(
            Product.id << [ln.product_id for ln in lines if ln.product_id]
        )
    }
    text = "、".join(names.get(ln.product_id, ln.platform_sku) for ln in lines)
    return text or "商品", sum(ln.base_qty for ln in lines)


def waybills(staff: Staff, order_ids: list[int], carrier: str) -> dict:
    """An electronic waybill for each order from the waybill service; an order that already
    has one keeps its number. Each order succeeds or fails on its own, in words."""
    require(staff, "shops.work")
    if carrier not in CARRIERS:
        raise ValidationFailed("快递公司无效", carrier=[f"须为 {', '.join(CARRIERS)} 之一"])
    service = _waybill_client()
    current = settings.current()
    done, failed = [], []
    for order_id in dict.fromkeys(order_ids):
        try:
            order = order_in_scope(staff, order_id)
            if order.tracking_no:
                done.append({"id": order.id, "tracking_no": order.tracking_no})
                continue
            if order.status != "pending":
                label = STATUS_LABELS.get(order.status, order.status)
                raise InvalidState(f"订单 {order.number} {label}，不能取单号")
            shop = Shop.get_by_id(order.shop_id)
            warehouse = shop.warehouse
            goods, qty = _goods(order)
            number = service.issue(
                order.number,
                carrier,
                Party(
                    current.sender_name,
                    current.sender_phone,
                    "",
                    "",
                    "",
                    warehouse.address or warehouse.name,
                ),
                Party(
                    order.receiver_name,
                    order.receiver_phone,
                    order.province,
                    order.city,
                    order.district,
                    order.address,
                ),
                goods,
                qty,
            )
            with transaction():
                ShopOrder.update(
                    carrier=carrier, tracking_no=number, status="waybilled", updated_at=utcnow()
                ).where((ShopOrder.id == order.id) & (ShopOrder.status == "pending")).execute()
            done.append({"id": order.id, "tracking_no": number})
        except WaybillError as exc:
            failed.append({"id": order_id, "error": exc.message})
        except (InvalidState, NotFound) as exc:
            failed.append({"id": order_id, "error": exc.message})
    return {"items": done, "failed": failed}


# --- shipping ---------------------------------------------------------------------------------


def ship_one(staff: Staff, order_id: int) -> ShopOrder:
    """Stock leaves the shop's warehouse (reserved → shipped), the order is `shipped` at once,
    and each platform order in it gets a write-back in the outbox (retried until the platform
    takes the carrier and tracking number). Raises: InvalidState, NotFound."""
    with transaction():
        order = _locked(
            staff, order_id, ("waybilled",), "发货", {"pending": "还没有单号，请先取单号"}
        )
        if not order.reserved:
            raise InvalidState(f"订单 {order.number} 没有占用库存，不能发货")
        shop = Shop.get_by_id(order.shop_id)
        lines = _lines(order.id)
        stock.ship(
            shop.warehouse_id, _needs(lines), order.number, actor(staff), kind="shop_shipment"
        )
        now = utcnow()
        ShopOrder.update(
            status="shipped", reserved=False, shipped_at=now, written_back="pending", updated_at=now
        ).where(ShopOrder.id == order.id).execute()
        for platform_order_id in dict.fromkeys(ln.platform_order_id for ln in lines):
            row = WriteBack.create(
                shop_order=order.id,
                platform_order=platform_order_id,
                carrier=order.carrier,
                tracking_no=order.tracking_no,
                created_at=now,
                next_attempt_at=now,
            )
            from app.shops.stock_sync import WRITE_BACKS

            outbox.written(WRITE_BACKS, row.id)
        emit(ShopOrderChanged(order.id, "shipped"))
        return ShopOrder.get_by_id(order.id)


def ship(staff: Staff, order_ids: list[int]) -> dict:
    """Ship each order on its own: `shipped` ids and `failed` ones with the reason in words."""
    require(staff, "shops.work")
    shipped, failed = [], []
    for order_id in dict.fromkeys(order_ids):
        try:
            ship_one(staff, order_id)
            shipped.append(order_id)
        except (InvalidState, NotFound, InsufficientStock) as exc:
            failed.append({"id": order_id, "error": exc.message})
    return {"shipped": shipped, "failed": failed}
