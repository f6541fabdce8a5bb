"""Migration 0016 on a database with stock from before costs were kept: the ledger's kinds become
the contract's, every on-hand movement gets its on hand after it, a row the ledger did not explain
gets an opening adjustment at cost 0, and invariant 9 holds for the existing rows."""

from devkit.testing.database import OLD_ROWS_AT as NOW


def test_existing_stock_keeps_invariant_nine_at_cost_zero(app, scratch_db):
    scratch_db.up("0015b_receipt_notes_in_words")
    sql, p = scratch_db.sql, scratch_db.param
    sql(
        f"INSERT INTO warehouse (code, name, address, created_at) VALUES ('W1', '仓', '', {p})",
        (NOW,),
    )
    for sku in ("A", "B"):
        scratch_db.insert_product(sku, sku, 1000)
    # A: its ledger explains it (in 10, reserve 4, ship 4); B: on hand with no ledger.
    sql(
        f"INSERT INTO stock (warehouse_id, product_id, on_hand, reserved, updated_at) VALUES (1, 1, 6, 0, {p})",
        (NOW,),
    )
    sql(
        f"INSERT INTO stock (warehouse_id, product_id, on_hand, reserved, updated_at) VALUES (1, 2, 7, 0, {p})",
        (NOW,),
    )
    for kind, on_hand, reserved in (("adjust", 10, 0), ("reserve", 0, 4), ("ship", -4, -4)):
        sql(
            "INSERT INTO stock_movement (warehouse_id, product_id, kind, on_hand_delta,"
            f" reserved_delta, reason, ref, actor, created_at) VALUES (1, 1, {p}, {p}, {p},"
            f" '', '', 'seed', {p})",
            (kind, on_hand, reserved, NOW),
        )
    scratch_db.up("0016_inventory_at_cost")
    rows = sql(
        "SELECT product_id, kind, on_hand_delta, on_hand_after, value, unit_cost"
        " FROM stock_movement ORDER BY id"
    ).fetchall()
    assert rows == [
        (1, "adjustment", 10, 10, 0, 0),
        (1, "reserve", 0, None, 0, 0),
        (1, "shipment", -4, 6, 0, 0),
        (2, "adjustment", 7, 7, 0, 0),  # the opening adjustment, at cost 0
    ]
    stock = sql("SELECT on_hand, value, unit_cost, in_transit FROM stock ORDER BY id").fetchall()
    assert stock == [(6, 0, 0, 0), (7, 0, 0, 0)]
