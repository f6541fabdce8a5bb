"""Statement lines of receipts recorded before the method was written in words said
"收款（bank）": they now say "收款（银行转账）", as new ones do. Data only; written by hand."""

LABELS = {
    "bank": "银行转账",
    "cash": "现金",
    "wechat": "微信",
    "alipay": "支付宝",
    "cheque": "支票",
    "other": "其他",
}


def _rename(db, old: str, new: str) -> None:
    p = db.param
    db.execute_sql(
        f"UPDATE account_entry SET note = {p} || substr(note, {p})"
        f" WHERE kind = 'receipt' AND note LIKE {p}",
        (f"收款（{new}）", len(f"收款（{old}）") + 1, f"收款（{old}）%"),
    )


def up(migrator, db):
    for code, label in LABELS.items():
        _rename(db, code, label)


def down(migrator, db):
    for code, label in LABELS.items():
        _rename(db, label, code)
