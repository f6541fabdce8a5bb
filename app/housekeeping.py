"""Deleting what has expired: server-side browser sessions and official-account callback nonces."""

from __future__ import annotations

import datetime as dt

from app.auth.models import WebSession
from app.db import utcnow
from app.notify.models import CallbackNonce

# Callbacks older than this are refused anyway, so their nonces need not be kept longer.
NONCE_WINDOW = dt.timedelta(minutes=5)


def delete_expired() -> dict[str, int]:
    now = utcnow()
    return {
        "sessions": WebSession.delete().where(WebSession.expires_at < now).execute(),
        "nonces": CallbackNonce.delete()
        .where(CallbackNonce.seen_at < now - 2 * NONCE_WINDOW)
        .execute(),
    }
