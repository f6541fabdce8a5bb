"""Migration 0026 on receipts recorded before voiding existed: they stand (not voided, no one,
no reason), a voided one can be written after it, and down takes the columns away leaving the
receipts as they were."""

from devkit.testing.database import OLD_ROWS_AT as NOW


def test_receipts_stand_after_the_migration_and_as_they_were_after_down(app, scratch_db):
    scratch_db.up("0025_product_images")
    sql, insert = scratch_db.sql, scratch_db.insert
    insert("branch", code="B1", name="华东", created_at=NOW)
    insert("warehouse", code="W1", name="仓", address="", branch_id=1, created_at=NOW)
    customer = {c: 0 for c in ("price_level", "credit_limit", "ar_balance", "held")}
    customer |= {c: "" for c in ("contact", "phone", "address")}
    insert(
        "customer",
        code="C1",
        name="老客户",
        branch_id=1,
        warehouse_id=1,
        settlement_method="credit",
        visit_every_days=7,
        active=True,
        created_at=NOW,
        **{**customer, "price_level": 1, "ar_balance": -50000},
    )
    insert(
        "receipt",
        customer_id=1,
        number="RC20261101000001",
        amount=50000,
        unapplied=50000,
        method="bank",
        reference="网银",
        recorded_by="staff:1",
        received_at=NOW,
    )
    scratch_db.up("0026_receipt_void")
    assert sql(
        "SELECT number, amount, unapplied, voided_at, voided_by, void_reason FROM receipt"
    ).fetchall() == [("RC20261101000001", 50000, 50000, None, "", "")]
    p = scratch_db.param
    sql(
        f"UPDATE receipt SET voided_at = {p}, voided_by = 'staff:2', void_reason = '录错',"
        " unapplied = 0",
        (NOW,),
    )
    scratch_db.down("0026_receipt_void")
    assert "voided_at" not in scratch_db.columns("receipt")
    assert sql("SELECT number, amount, method, reference FROM receipt").fetchall() == [
        ("RC20261101000001", 50000, "bank", "网银")
    ]
