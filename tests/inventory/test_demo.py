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
