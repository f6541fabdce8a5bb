"""Inventory at cost (独立核算): stock receipts from suppliers, transfers between warehouses (also
across branches), counts, customer fees, picking checks and printed picking lists and delivery
notes. Stock rows themselves change only in app.core.stock; this package keeps the documents."""
