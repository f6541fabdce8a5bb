"""Backups (`flask backup`, `flask restore`): a backup of a database with orders, shipments,
receipts and stock, restored into a new database, holds every row of every table as it was,
and the restored database takes new rows; a restore never goes into a database with data."""

from __future__ import annotations

import pytest

from app.core.models import AccountEntry, Order, Receipt, Receivable, Stock, StockMovement
from app.db import db
from app.models import MODELS
from devkit.databases import open_database
from devkit.testing.clients import ADMIN


@pytest.fixture
def trading(client, co):
    """Two orders approved, one shipped and paid for: orders, stock, ledgers, receivables."""
    admin = co.headers("admin")
    for qty in (10, 4):
        order = co.order(co.customer, (co.tea, qty))
        approved = client.post(f"{ADMIN}/orders/{order.id}/approve", json={}, headers=admin)
        assert approved.status_code == 200, approved.get_json()
    line = Order.get_by_id(order.id).lines[0]
    shipped = client.post(
        f"{ADMIN}/orders/{order.id}/shipments",
        json={
            "lines": [{"order_line_id": line.id, "qty": 4}],
            "carrier": "顺丰",
            "tracking_no": "SF1",
        },
        headers=admin,
    )
    assert shipped.status_code == 201, shipped.get_json()
    paid = client.post(
        f"{ADMIN}/customers/{co.customer.id}/receipts",
        json={"amount": "100.00", "method": "bank", "reference": "B-1"},
        headers=admin,
    )
    assert paid.status_code == 201, paid.get_json()


def every_row() -> dict[str, list[tuple]]:
    return {
        model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
        for model in MODELS
    }


def test_a_restored_backup_holds_every_row_of_every_table(app, trading, tmp_path, fresh_database):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "--to", str(tmp_path / "mall.backup")])
    assert made.exit_code == 0, made.output
    restored = runner.invoke(
        args=["restore", str(tmp_path / "mall.backup"), "--into", fresh_database]
    )
    assert restored.exit_code == 0, restored.output

    original = every_row()
    for model in (Order, StockMovement, Stock, AccountEntry, Receivable, Receipt):
        assert original[model._meta.table_name], f"no {model.__name__} to compare"
    copy = open_database(fresh_database)
    try:
        with db.reading_from(copy):
            assert every_row() == original
            # The copy goes on where the original left off (sequences restored too).
            entry = AccountEntry.select().order_by(AccountEntry.id.desc()).get()
            entry.id = None
            entry.save()
            assert entry.id > max(row[0] for row in original["account_entry"])
    finally:
        copy.close()


def test_a_backup_is_never_restored_over_a_database_with_data(app, trading, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--to", str(tmp_path / "mall.backup")]).exit_code == 0
    refused = runner.invoke(args=["restore", str(tmp_path / "mall.backup")])
    assert refused.exit_code != 0
    assert "not empty" in refused.output
    assert Order.select().count() == 2  # untouched


def test_a_file_that_is_not_a_backup_is_refused(app, tmp_path, fresh_database):
    stray = tmp_path / "notes.txt"
    stray.write_text("not a backup")
    refused = app.test_cli_runner().invoke(args=["restore", str(stray), "--into", fresh_database])
    assert refused.exit_code != 0
    assert "is not a" in refused.output
