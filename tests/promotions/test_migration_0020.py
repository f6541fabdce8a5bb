"""Migration 0020 on a database with orders from before promotions: every line keeps its price as
the dealer's own (`base_price`), no discount and no gift; the order no discount; and down again
leaves the old schema (one line per product)."""

from devkit.testing.database import OLD_ROWS_AT as NOW


def test_existing_orders_keep_their_prices_as_their_own_and_down_goes_back(app, scratch_db):
    scratch_db.up("0019_payments")
    sql, p = scratch_db.sql, scratch_db.param
    sql(f"INSERT INTO branch (code, name, created_at) VALUES ('B1', '华东', {p})", (NOW,))
    sql(
        "INSERT INTO warehouse (code, name, branch_id, address, created_at)"
        f" VALUES ('W1', '仓', 1, '', {p})",
        (NOW,),
    )
    scratch_db.insert_product("A", "茶", 5000, brand="", safety_stock=0)
    sql(
        "INSERT INTO customer (code, name, branch_id, price_level, settlement_method,"
        " credit_limit, ar_balance, held, warehouse_id, contact, phone, address,"
        " visit_every_days, active, created_at) VALUES ('C1', '经销商', 1, 3, 'credit',"
        f" 100000, 0, 0, 1, '', '', '', 7, {p}, {p})",
        (True, NOW),
    )
    sql(
        "INSERT INTO sales_order (number, customer_id, warehouse_id, status, source,"
        " placed_by, total, held_amount, remark, address, reject_reason, created_at,"
        " updated_at) VALUES ('SO1', 1, 1, 'pending_review', 'mall', '', 9000, 0, '', '',"
        f" '', {p}, {p})",
        (NOW, NOW),
    )
    sql(
        "INSERT INTO sales_order_line (order_id, product_id, qty, price, list_price,"
        " amount, shipped_qty, reserved_qty, returned_qty) VALUES (1, 1, 2, 4500, 5000,"
        " 9000, 0, 0, 0)"
    )
    scratch_db.up("0020_promotions")
    line = sql(
        "SELECT price, base_price, discount, gift, promotion_id, promotion_label"
        " FROM sales_order_line"
    ).fetchone()
    assert line[:3] == (4500, 4500, 0) and not line[3] and line[4:] == (None, "")
    assert sql("SELECT discount_total FROM sales_order").fetchone() == (0,)
    # A gift beside the bought line is allowed now, and goes with the way down.
    sql(
        "INSERT INTO sales_order_line (order_id, product_id, qty, price, list_price,"
        " amount, shipped_qty, reserved_qty, returned_qty, base_price, gift, discount,"
        f" promotion_label) VALUES (1, 1, 1, 0, 5000, 0, 0, 0, 0, 4500, {p}, 0, '买2赠1')",
        (True,),
    )
    scratch_db.down("0020_promotions")
    assert sql("SELECT COUNT(*) FROM sales_order_line").fetchone() == (1,)
    columns = scratch_db.columns("sales_order_line")
    assert "gift" not in columns and "base_price" not in columns
    assert "promotion" not in scratch_db.tables()
