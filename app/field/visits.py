"""Store visits by reps: the plan for today, check-in by GPS, photos, reports, orders on the
dealer's behalf, check-out. A rep only ever works with their own customers (invariant 6)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from peewee import IntegrityError, fn

from app.adapters.storage import LocalStorage, checked_image
from app.core.models import Customer, Order, Product, Staff
from app.db import db, or_not_found, transaction, utcnow, within_local_days
from app.errors import InvalidState, NotFound, TooFar, ValidationFailed
from app.field import reports
from app.field.models import StockSalesLine, StockSalesReport, Visit, VisitPhoto
from app.field.rules import distance_text, haversine_m, within_radius
from app.mall import cart
from app.timeutil import local_date, local_today

# How many of a store's latest orders its page shows the rep.
RECENT_ORDERS = 5


def placed_by_rep(staff_id: int) -> str:
    """What an order placed by this rep on the dealer's behalf records as `placed_by`."""
    return f"rep:{staff_id}"


def own_customer(staff: Staff, customer_id: int) -> Customer:
    customer = Customer.get_or_none(
        (Customer.id == customer_id) & (Customer.rep == staff.id) & Customer.active
    )
    return or_not_found(customer, "客户不存在", customer_id=customer_id)


@dataclass
class RepCustomer:
    customer: Customer
    last_visit_at: dt.datetime | None
    due_on: dt.date
    due_today: bool
    overdue_days: int


def rep_customers(staff: Staff, today: dt.date | None = None) -> list[RepCustomer]:
    """The rep's customers with location, last visit and when the next one is due."""
    today = today or local_today()
    last = dict(
        Visit.select(Visit.customer, fn.MAX(Visit.checkin_at))
        .where(Visit.staff == staff.id)
        .group_by(Visit.customer)
        .tuples()
    )
    result = []
    for c in (
        Customer.select()
        .where((Customer.rep == staff.id) & Customer.active)
        .order_by(Customer.code)
    ):
        last_at = last.get(c.id)
        if isinstance(last_at, str):  # SQLite hands MAX() of a datetime back as text
            last_at = dt.datetime.fromisoformat(last_at)
        due_on = (
            today
            if last_at is None
            else local_date(last_at) + dt.timedelta(days=c.visit_every_days)
        )
        result.append(
            RepCustomer(c, last_at, due_on, due_on <= today, max((today - due_on).days, 0))
        )
    return result


def today_plan(staff: Staff, today: dt.date | None = None) -> list[RepCustomer]:
    """Customers due for a visit today (by their visit frequency), most overdue first."""
    due = [rc for rc in rep_customers(staff, today) if rc.due_today]
    return sorted(due, key=lambda rc: (-rc.overdue_days, rc.customer.code))


def check_in(
    staff: Staff,
    customer_id: int,
    lat: float,
    lng: float,
    radius_m: int,
    cart_user_id: int | None = None,
) -> Visit:
    """Check in; the rep's cart (`cart_user_id`) starts empty for the new store.

    Raises: NotFound (not the rep's customer), ValidationFailed (store has no location),
    TooFar (with the distance), InvalidState (another visit still open)."""
    customer = own_customer(staff, customer_id)
    if customer.lat is None or customer.lng is None:
        raise ValidationFailed("该客户未设置门店位置，请联系管理员", customer_id=customer_id)
    distance = haversine_m(lat, lng, float(customer.lat), float(customer.lng))
    if not within_radius(distance, radius_m):
        raise TooFar(
            f"距离门店 {distance_text(distance)}，超出签到范围 {distance_text(radius_m)}",
            distance_m=math.ceil(distance),  # never "500 m away, beyond 500 m"
            radius_m=radius_m,
        )
    try:
        with db.atomic():
            visit = Visit.create(
                staff=staff.id,
                customer=customer.id,
                open_for_staff=staff.id,
                checkin_lat=lat,
                checkin_lng=lng,
                checkin_distance_m=round(distance),
            )
            if cart_user_id is not None:
                cart.clear(cart_user_id)
            return visit
    except IntegrityError:
        open_visit = Visit.get_or_none(Visit.open_for_staff == staff.id)
        raise InvalidState(
            "还有未签退的拜访，请先签退", open_visit_id=open_visit.id if open_visit else None
        ) from None


def own_visit(staff: Staff, visit_id: int, *, must_be_open: bool = True) -> Visit:
    visit = Visit.get_or_none((Visit.id == visit_id) & (Visit.staff == staff.id))
    if visit is None:
        raise NotFound("拜访记录不存在", visit_id=visit_id)
    if must_be_open and visit.open_for_staff is None:
        raise InvalidState("该拜访已签退", visit_id=visit_id)
    return visit


def add_photo(
    staff: Staff, visit_id: int, data: bytes, storage: LocalStorage, max_bytes: int
) -> VisitPhoto:
    """Raises: ValidationFailed (empty, too large, not a JPEG/PNG/WebP image)."""
    visit = own_visit(staff, visit_id)
    extension, content_type = checked_image(data, max_bytes)
    key = storage.save(data, "visits", extension)
    with transaction():
        return VisitPhoto.create(
            visit=visit.id, storage_key=key, content_type=content_type, size=len(data)
        )


def first_products(limit: int) -> list[Product]:
    """What a stock report asks about in a store that has not ordered lately."""
    return list(Product.select().where(Product.active).order_by(Product.id).limit(limit))


def photos_of(visit_id: int) -> list[VisitPhoto]:
    return list(VisitPhoto.select().where(VisitPhoto.visit == visit_id).order_by(VisitPhoto.id))


def visit_photo(staff: Staff, visit_id: int, photo_id: int) -> VisitPhoto:
    """A shelf photo of one of this rep's visits. Raises: NotFound (also another rep's)."""
    visit = own_visit(staff, visit_id, must_be_open=False)
    photo = VisitPhoto.get_or_none((VisitPhoto.id == photo_id) & (VisitPhoto.visit == visit.id))
    return or_not_found(photo, "照片不存在", photo_id=photo_id)


def visit_orders(visit: Visit) -> list[Order]:
    """The orders the visit's rep placed for its store during it: from check-in to check-out
    (or now, while it is open), oldest first. An order records no visit, only who placed it and
    when; one rep has one open visit at a time, so the time span tells them apart."""
    query = Order.select().where(
        (Order.customer == visit.customer_id)
        & (Order.placed_by == placed_by_rep(visit.staff_id))
        & (Order.created_at >= visit.checkin_at)
    )
    if visit.checkout_at is not None:
        query = query.where(Order.created_at <= visit.checkout_at)
    return list(query.order_by(Order.created_at, Order.id))


def recent_orders(customer: Customer, limit: int = RECENT_ORDERS) -> list[Order]:
    """A store's latest orders, whoever placed them, newest first (`customer` as `own_customer`
    found it: the rep's own)."""
    return list(
        Order.select()
        .where(Order.customer == customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )


# How many of a store's latest visits its page shows the rep.
RECENT_VISITS = 5


def todays_visits(staff: Staff, today: dt.date | None = None) -> list[Visit]:
    """The rep's visits checked in today (Asia/Shanghai), with their stores, in the order made:
    what today's plan has done (a store visited leaves the plan until it is due again)."""
    query = Visit.select(Visit, Customer).join(Customer).where(Visit.staff == staff.id)
    day = today or local_today()
    return list(within_local_days(query, Visit.checkin_at, day, day).order_by(Visit.checkin_at))


def recent_visits(staff: Staff, customer: Customer, limit: int = RECENT_VISITS) -> list[Visit]:
    """This rep's latest visits to one of their stores (`customer` as `own_customer` found it),
    newest first."""
    return list(
        Visit.select()
        .where((Visit.staff == staff.id) & (Visit.customer == customer.id))
        .order_by(Visit.checkin_at.desc(), Visit.id.desc())
        .limit(limit)
    )


def open_visit(staff: Staff) -> Visit | None:
    """The visit the rep is in (checked in, not yet out), if any."""
    return Visit.get_or_none(Visit.open_for_staff == staff.id)


def visits_of_day(staff_ids: list[int], day: dt.date) -> tuple[list[Visit], dict[int, list[int]]]:
    """The day's visits of these reps (with their customers), by rep and time, and the ids of
    each visit's photos."""
    query = Visit.select(Visit, Customer).join(Customer).where(Visit.staff << staff_ids)
    found = list(
        within_local_days(query, Visit.checkin_at, day, day).order_by(Visit.staff, Visit.checkin_at)
    )
    photos: dict[int, list[int]] = {}
    for photo in VisitPhoto.select(VisitPhoto.id, VisitPhoto.visit).where(
        VisitPhoto.visit << [v.id for v in found]
    ):
        photos.setdefault(photo.visit_id, []).append(photo.id)
    return found, photos


def photo_of_reps(photo_id: int, staff_ids: set[int]) -> VisitPhoto:
    """A shelf photo taken by one of these reps. Raises: NotFound (also anyone else's)."""
    photo = VisitPhoto.get_or_none(VisitPhoto.id == photo_id)
    if photo is None or photo.visit.staff_id not in staff_ids:
        raise NotFound("照片不存在")
    return photo


def report(staff: Staff, visit_id: int, lines: list[dict]):
    """The dealer's stock and sales as the rep counted them on the shelf (feeds replenishment)."""
    visit = own_visit(staff, visit_id)
    return reports.submit_report(
        visit.customer_id,
        local_today(),
        lines,
        source="rep",
        staff_id=staff.id,
        visit_id=visit.id,
    )


def last_report(visit_id: int) -> tuple[StockSalesReport, list[StockSalesLine]] | None:
    """What was last reported in this visit, line by line (the rep's record of what was sent)."""
    report = (
        StockSalesReport.select()
        .where(StockSalesReport.visit == visit_id)
        .order_by(StockSalesReport.id.desc())
        .first()
    )
    if report is None:
        return None
    lines = (
        StockSalesLine.select(StockSalesLine, Product)
        .join(Product)
        .where(StockSalesLine.report == report.id)
        .order_by(StockSalesLine.id)
    )
    return report, list(lines)


def distance_from_store(staff: Staff, visit_id: int, lat: float, lng: float) -> float:
    """How far this point is from the visit's store, in metres (before checking out there)."""
    customer = own_visit(staff, visit_id).customer
    return haversine_m(lat, lng, float(customer.lat), float(customer.lng))


def check_out(staff: Staff, visit_id: int, lat: float, lng: float) -> Visit:
    visit = own_visit(staff, visit_id)
    now = utcnow()
    customer = visit.customer
    distance = haversine_m(lat, lng, float(customer.lat), float(customer.lng))
    with transaction():
        closed = (
            Visit.update(
                open_for_staff=None,
                checkout_at=now,
                checkout_lat=lat,
                checkout_lng=lng,
                checkout_distance_m=round(distance),
                duration_s=int((now - visit.checkin_at).total_seconds()),
            )
            .where((Visit.id == visit.id) & (Visit.open_for_staff == staff.id))
            .execute()
        )
        if not closed:
            raise InvalidState("该拜访已签退", visit_id=visit_id)
    return Visit.get_by_id(visit.id)


def visits_by_day(staff_ids: list[int], day: dt.date, radius_m: int) -> list[dict]:
    """Per rep for one business day: visits, time spent, and the visits that look wrong
    (checked out far from the store, or shorter than 3 minutes)."""
    rows = {
        sid: {"staff_id": sid, "visits": 0, "duration_s": 0, "anomalies": []} for sid in staff_ids
    }
    query = within_local_days(
        Visit.select().where(Visit.staff << staff_ids), Visit.checkin_at, day, day
    )
    for v in query.order_by(Visit.checkin_at):
        row = rows[v.staff_id]
        row["visits"] += 1
        row["duration_s"] += v.duration_s or 0
        if v.checkout_distance_m is not None and v.checkout_distance_m > radius_m:
            row["anomalies"].append(
                {"visit_id": v.id, "kind": "checkout_far", "distance_m": v.checkout_distance_m}
            )
        if v.duration_s is not None and v.duration_s < 180:
            row["anomalies"].append(
                {"visit_id": v.id, "kind": "too_short", "duration_s": v.duration_s}
            )
        if v.checkout_at is None and local_date(v.checkin_at) < local_today():
            row["anomalies"].append({"visit_id": v.id, "kind": "not_checked_out"})
    return list(rows.values())
