"""Log lines an operator can follow: the request id of the work in hand, and the process's log
format (JSON lines in production, one object a line, or plain text).

The web app sets the request id for each request (app/observability.py); the hand-off carries it
with each outbox item into the worker, which sets it again while it delivers that item, so one
id finds a dealer's order, its notification and its webhook in every process's log.
"""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

# What a request id from outside (nginx's $request_id, a client's X-Request-ID) may look like;
# anything else is replaced by one of ours, so a log line never carries a client's text.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    # 32 hex digits as uuid4().hex gave, for a fifth of its cost: an id names a request in the
    # logs and guards nothing, so it needs no secure randomness.
    return f"{random.getrandbits(128):032x}"


def accepted_request_id(given: str | None) -> str:
    """The id a request arrived with when it is well formed, else a new one."""
    return given if given and _ACCEPTED_ID.fullmatch(given) else new_request_id()


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None):
    """Set the id for what this thread does next; returns the token to reset it with."""
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Work done inside logs under `request_id` (a task carrying its request's id)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id (None outside a request or its tasks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d"


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, process,
    and whatever a call passed in `extra` (the request lines' method, path, status ...)."""
    formatter = JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        json_ensure_ascii=False,
    )
    formatter.converter = time.gmtime
    return formatter


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


_configured: dict[str, logging.Handler] = {}


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Send the process's log records to stderr in `log_format` ("json" or "text"); "" leaves
    logging alone (the tests: pytest captures it). Safe to call again: one handler a process."""
    if not log_format:
        return
    formatter = json_formatter() if log_format == "json" else text_formatter()
    root = logging.getLogger()
    handler = _configured.get("root")
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        _configured["root"] = handler
    handler.setFormatter(formatter)
    root.setLevel(level.upper())
    # huey's consumer gives the "huey" logger a text handler of its own as it starts: from here
    # on its lines go through ours, in the same format, once.
    huey = logging.getLogger("huey")
    for theirs in list(huey.handlers):
        huey.removeHandler(theirs)
