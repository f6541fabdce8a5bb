"""Readable document numbers, one rule for every numbered document: the type's prefix (SO order,
SH shipment, RT return, RC receipt, TR transfer, …), the business date, and the row's id in at
least six digits — SO20261201000042. Unique because the id is."""

from __future__ import annotations

import datetime as dt
import uuid

from app.timeutil import local_date


def document_number(prefix: str, at: dt.datetime, row_id: int) -> str:
    return f"{prefix}{local_date(at):%Y%m%d}{row_id:06d}"


def create_numbered(model, prefix: str, dated_by: str, **fields):
    """Create a document row and give it its number in the same transaction (the id is known only
    after the insert: the row is written with a placeholder first). `dated_by` names the row's
    time field the number's date comes from."""
    row = model.create(number=uuid.uuid4().hex[:32], **fields)
    row.number = document_number(prefix, getattr(row, dated_by), row.id)
    model.update(number=row.number).where(model.id == row.id).execute()
    return row
