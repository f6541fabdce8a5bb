"""Browser sessions kept on the server (console now, the H5 pages next): the cookie carries only a
random id; the data lives in Redis when REDIS_URL is set, else in the database. Logging out,
or deleting the record, ends the session for every copy of the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app import outages
from app.auth.models import WebSession
from app.db import utcnow

log = logging.getLogger(__name__)


def session_key(sid: str) -> str:
    """Stored under a hash of the id: a leaked store does not hand out live cookies."""
    return hashlib.sha256(sid.encode()).hexdigest()


class DatabaseStore:
    outage = outages.of("session database")

    def load(self, key: str) -> dict | None:
        row = WebSession.get_or_none((WebSession.key == key) & (WebSession.expires_at > utcnow()))
        return json.loads(row.data) if row else None

    def save(self, key: str, data: dict, ttl: dt.timedelta) -> None:
        (
            WebSession.insert(key=key, data=json.dumps(data), expires_at=utcnow() + ttl)
            .on_conflict(
                conflict_target=[WebSession.key], preserve=[WebSession.data, WebSession.expires_at]
            )
            .execute()
        )

    def delete(self, key: str) -> None:
        WebSession.delete().where(WebSession.key == key).execute()


class RedisStore:
    outage = outages.redis

    def __init__(self, client, prefix: str):
        self.client, self.prefix = client, f"{prefix}:session:"

    def load(self, key: str) -> dict | None:
        raw = self.client.get(self.prefix + key)
        return json.loads(raw) if raw else None

    def save(self, key: str, data: dict, ttl: dt.timedelta) -> None:
        self.client.set(self.prefix + key, json.dumps(data), ex=int(ttl.total_seconds()))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, new: bool = False):
        def on_update(session):
            session.modified = True

        super().__init__(initial, on_update)
        self._sid = sid
        self.new = new
        self.modified = False
        self.replaced: str | None = None  # the id this session had before regenerate()

    @property
    def sid(self) -> str:
        # Drawn when first needed: most API requests open a session they never keep.
        if self._sid is None:
            self._sid = secrets.token_urlsafe(32)
        return self._sid

    def regenerate(self) -> None:
        """A new id for the same browser (at sign-in): an id seen before sign-in is worthless."""
        self.replaced, self._sid, self.modified = self.sid, secrets.token_urlsafe(32), True


class ServerSessionInterface(SessionInterface):
    def __init__(self, store):
        self.store = store

    def open_session(self, app, request):
        if "HTTP_COOKIE" not in request.environ:
            return ServerSession(new=True)  # an API call with a token: no cookies to parse
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and len(sid) <= 128:
            try:
                data = self.store.load(session_key(sid))
            except Exception as exc:  # the store is down: serve the page signed out, never fail it
                self.store.outage.failed("sessions (pages served signed out)", exc)
                data = None
            else:
                self.store.outage.ok()
            if data is not None:
                return ServerSession(data, sid=sid)
        return ServerSession(new=True)

    def save_session(self, app, session, response):
        name, domain, path = (
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
        )
        try:
            if session.replaced:
                self.store.delete(session_key(session.replaced))
            if not session:
                if not session.new:
                    self.store.delete(session_key(session.sid))
                    response.delete_cookie(name, domain=domain, path=path)
                return
            if not (session.modified or self.should_set_cookie(app, session)):
                return
            self.store.save(session_key(session.sid), dict(session), app.permanent_session_lifetime)
        except Exception as exc:  # the page still answers; the session is simply not kept
            self.store.outage.failed("sessions (not kept)", exc)
            return
        response.set_cookie(
            name,
            session.sid,
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


def init_sessions(app, redis_client) -> None:
    store = (
        RedisStore(redis_client, app.config.get("REDIS_KEY_PREFIX", "dm"))
        if redis_client is not None
        else DatabaseStore()
    )
    app.session_interface = ServerSessionInterface(store)
