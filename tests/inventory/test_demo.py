"""The demo company shows inventory at cost to a newcomer: stock received at cost, a few
receipts, a transfer in transit, a count with variances, customer fees — and every ledger exact."""

from app.core.models import Shipment, Stock
from app.inventory.models import CustomerFee, StockCount, StockReceipt, Transfer
from devkit.demo import seed_demo
from devkit.testing.inventory import assert_ledger_explains_every_row


def test_the_demo_has_stock_at_cost_receipts_a_transfer_in_transit_a_count_and_fees(app_ctx):
    assert seed_demo()
    assert StockReceipt.select().where(StockReceipt.status == "received").count() == 4
    assert Transfer.select().where(Transfer.status == "in_transit").count() == 1
    assert Stock.select().where(Stock.in_transit > 0).count() == 3
    assert StockCount.select().count() == 1
    assert CustomerFee.select().count() == 4
    assert all(s.cost > 0 for s in Shipment.select())  # shipped at cost
    assert_ledger_explains_every_row()


def test_each_demo_warehouse_has_its_own_clerk_and_a_count_starts_at_theirs(app):
    """周勇 works at 上海总仓 (华东), 陈刚 at 广州仓 (华南): each received his warehouse's opening
    stock, and the count page opens at his own warehouse, the other branch's not offered."""
    from app.core.models import Staff, Warehouse
    from devkit.demo import _demo_password
    from devkit.testing.clients import Console

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        password = _demo_password()
    for username, code, other in (("warehouse", "SH01", "GZ01"), ("warehouse_hn", "GZ01", "SH01")):
        own, away = (Warehouse.get(Warehouse.code == c) for c in (code, other))
        clerk = Staff.get(Staff.username == username)
        assert clerk.branch_id == own.branch_id
        opening = StockReceipt.get(
            (StockReceipt.warehouse == own.id) & StockReceipt.reference.startswith("OPEN-")
        )
        assert opening.created_by == f"staff:{clerk.id}"
        console = Console(app.test_client())  # a browser of his own
        assert console.login(username, password).status_code == 302
        page = console.get("/admin/stock/counts").get_data(as_text=True)
        assert f'<option value="{own.id}" selected' in page
        assert f'<option value="{away.id}"' not in page
