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

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Restart a worker now and then, so that a slow leak in a library cannot grow without bound, but
# rarely even at a fair's rate: a new worker starts with an empty catalogue cache, and the
# catalogue slows while it refills (docs/performance.md).
max_requests = 1_000_000
max_requests_jitter = 100_000
