"""Server-side web sessions (console, H5) and the audit of staff sign-in attempts."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from app.core.models import Staff
from app.db import BaseModel, utcnow


class WebSession(BaseModel):
    """A browser session kept on the server (the embedded default; Redis in production): the
    cookie carries only a random id, whose hash is the key."""

    key = CharField(max_length=64, primary_key=True)
    data = TextField()
    expires_at = DateTimeField(index=True)


class LoginAttempt(BaseModel):
    """Every staff sign-in attempt, console or API: who, from where, and whether it succeeded."""

    username = CharField(max_length=64, index=True)
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")
    address = CharField(max_length=64, default="")
    surface = CharField(max_length=16)  # api | console
    succeeded = BooleanField()
    at = DateTimeField(default=utcnow, index=True)


MODELS = [WebSession, LoginAttempt]
