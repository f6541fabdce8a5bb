"""Plain factory functions that build real rows through the services (CTFd's gen_* style)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from app.auth.services import create_staff
from app.core import catalog, organisation, stock, styles
from app.core.models import Order
from app.core.orders import LineRequest, approve_order, create_order, ship_order

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def make_branch(name: str = "华东分公司"):
    return organisation.create_branch(f"B{n()}", name)


def make_warehouse(branch=None):
    return organisation.create_warehouse(f"W{n()}", "上海仓", branch.id if branch else None)


def make_product(list_price="100.00", prices=None, min_qty=1, step=1, **fields):
    i = n()
    return catalog.create_product(
        sku=fields.pop("sku", f"SKU-{i}"),
        name=fields.pop("name", f"测试商品{i}"),
        unit="箱",
        pack_size=12,
        min_qty=min_qty,
        step=step,
        list_price=Decimal(list_price),
        prices={k: Decimal(v) for k, v in (prices or {}).items()},
        **fields,
    )


def make_style(name: str, specs: list[dict], skus: dict, *, warehouse=None, category_id=None):
    """A style and its SKUs: `skus` maps a tuple of values (in the order of `specs`) to
    (sku, list price, stock in `warehouse`). Returns (group, {values: product})."""
    group = styles.create_group(name=name, specs=specs, category_id=category_id)
    names = [d["name"] for d in specs]
    made = {}
    for values, (sku, price, qty) in skus.items():
        made[values] = catalog.create_product(
            sku=sku,
            name=f"{name} {' '.join(values)}",
            list_price=Decimal(price),
            category_id=category_id,
            group_id=group.id,
            spec=dict(zip(names, values, strict=True)),
        )
        if warehouse is not None and qty:
            put_stock(warehouse, made[values], qty)
    return group, made


def make_cased_water(warehouse, *, name: str = "矿泉水", step: int = 1, on_hand: int = 1000):
    """Water at ¥2.00 a bottle (件) at every level, also sold by the case (箱 = 12 件), at least
    24 bottles a line; `on_hand` bottles in `warehouse`."""
    product = catalog.create_product(
        sku="WTR-12",
        name=name,
        unit="件",
        min_qty=24,
        step=step,
        list_price=Decimal("2.00"),
        units=[{"name": "箱", "factor": 12}],
    )
    put_stock(warehouse, product, on_hand)
    return product


def make_customer(branch, warehouse, *, method="credit", limit="10000.00", level=1, **fields):
    i = n()
    return organisation.create_customer(
        code=fields.pop("code", f"C{i:04d}"),
        name=fields.pop("name", f"测试经销商{i}"),
        branch_id=branch.id,
        warehouse_id=warehouse.id,
        price_level=level,
        settlement_method=method,
        credit_limit=Decimal(limit),
        **fields,
    )


# Where a rep's store stands unless a test says otherwise (静安, Shanghai), as a phone's
# geolocation gives it.
STORE_AT = {"latitude": 31.2304, "longitude": 121.4737}


def make_store(branch, warehouse, rep, name: str, at=STORE_AT, **fields):
    """A customer of `rep`'s, a store standing at `at` (latitude and longitude)."""
    lat, lng = (Decimal(str(at[k])) for k in ("latitude", "longitude"))
    return make_customer(branch, warehouse, rep_id=rep.id, lat=lat, lng=lng, name=name, **fields)


def make_staff(role="customer_service", branch=None, **kwargs):
    return create_staff(
        kwargs.pop("username", f"user{n()}"),
        kwargs.pop("password", "correct-horse-1"),
        role,
        branch_id=branch.id if branch else None,
        **kwargs,
    )


def put_stock(warehouse, product, qty: int):
    return stock.adjust(warehouse.id, product.id, qty, "入库", actor="test")


def approve_and_ship(order, carrier: str, tracking_no: str, actor: str):
    """`order` approved by `actor`, then shipped whole (every unit of every line)."""
    approve_order(order.id, actor)
    lines = [(line.id, line.qty) for line in Order.get_by_id(order.id).lines]
    ship_order(order.id, lines, carrier, tracking_no, actor)
    return order


def place(customer, *lines, **kwargs):
    """An order awaiting review: lines as (product, qty)."""
    return create_order(customer.id, [LineRequest(p.id, q) for p, q in lines], **kwargs)
