"""Money in: WeChat Pay payments (top-ups and orders) and their notifications, refunds,
reconciliation against WeChat Pay's trade bill, invoices (发票) and monthly statement
confirmation (对账确认). Money lands in the core ledgers through app.core.receivables."""
