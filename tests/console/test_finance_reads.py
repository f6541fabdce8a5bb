"""Finance reads stock at cost (存货) — what it values — and does not change it."""

from __future__ import annotations


def test_finance_reads_stock_but_does_not_change_it(signed_in, co):
    fin = signed_in("fin")
    for page in ("/admin/stock", "/admin/stock/movements"):
        assert fin.get(page).status_code == 200, page
    # Writing is another permission: a receipt is refused.
    receipt = {"warehouse_id": str(co.sh.id), "lines-0-product_id": str(co.tea.id)}
    assert fin.post("/admin/stock/receipts", receipt).status_code == 403
