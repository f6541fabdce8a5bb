"""Reps on visits (GPS check-in at the boundary, photos, reports, orders), replenishment from
reported data, and scoping: a rep works only with their own customers."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from app.core.models import Order
from app.field import replenishment, visits
from app.field.models import StockSalesReport, Visit
from app.field.rules import EARTH_RADIUS_M
from app.mall import accounts
from app.timeutil import local_today
from devkit.factories import make_customer, make_staff, place
from devkit.testing.clients import ADMIN, MP, bearer, bind_dealer, login, png_bytes, staff_headers

LAT, LNG = 31.2000, 121.5000
METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * 3.141592653589793 / 180


def other_reps_visit(field) -> Visit:
    """A visit another rep has open at a store that is not the signed-in rep's."""
    return Visit.create(
        staff=field.other_rep.id,
        customer=field.not_mine.id,
        open_for_staff=field.other_rep.id,
        checkin_lat=LAT,
        checkin_lng=LNG,
        checkin_distance_m=0,
    )


def north_of_store(metres: float) -> dict:
    return {"lat": LAT + metres / METRES_PER_DEGREE_LAT, "lng": LNG}


class Field:
    def __init__(self, client, shop):
        self.client = client
        self.shop = shop
        self.rep = make_staff("rep", shop.branch, username="rep-a", name="业务员甲")
        self.other_rep = make_staff("rep", shop.branch, username="rep-b")
        # Two stores at the same spot: one on this rep's round, one on the other rep's.
        here = {"lat": Decimal(LAT), "lng": Decimal(LNG)}
        self.store = make_customer(shop.branch, shop.warehouse, rep_id=self.rep.id, level=3, **here)
        self.not_mine = make_customer(shop.branch, shop.warehouse, rep_id=self.other_rep.id, **here)
        token = login(client, "rep-a-phone")["token"]
        invite = accounts.create_invitation("rep", staff_id=self.rep.id)
        r = client.post(f"{MP}/auth/bind", json={"invite_code": invite.code}, headers=bearer(token))
        self.headers = bearer(r.get_json()["token"])

    def check_in(self, customer=None, metres=10.0):
        body = {"customer_id": (customer or self.store).id, **north_of_store(metres)}
        return self.client.post(f"{MP}/rep/visits", json=body, headers=self.headers)


@pytest.fixture
def field(client, shop):
    return Field(client, shop)


def test_check_in_at_the_radius_boundary(field, client):
    just_outside = field.check_in(metres=500.5)
    assert just_outside.status_code == 422
    error = just_outside.get_json()["error"]
    assert error["code"] == "too_far"
    assert error["details"] == {"distance_m": 500, "radius_m": 500} or error["details"][
        "distance_m"
    ] in (500, 501)
    just_inside = field.check_in(metres=499.5)
    assert just_inside.status_code == 201, just_inside.get_json()
    assert just_inside.get_json()["checkin_distance_m"] in (499, 500)


def test_one_open_visit_per_rep(field, client, shop):
    first = field.check_in().get_json()
    second_store = make_customer(
        shop.branch, shop.warehouse, rep_id=field.rep.id, lat=Decimal(LAT), lng=Decimal(LNG)
    )
    again = field.check_in(second_store)
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["open_visit_id"] == first["id"]
    out = client.post(
        f"{MP}/rep/visits/{first['id']}/checkout", json=north_of_store(30), headers=field.headers
    )
    assert out.status_code == 200 and out.get_json()["open"] is False
    assert out.get_json()["duration_s"] >= 0
    assert field.check_in(second_store).status_code == 201


def test_a_visit_records_photos_a_report_and_an_order(
    field, client, shop, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    visit = field.check_in().get_json()
    photo = client.post(
        f"{MP}/rep/visits/{visit['id']}/photos",
        data={"file": (io.BytesIO(png_bytes()), "shelf.png")},
        headers=field.headers,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201 and photo.get_json()["content_type"] == "image/png"
    assert len(list(tmp_path.rglob("*.png"))) == 1
    fake = client.post(
        f"{MP}/rep/visits/{visit['id']}/photos",
        data={"file": (io.BytesIO(b"MZ not an image"), "shelf.png")},
        headers=field.headers,
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    app.config["PHOTO_MAX_BYTES"] = 32
    big = client.post(
        f"{MP}/rep/visits/{visit['id']}/photos",
        data={"file": (io.BytesIO(png_bytes()), "big.png")},
        headers=field.headers,
        content_type="multipart/form-data",
    )
    app.config["PHOTO_MAX_BYTES"] = 5 * 1024 * 1024
    assert big.status_code == 422
    report = client.post(
        f"{MP}/rep/visits/{visit['id']}/report",
        json={"lines": [{"product_id": shop.tea.id, "stock_qty": 8, "sales_qty": 20}]},
        headers=field.headers,
    )
    assert report.status_code == 201
    saved = StockSalesReport.get_by_id(report.get_json()["id"])
    assert (saved.source, saved.visit_id, saved.customer_id) == ("rep", visit["id"], field.store.id)
    order = client.post(
        f"{MP}/rep/visits/{visit['id']}/orders",
        json={"lines": [{"product_id": shop.tea.id, "qty": 12}]},
        headers={**field.headers, "Idempotency-Key": "visit-order-1"},
    )
    assert order.status_code == 201, order.get_json()
    placed = Order.get_by_id(order.get_json()["id"])
    assert (placed.customer_id, placed.source, placed.placed_by) == (
        field.store.id,
        "rep",
        f"rep:{field.rep.id}",
    )
    assert order.get_json()["lines"][0]["price"] == "45.00"  # the dealer's level price


def test_a_rep_cannot_visit_or_report_for_another_reps_customer(field, client, shop):
    assert field.check_in(field.not_mine).status_code == 404
    other_visit = other_reps_visit(field)
    for path, body in [
        ("report", {"lines": [{"product_id": shop.tea.id, "stock_qty": 1, "sales_qty": 1}]}),
        ("orders", {"lines": [{"product_id": shop.tea.id, "qty": 10}]}),
        ("checkout", north_of_store(0)),
    ]:
        r = client.post(
            f"{MP}/rep/visits/{other_visit.id}/{path}", json=body, headers=field.headers
        )
        assert r.status_code == 404, path
    r = client.get(f"{MP}/rep/customers/{field.not_mine.id}/suggestions", headers=field.headers)
    assert r.status_code == 404
    mine = [
        c["id"]
        for c in client.get(f"{MP}/rep/customers", headers=field.headers).get_json()["items"]
    ]
    assert mine == [field.store.id]


def test_dealers_cannot_use_rep_endpoints(client, shop, field):
    dealer = bind_dealer(client, shop.customer, "dealer-x")
    assert client.get(f"{MP}/rep/customers", headers=dealer).status_code == 403


def test_todays_plan_follows_the_visit_frequency(field, client, shop):
    weekly = make_customer(
        shop.branch,
        shop.warehouse,
        rep_id=field.rep.id,
        lat=Decimal(LAT),
        lng=Decimal(LNG),
        visit_every_days=7,
    )
    visit = Visit.create(
        staff=field.rep.id,
        customer=weekly.id,
        checkin_lat=LAT,
        checkin_lng=LNG,
        checkin_distance_m=0,
        checkin_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=2),
    )
    plan = client.get(f"{MP}/rep/plan", headers=field.headers).get_json()["items"]
    assert [c["id"] for c in plan] == [
        field.store.id
    ]  # never visited: due; weekly: visited 2 days ago
    Visit.update(checkin_at=visit.checkin_at - dt.timedelta(days=10)).where(
        Visit.id == visit.id
    ).execute()
    plan = client.get(f"{MP}/rep/plan", headers=field.headers).get_json()["items"]
    assert [(c["id"], c["overdue_days"]) for c in plan] == [(weekly.id, 5), (field.store.id, 0)]


def _report(customer, days_ago, lines, source="dealer"):
    from app.field import reports

    return reports.submit_report(
        customer.id,
        local_today() - dt.timedelta(days=days_ago),
        [{"product_id": p.id, "stock_qty": s, "sales_qty": q} for p, s, q in lines],
        source=source,
    )


def test_each_replenishment_method_through_the_api(client, shop, dealer):
    from app.core import catalog

    catalog.update_product(shop.tea.id, step=6)
    # Reports in the last 30 days: 40 then 50 sold; 20 on the shelf at the last count.
    _report(shop.customer, 20, [(shop.tea, 30, 40)])
    _report(shop.customer, 2, [(shop.tea, 20, 50)], source="rep")
    _report(shop.customer, 40, [(shop.tea, 99, 999)])  # outside the window: only stock history
    expected = {"sell_one": 54, "stock_gap": 24, "turnover": 36}
    # sell_one: 50 sold since last → 54 (×6). stock_gap: 90/30 = 3/day × 14 = 42 − 20 = 22 → 24.
    # turnover: 3/day × (14 + 3) = 51 − 20 = 31 → 36.
    for method, qty in expected.items():
        replenishment.save_settings(
            shop.customer.id, method=method, window_days=30, turnover_days=14, lead_days=3
        )
        body = client.get(f"{MP}/replenishment", headers=dealer).get_json()
        assert body["method"] == method
        assert [(i["product_id"], i["qty"]) for i in body["items"]] == [(shop.tea.id, qty)], method
    cart = client.post(f"{MP}/replenishment/to-cart", headers=dealer).get_json()
    assert [(i["product_id"], i["qty"]) for i in cart["items"]] == [(shop.tea.id, 36)]


def test_global_settings_apply_unless_the_customer_has_their_own(client, shop, dealer):
    _report(shop.customer, 1, [(shop.tea, 0, 7)])
    replenishment.save_settings(
        None, method="sell_one", window_days=30, turnover_days=14, lead_days=3
    )
    assert client.get(f"{MP}/replenishment", headers=dealer).get_json()["items"][0]["qty"] == 7


def test_managers_see_visits_per_rep_per_day_with_anomalies(field, client, shop, app):
    visit = field.check_in().get_json()
    client.post(
        f"{MP}/rep/visits/{visit['id']}/checkout", json=north_of_store(2000), headers=field.headers
    )
    with app.app_context():
        manager = make_staff("branch_manager", shop.branch, username="bm-field")
        headers = staff_headers(manager)
        other_branch_manager = staff_headers(
            make_staff("branch_manager", shop.other_branch, username="bm-other")
        )
    body = client.get(f"{ADMIN}/visits/daily", headers=headers).get_json()
    row = next(r for r in body["items"] if r["staff_id"] == field.rep.id)
    assert row["visits"] == 1 and row["staff_name"] == "业务员甲"
    assert {a["kind"] for a in row["anomalies"]} == {"checkout_far", "too_short"}
    others = client.get(f"{ADMIN}/visits/daily", headers=other_branch_manager).get_json()
    assert others["items"] == []
    r = client.get(
        f"{ADMIN}/visits/daily",
        headers=other_branch_manager,
        query_string={"staff_id": field.rep.id},
    )
    assert r.status_code == 403
    reports = client.get(f"{ADMIN}/reports/stock-sales", headers=headers).get_json()
    assert reports["total"] == 0


def test_a_rep_turns_the_stores_suggestions_into_a_cart_and_orders_it(field, client, shop):
    # Sold 20 tea and 3 oil since the last count: 销一补一 suggests 20 and 3.
    replenishment.save_settings(
        field.store.id, method="sell_one", window_days=30, turnover_days=14, lead_days=3
    )
    _report(field.store, 1, [(shop.tea, 5, 20), (shop.oil, 1, 3)], source="rep")
    _report(field.not_mine, 1, [(shop.tea, 0, 99)])
    first = field.check_in().get_json()
    cart = client.post(
        f"{MP}/rep/visits/{first['id']}/cart/suggestions", headers=field.headers
    ).get_json()
    # The dealer's prices (level 3), not the rep's or the list price.
    assert sorted((i["product_id"], i["qty"], i["price"]) for i in cart["items"]) == sorted(
        [(shop.tea.id, 20, "45.00"), (shop.oil.id, 3, "180.00")]
    )
    order = client.post(
        f"{MP}/rep/visits/{first['id']}/orders",
        json={"lines": [{"product_id": shop.tea.id, "qty": 20}]},
        headers={**field.headers, "Idempotency-Key": "rep-cart-1"},
    )
    assert order.status_code == 201
    left = client.get(f"{MP}/rep/visits/{first['id']}/cart", headers=field.headers).get_json()
    assert [i["product_id"] for i in left["items"]] == [shop.oil.id]  # ordered lines leave
    # Another rep's store and another rep's visit stay out of reach.
    theirs = other_reps_visit(field)
    for path in (
        f"/rep/visits/{theirs.id}/cart/suggestions",
        "/rep/visits/999999/cart/suggestions",
    ):
        assert client.post(f"{MP}{path}", headers=field.headers).status_code == 404
    assert client.get(f"{MP}/rep/visits/{theirs.id}/cart", headers=field.headers).status_code == 404
    client.post(
        f"{MP}/rep/visits/{first['id']}/checkout", json=north_of_store(5), headers=field.headers
    )
    # A new visit starts with an empty cart.
    second_store = make_customer(
        shop.branch, shop.warehouse, rep_id=field.rep.id, lat=Decimal(LAT), lng=Decimal(LNG)
    )
    second = field.check_in(second_store).get_json()
    empty = client.get(f"{MP}/rep/visits/{second['id']}/cart", headers=field.headers).get_json()
    assert empty["items"] == []


def test_a_visits_orders_are_the_reps_own_for_its_store_from_check_in_to_check_out(
    field, client, shop
):
    visit_id = field.check_in().get_json()["id"]
    checkin_at = Visit.get_by_id(visit_id).checkin_at
    mine = f"rep:{field.rep.id}"
    before = place(field.store, (shop.tea, 1), source="rep", placed_by=mine)
    Order.update(created_at=checkin_at - dt.timedelta(minutes=5)).where(
        Order.id == before.id
    ).execute()  # the rep's, at this store, but before checking in
    during = client.post(
        f"{MP}/rep/visits/{visit_id}/orders",
        json={"lines": [{"product_id": shop.tea.id, "qty": 12}]},
        headers={**field.headers, "Idempotency-Key": "visit-orders-1"},
    ).get_json()["id"]
    by_dealer = place(field.store, (shop.tea, 1), placed_by="wechat:1")
    by_other_rep = place(
        field.store, (shop.tea, 1), source="rep", placed_by=f"rep:{field.other_rep.id}"
    )
    elsewhere = place(field.not_mine, (shop.tea, 1), source="rep", placed_by=mine)
    open_now = [o.id for o in visits.visit_orders(Visit.get_by_id(visit_id))]
    assert open_now == [during]  # while open: up to now
    client.post(
        f"{MP}/rep/visits/{visit_id}/checkout", json=north_of_store(5), headers=field.headers
    )
    closed = Visit.get_by_id(visit_id)
    after = place(field.store, (shop.tea, 1), source="rep", placed_by=mine)
    Order.update(created_at=closed.checkout_at + dt.timedelta(minutes=1)).where(
        Order.id == after.id
    ).execute()
    assert [o.id for o in visits.visit_orders(closed)] == [during]
    # The store's page: its latest orders, whoever placed them, newest first.
    assert [o.id for o in visits.recent_orders(field.store, limit=4)] == [
        after.id,
        by_other_rep.id,
        by_dealer.id,
        during,
    ]
    assert elsewhere.id not in [o.id for o in visits.recent_orders(field.store)]
