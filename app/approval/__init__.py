"""One approval engine for every document that may need signatures: orders, returns, stock
transfers and receipts, refunds. Rules name the document they govern; the steps of every document
live in one table; `rules.allowed_actions` says what a staff member may do to a document now."""
