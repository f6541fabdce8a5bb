"""Approval rules and the signatures (steps) every document needs, in one table for all documents."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.core.models import Staff
from app.db import BaseModel, utcnow


class ApprovalRule(BaseModel):
    """When a document of type `document` matches `condition`, these roles must sign, in order,
    before it is approved. Rules are tried by ascending `priority`; the first that matches decides
    the steps."""

    name = CharField(max_length=100)
    document = CharField(max_length=16, default="order", index=True)
    priority = IntegerField(default=100, index=True)
    condition = TextField(default="{}")  # JSON, see app/approval/rules.py
    steps = TextField(default="[]")  # JSON list of {"role": ...}
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)


class ApprovalStep(BaseModel):
    """A signature a document needs: step 0 is the review (customer service), then the rule's
    roles, signed in `seq` order."""

    document = CharField(max_length=16, default="order")
    document_id = IntegerField()
    seq = IntegerField()
    role = CharField(max_length=32)
    rule_name = CharField(max_length=100, default="")
    signed_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    signed_at = DateTimeField(null=True)
    comment = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("document", "document_id", "seq"), True),)


MODELS = [ApprovalRule, ApprovalStep]
