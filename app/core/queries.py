"""The order read model every surface shows: an order with its customer, lines (with products),
status events and shipments, loaded in a fixed number of queries whatever the page size."""

from __future__ import annotations

from peewee import prefetch

from app.core.models import (
    Customer,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
)
from app.errors import NotFound


def _lines():
    """Order lines with their products, in the order they were written."""
    return OrderLine.select(OrderLine, Product).join(Product).order_by(OrderLine.id)


def lines_by_order(order_ids: list[int]) -> dict[int, list[OrderLine]]:
    """The lines of these orders, with their products, by order id (every id is a key)."""
    found: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    for line in _lines().where(OrderLine.order << order_ids):
        found[line.order_id].append(line)
    return found


def orders_with_details(query, *, shipment_lines: bool = False) -> list[Order]:
    """Orders selected by `query`, each with lines, events, shipments and discounts; `shipment_lines` also
    loads what each shipment carried (one order's page), else shipments carry no lines (lists)."""
    found = prefetch(
        query,
        _lines(),
        OrderEvent.select().order_by(OrderEvent.id),
        Shipment.select().order_by(Shipment.id),
    )
    # Discounts: one query more, only when an order on the page has any.
    discounted = [o.id for o in found if o.discount_total]
    by_order: dict[int, list] = {}
    if discounted:
        for d in (
            OrderDiscount.select()
            .where(OrderDiscount.order << discounted)
            .order_by(OrderDiscount.id)
        ):
            by_order.setdefault(d.order_id, []).append(d)
    for order in found:
        order.discounts = by_order.get(order.id, [])
    by_shipment: dict[int, list] = {}
    shipment_ids = [s.id for o in found for s in o.shipments]
    if shipment_lines and shipment_ids:
        for sl in (
            ShipmentLine.select(ShipmentLine, OrderLine, Product)
            .join(OrderLine)
            .join(Product)
            .where(ShipmentLine.shipment << shipment_ids)
            .order_by(ShipmentLine.id)
        ):
            by_shipment.setdefault(sl.shipment_id, []).append(sl)
    for order in found:
        for shipment in order.shipments:
            shipment.line_items = by_shipment.get(shipment.id, [])
    return found


def orders_by_id(order_ids: list[int]) -> list[Order]:
    """Orders (with their customer) in the order of the ids given; unknown ids are left out."""
    query = Order.select(Order, Customer).join(Customer).where(Order.id << order_ids)
    by_id = {o.id: o for o in orders_with_details(query)}
    return [by_id[i] for i in order_ids if i in by_id]


def order_detail(order_id: int, customer_id: int | None = None) -> Order:
    """One order, whole; with `customer_id`, only if it is that customer's. Raises: NotFound."""
    query = Order.select(Order, Customer).join(Customer).where(Order.id == order_id)
    if customer_id is not None:
        query = query.where(Order.customer == customer_id)
    found = orders_with_details(query, shipment_lines=True)
    if not found:
        raise NotFound("订单不存在", order_id=order_id)
    return found[0]


def events_and_shipments(order_id: int) -> tuple[list[OrderEvent], list[Shipment]]:
    """One order's status events and shipments (without their lines), oldest first."""
    events = OrderEvent.select().where(OrderEvent.order == order_id).order_by(OrderEvent.id)
    shipments = Shipment.select().where(Shipment.order == order_id).order_by(Shipment.id)
    return list(events), list(shipments)


def shipment_detail(shipment_id: int) -> Shipment:
    shipment = Shipment.get_by_id(shipment_id)
    shipment.line_items = list(shipment.lines)
    return shipment
