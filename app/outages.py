"""Outages of a dependency (Redis), logged once when they start (with what failed) and once when
they end (with how long they lasted), instead of a traceback for every request that met them.

Each call site that talks to the dependency reports `failed(what, exc)` when a call fails and
`ok()` when one succeeds; the state is per process (each worker logs its own outage once).

A call answered just before the dependency went away can report its success after another
thread's first failure: such a success is not the end of the outage. A success ends it only once
no call has failed for `SETTLE` seconds (the end is then logged by the first success after that).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Outage:
    """Whether a dependency is away in this process, since when, and how often it failed since."""

    SETTLE = 0.5  # seconds without a failure before a success ends an outage

    def __init__(self, name: str, settle: float = SETTLE):
        self.name = name
        self.settle = settle
        self._since: float | None = None  # time.monotonic() of the first failure
        self._last_failure = 0.0
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, what: str, exc: BaseException) -> None:
        """A call failed: the first failure of an outage is logged, the rest only counted."""
        with self._lock:
            self._failures += 1
            self._last_failure = time.monotonic()
            if self._since is not None:
                return
            self._since = self._last_failure
        log.error(
            "%s unavailable (outage begins): %s failed: %s: %s",
            self.name,
            what,
            type(exc).__name__,
            exc,
        )

    def ok(self) -> None:
        """A call succeeded: if an outage was going on and no call failed in the last `settle`
        seconds, it is over (logged once, with how long it lasted); a success sooner than that may
        be a call answered before the outage began. Costs one attribute read when nothing was
        wrong."""
        if self._since is None:
            return
        with self._lock:
            now = time.monotonic()
            if self._since is None or now - self._last_failure < self.settle:
                return
            lasted, failures = now - self._since, self._failures
            self._since, self._failures = None, 0
        log.warning(
            "%s available again (outage over) after %.1f s; %d calls failed meanwhile",
            self.name,
            lasted,
            failures,
        )


_outages: dict[str, Outage] = {}
_registry_lock = threading.Lock()


def of(name: str) -> Outage:
    """The one Outage of a dependency in this process, shared by every call site."""
    found = _outages.get(name)
    if found is None:
        with _registry_lock:
            found = _outages.setdefault(name, Outage(name))
    return found


redis = of("redis")
