"""Migration 0015b: statement lines written before receipts named their method in words read in
words afterwards; anything else in the ledger is left as it was."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

from app.cli import MIGRATIONS_DIR
from app.core.models import AccountEntry
from app.db import db
from devkit.factories import make_branch, make_customer, make_warehouse


def migration():
    path = MIGRATIONS_DIR / "0015b_receipt_notes_in_words.py"
    spec = importlib.util.spec_from_file_location("receipt_notes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_receipt_noted_with_its_method_code_reads_in_words_after_the_migration(app_ctx):
    branch = make_branch()
    customer = make_customer(branch, make_warehouse(branch))
    old = AccountEntry.create(
        customer=customer.id, kind="receipt", amount=Decimal("-100"), note="收款（bank）网银 0042"
    )
    other = AccountEntry.create(
        customer=customer.id, kind="shipment", amount=Decimal("100"), note="收款（bank）不是收款"
    )
    migration().up(None, db.obj)
    assert AccountEntry.get_by_id(old.id).note == "收款（银行转账）网银 0042"
    assert AccountEntry.get_by_id(other.id).note == "收款（bank）不是收款"
