"""Inventory at cost through the admin API (API.md "Inventory at cost"): receipts recompute the
moving average, transfers leave at the sender's cost and arrive at it, counts post variances at
cost, shipments take their cost of goods, returns come back at it, and the ledger explains every
row (invariant 9). The company (`co`) starts with 1000 tea and 10 oil in each warehouse at cost 0."""

from decimal import Decimal

from app.approval import services as approvals
from app.core.models import Shipment, Stock
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN
from devkit.testing.inventory import assert_ledger_explains_every_row

D = Decimal


def call(client, method, path, headers, body=None, **query):
    return getattr(client, method)(ADMIN + path, json=body, headers=headers, query_string=query)


def stock_row(client, co, warehouse, product, who="admin"):
    found = call(
        client,
        "get",
        "/stock",
        co.headers(who),
        warehouse_id=warehouse.id,
        product_id=product.id,
    ).get_json()["items"]
    return found[0] if found else None


def receive(client, co, warehouse, lines, reference="DN-1", who="wh", supplier="茶厂"):
    body = {
        "warehouse_id": warehouse.id,
        "supplier": supplier,
        "reference": reference,
        "lines": [{"product_id": p.id, "qty": q, "unit_cost": c} for p, q, c in lines],
    }
    return call(client, "post", "/stock/receipts", co.headers(who), body)


def test_a_receipt_raises_on_hand_and_recomputes_the_moving_average(client, co):
    first = receive(client, co, co.sh, [(co.oil, 10, "150.0000")])
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["number"].startswith("PR")
    assert (body["status"], body["total_cost"]) == ("received", "1500.00")
    assert body["lines"][0]["unit_cost"] == "150.0000"
    # 10 at cost 0 (before costs were kept) and 10 at 150: the average is 75.
    row = stock_row(client, co, co.sh, co.oil)
    assert (row["on_hand"], row["unit_cost"], row["value"]) == (20, "75.0000", "1500.00")
    receive(client, co, co.sh, [(co.oil, 5, "190.1234")], reference="DN-2")
    row = stock_row(client, co, co.sh, co.oil)
    # (1500 + 5 × 190.1234) / 25 = 98.02468 → 98.0247
    assert (row["on_hand"], row["unit_cost"], row["value"]) == (25, "98.0247", "2450.62")
    assert_ledger_explains_every_row()


def test_the_same_receipt_sent_again_answers_with_the_first(client, co):
    first = receive(client, co, co.sh, [(co.oil, 4, "12.5000")], reference="ERP-77")
    again = receive(client, co, co.sh, [(co.oil, 4, "12.5000")], reference="ERP-77")
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert stock_row(client, co, co.sh, co.oil)["on_hand"] == 14
    other = receive(client, co, co.sh, [(co.oil, 5, "12.5000")], reference="ERP-77")
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "invalid_state"
    assert "ERP-77" in other.get_json()["error"]["message"]


def test_a_receipt_into_another_branchs_warehouse_is_not_found(client, co):
    keeper = make_staff("warehouse", co.east, username="wh_east")
    co.staff["wh_east"] = keeper
    r = receive(client, co, co.gz, [(co.oil, 1, "1.0000")], who="wh_east")
    assert r.status_code == 404
    assert stock_row(client, co, co.gz, co.oil)["on_hand"] == 10


def test_a_receipt_without_a_cost_is_refused_in_words(client, co):
    r = call(
        client,
        "post",
        "/stock/receipts",
        co.headers("wh"),
        {
            "warehouse_id": co.sh.id,
            "reference": "X",
            "lines": [{"product_id": co.oil.id, "qty": 1}],
        },
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["lines"]["0"]["unit_cost"] == ["此项必填"]


def transfer(client, co, lines, who="wh", src=None, dst=None):
    body = {
        "from_warehouse_id": (src or co.sh).id,
        "to_warehouse_id": (dst or co.gz).id,
        "lines": [{"product_id": p.id, "qty": q} for p, q in lines],
        "note": "补货华南",
    }
    return call(client, "post", "/stock/transfers", co.headers(who), body)


def receive_transfer(client, co, transfer_id: int, lines, who="wh"):
    """The receiving end takes in lines as (product, qty) of the transfer."""
    body = {"lines": [{"product_id": p.id, "qty": q} for p, q in lines]}
    return call(client, "post", f"/stock/transfers/{transfer_id}/receive", co.headers(who), body)


def test_a_transfer_leaves_at_the_senders_cost_and_is_in_transit_until_received(client, co):
    receive(client, co, co.sh, [(co.oil, 10, "100.0000")])  # sh: 20 oil worth 1000, cost 50
    sent = transfer(client, co, [(co.oil, 8)])
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    assert (body["status"], body["number"][:2]) == ("in_transit", "TR")
    assert body["lines"][0] | {"name": None, "sku": None} == {
        "product_id": co.oil.id,
        "sku": None,
        "name": None,
        "qty": 8,
        "received_qty": 0,
        "in_transit": 8,
        "unit_cost": "50.0000",
        "value": "400.0000",
    }
    sender, receiver = stock_row(client, co, co.sh, co.oil), stock_row(client, co, co.gz, co.oil)
    assert (sender["on_hand"], sender["value"], sender["unit_cost"]) == (12, "600.00", "50.0000")
    # On its way: visible at both ends, on hand at neither, so never available.
    assert (receiver["on_hand"], receiver["available"], receiver["in_transit"]) == (10, 10, 8)
    assert (sender["available"], sender["in_transit_out"]) == (12, 8)

    part = receive_transfer(client, co, body["id"], [(co.oil, 3)])
    assert part.status_code == 200, part.get_json()
    assert part.get_json()["status"] == "partially_received"
    receiver = stock_row(client, co, co.gz, co.oil)
    # 10 at cost 0 and 3 at 50: value 150, average 150 / 13.
    assert (receiver["on_hand"], receiver["in_transit"], receiver["value"]) == (13, 5, "150.00")
    assert receiver["unit_cost"] == "11.5385"
    rest = receive_transfer(client, co, body["id"], [(co.oil, 5)])
    assert rest.get_json()["status"] == "received"
    receiver = stock_row(client, co, co.gz, co.oil)
    assert (receiver["on_hand"], receiver["in_transit"], receiver["value"]) == (18, 0, "400.00")
    assert_ledger_explains_every_row()


def test_receiving_more_than_is_on_its_way_is_refused(client, co):
    sent = transfer(client, co, [(co.oil, 2)]).get_json()
    r = receive_transfer(client, co, sent["id"], [(co.oil, 3)])
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "invalid_state"
    assert stock_row(client, co, co.gz, co.oil)["in_transit"] == 2


def test_a_transfer_the_sender_cannot_cover_is_refused(client, co):
    r = transfer(client, co, [(co.oil, 11)])
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert "花生油" in error["message"]
    assert stock_row(client, co, co.sh, co.oil)["on_hand"] == 10
    assert stock_row(client, co, co.gz, co.oil)["in_transit"] == 0


def test_reserved_stock_cannot_be_transferred(client, co):
    order = co.order(co.east_customer, (co.oil, 6))
    from app.core import orders

    orders.approve_order(order.id, "staff:1")  # 6 of the 10 oil reserved
    r = transfer(client, co, [(co.oil, 5)])
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "insufficient_stock"


def test_both_ends_see_a_transfer_across_branches(client, co):
    bm_south = co.staff["bm_south"]
    sent = transfer(client, co, [(co.tea, 5)]).get_json()
    seen = call(client, "get", "/stock/transfers", co.headers("bm_south"), warehouse_id=co.gz.id)
    assert [t["id"] for t in seen.get_json()["items"]] == [sent["id"]]
    assert bm_south.data_scope == "branch"
    other = make_staff("branch_manager", make_branch_named("华北分公司"), username="bm_n")
    co.staff["bm_north"] = other
    hidden = call(client, "get", f"/stock/transfers/{sent['id']}", co.headers("bm_north"))
    assert hidden.status_code == 404


def make_branch_named(name):
    from devkit.factories import make_branch

    return make_branch(name)


def test_only_the_receiving_end_receives(client, co):
    keeper = make_staff("warehouse", co.east, username="wh_e")
    co.staff["wh_east"] = keeper
    sent = transfer(client, co, [(co.tea, 5)]).get_json()
    r = receive_transfer(client, co, sent["id"], [(co.tea, 5)], who="wh_east")
    assert r.status_code == 404
    assert stock_row(client, co, co.gz, co.tea)["in_transit"] == 5


def test_a_transfer_a_rule_names_waits_for_signatures_before_the_goods_move(client, co):
    approvals.create_rule(
        "跨仓调拨需分公司经理", {}, [{"role": "branch_manager"}], 10, document="transfer"
    )
    sent = transfer(client, co, [(co.tea, 5)]).get_json()
    assert sent["status"] == "pending"
    assert [s["role"] for s in sent["steps"]] == ["warehouse", "branch_manager"]
    assert stock_row(client, co, co.sh, co.tea)["on_hand"] == 1000
    wrong = call(client, "post", f"/stock/transfers/{sent['id']}/approve", co.headers("hq"), {})
    assert wrong.status_code == 403
    signed = call(
        client, "post", f"/stock/transfers/{sent['id']}/approve", co.headers("bm_east"), {}
    )
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["status"] == "in_transit"
    assert stock_row(client, co, co.sh, co.tea)["on_hand"] == 995
    assert stock_row(client, co, co.gz, co.tea)["in_transit"] == 5


def test_a_rejected_receipt_puts_nothing_on_hand(client, co):
    approvals.create_rule(
        "大额入库需总部",
        {"min_amount": "1000"},
        [{"role": "hq_approver"}],
        document="stock_receipt",
    )
    small = receive(client, co, co.sh, [(co.oil, 1, "10.0000")], reference="S").get_json()
    assert small["status"] == "received"  # no rule matches: no signature needed
    big = receive(client, co, co.sh, [(co.oil, 10, "200.0000")], reference="B").get_json()
    assert big["status"] == "pending"
    r = call(
        client,
        "post",
        f"/stock/receipts/{big['id']}/reject",
        co.headers("hq"),
        {"reason": "价格不对"},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "rejected"
    assert stock_row(client, co, co.sh, co.oil)["on_hand"] == 11


def count(client, co, lines, who="wh", warehouse=None):
    body = {
        "warehouse_id": (warehouse or co.sh).id,
        "lines": [{"product_id": p.id, "counted_qty": q} for p, q in lines],
        "note": "月末盘点",
    }
    return call(client, "post", "/stock/counts", co.headers(who), body)


def test_a_count_posts_each_variance_at_cost(client, co):
    receive(client, co, co.sh, [(co.oil, 10, "30.0000")])  # 20 oil worth 300: cost 15
    r = count(client, co, [(co.oil, 16), (co.tea, 1003)])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["number"].startswith("PD")
    lines = {ln["product_id"]: ln for ln in body["lines"]}
    oil, tea = lines[co.oil.id], lines[co.tea.id]
    assert (oil["book_qty"], oil["counted_qty"], oil["variance"]) == (20, 16, -4)
    assert (oil["unit_cost"], oil["variance_value"]) == ("15.0000", "-60.00")
    assert (tea["book_qty"], tea["variance"], tea["variance_value"]) == (1000, 3, "0.00")
    row = stock_row(client, co, co.sh, co.oil)
    assert (row["on_hand"], row["value"], row["unit_cost"]) == (16, "240.00", "15.0000")
    movements = call(
        client, "get", "/stock/movements", co.headers("wh"), product_id=co.oil.id, kind="count"
    ).get_json()["items"]
    assert [(m["qty"], m["unit_cost"], m["value"], m["on_hand_after"]) for m in movements] == [
        (-4, "15.0000", "-60.0000", 16)
    ]
    assert movements[0]["ref"] == body["number"]
    assert_ledger_explains_every_row()


def test_a_count_below_what_is_reserved_is_refused_and_posts_nothing(client, co):
    from app.core import orders

    orders.approve_order(co.order(co.east_customer, (co.oil, 6)).id, "staff:1")
    r = count(client, co, [(co.tea, 990), (co.oil, 5)])
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "invalid_state"
    assert "花生油" in error["message"] and "已预留 6" in error["message"]
    assert stock_row(client, co, co.sh, co.tea)["on_hand"] == 1000


def test_shipping_takes_the_cost_of_goods_and_a_return_brings_it_back(client, co):
    from app.core import orders, returns

    receive(client, co, co.sh, [(co.oil, 10, "120.0000")])  # 20 oil worth 1200: cost 60
    order = co.order(co.east_customer, (co.oil, 5))
    orders.approve_order(order.id, "staff:1")
    line = order.lines[0]
    shipment = orders.ship_order(order.id, [(line.id, 5)], "顺丰", "SF1", "wh")
    assert Shipment.get_by_id(shipment.id).cost == D("300.0000")
    receive(client, co, co.sh, [(co.oil, 5, "200.0000")], reference="DN-9")  # cost moves on
    request = returns.request_return(co.east_customer.id, order.id, [(line.id, 2)], "破损", "d")
    returns.approve(request.id, co.staff["cs"], "staff:cs")
    ret_line = request.lines[0]
    returns.receive(request.id, [(ret_line.id, 2)], "wh")
    movements = call(
        client, "get", "/stock/movements", co.headers("wh"), product_id=co.oil.id
    ).get_json()["items"]
    kinds = [(m["kind"], m["qty"], m["unit_cost"]) for m in movements]
    assert kinds[:3] == [
        ("return", 2, "60.0000"),
        ("receipt", 5, "200.0000"),
        ("shipment", -5, "60.0000"),
    ]
    row = Stock.get((Stock.warehouse == co.sh.id) & (Stock.product == co.oil.id))
    assert (row.on_hand, row.value) == (22, D("2020.0000"))
    assert_ledger_explains_every_row()


def test_the_ledger_lists_no_reservations(client, co):
    from app.core import orders

    orders.approve_order(co.order(co.east_customer, (co.oil, 2)).id, "staff:1")
    kinds = {
        m["kind"]
        for m in call(client, "get", "/stock/movements", co.headers("wh")).get_json()["items"]
    }
    assert kinds == {"adjustment"}


def test_customer_fees_are_recorded_in_scope(client, co):
    path = f"/customers/{co.east_customer.id}/fees"
    fee = {"kind": "listing", "amount": "800.00", "date": "2026-11-03", "note": "新店进场"}
    r = call(client, "post", path, co.headers("fin"), fee)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["kind"], r.get_json()["amount"]) == ("listing", "800.00")
    listed = call(client, "get", path, co.headers("bm_east")).get_json()
    assert [f["amount"] for f in listed["items"]] == ["800.00"]
    assert call(client, "get", path, co.headers("bm_south")).status_code == 404
    assert call(client, "post", path, co.headers("bm_south"), fee).status_code == 404
    assert call(client, "post", path, co.headers("wh"), fee).status_code == 403
    bad = call(client, "post", path, co.headers("fin"), {**fee, "kind": "bribe"})
    assert bad.status_code == 422


def test_products_carry_brand_and_safety_stock(client, co):
    r = call(
        client,
        "patch",
        f"/products/{co.tea.id}",
        co.headers("admin"),
        {"brand": "茗香", "safety_stock": 50},
    )
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["brand"], r.get_json()["safety_stock"]) == ("茗香", 50)


def test_an_erps_api_key_posts_receipts_at_cost_and_a_retry_finds_the_first(client, co, app):
    from app.integrations import keys

    _, key = keys.create_key(co.staff["admin"], "金蝶同步", ["stock.write"])
    erp = {"Authorization": f"Bearer {key}"}
    body = {
        "warehouse_id": co.sh.id,
        "supplier": "金蝶采购",
        "reference": "CGRK-000123",
        "lines": [{"product_id": co.oil.id, "qty": 30, "unit_cost": "88.8800"}],
    }
    first = call(client, "post", "/stock/receipts", erp, body)
    again = call(client, "post", "/stock/receipts", erp, body)  # the ERP's retry after a timeout
    assert (first.status_code, again.status_code) == (201, 201), first.get_json()
    assert first.get_json()["id"] == again.get_json()["id"]
    row = stock_row(client, co, co.sh, co.oil)
    assert (row["on_hand"], row["value"]) == (40, "2666.40")
    assert call(client, "get", "/stock/movements", erp).status_code == 200


def test_a_client_receives_only_some_lines_of_a_transfer(client, co):
    sent = transfer(client, co, [(co.oil, 10), (co.tea, 40)]).get_json()
    first = receive_transfer(client, co, sent["id"], [(co.tea, 40)])
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "partially_received"
    lines = {ln["product_id"]: ln["in_transit"] for ln in first.get_json()["lines"]}
    assert lines == {co.oil.id: 10, co.tea.id: 0}
    none = receive_transfer(client, co, sent["id"], [(co.oil, 0)])
    assert none.status_code == 422  # the contract's quantities are 1 and up
    rest = receive_transfer(client, co, sent["id"], [(co.oil, 10)])
    assert rest.get_json()["status"] == "received"
