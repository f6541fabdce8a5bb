"""Gunicorn settings for Dealer Mall: `gunicorn 'app:create_app()'` reads this file from here.

Two workers of four threads (gthread), chosen with `python -m bench.stack` on the 2-core machine
that also runs PostgreSQL and Redis: no other split of workers and threads beat it clearly on both
hot paths and on p99, and more workers hold more memory (the runs: docs/performance.md). One
worker per core keeps the cores for Python and PostgreSQL rather than context switches. Threads
let a request wait on the database without holding a core.

Set DATABASE_POOL_SIZE to at least the thread count. On a bigger machine, raise WEB_CONCURRENCY
to the number of cores first.
"""

import os
from pathlib import Path

from gunicorn.glogging import Logger

from app.logs import json_formatter
from config import get_config

settings = get_config()

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Restart a worker now and then, so that a slow leak in a library cannot grow without bound, but
# rarely even at a fair's rate: a new worker starts with an empty catalogue cache, and the
# catalogue slows while it refills (docs/performance.md).
max_requests = 1_000_000
max_requests_jitter = 100_000

# Which proxies to believe is decided once, by the app (TRUSTED_PROXY_COUNT, werkzeug's ProxyFix):
# gunicorn itself takes no X-Forwarded-Proto from anyone.
forwarded_allow_ips = ""
# Nothing here uses gunicorn's control socket, and two nodes on one host would share its path.
control_socket_disable = True


class JsonLogger(Logger):
    """Gunicorn's own lines (start, worker exits, timeouts) as JSON, like the app's."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(json_formatter())


if settings.LOG_FORMAT == "json":
    logger_class = JsonLogger


# Workers count requests in PROMETHEUS_MULTIPROC_DIR (the systemd unit sets it) and /metrics adds
# them up: start with it empty, and let go of an exited worker's live gauges.
def on_starting(server):
    folder = settings.PROMETHEUS_MULTIPROC_DIR
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for left_over in Path(folder).glob("*.db"):
            left_over.unlink()


def child_exit(server, worker):
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, settings.PROMETHEUS_MULTIPROC_DIR)
