"""Gunicorn settings for Dealer Mall: `gunicorn 'app:create_app()'` reads this file from here.

Chosen with `python -m bench.stack` on the 2-core machine that also runs PostgreSQL and Redis.
Each setting was compared with the one below in the same run, over 32 connections:

* 2 workers x 4 threads against 3 x 4: catalogue 1027 vs 811 requests/s, orders 239 vs 236.
* 2 workers x 4 threads against 2 x 8: catalogue 960 vs 870, orders 143 vs 214.
* 4 x 2 against 2 x 4: orders 291 vs 276 requests/s, but a p99 of 306 ms against 262.
* 6 x 1 against 2 x 4: orders 240 vs 248. Kept-alive connections queued behind busy workers,
  and the p99 went past 800 ms.

Checked again once bench.stack stopped replaying warm-up keys in its measured runs
(`--workers 4 --threads 2` runs Dealer Mall at 4 x 2 beside this file's 2 x 4):

* 4 x 2 against 2 x 4, two runs: orders 392 vs 394 and 338 vs 343 requests/s, p99 128 vs 166 ms
  and then 230 vs 194 ms; catalogue 1526 vs 1575 and 1398 vs 1286. No clear winner, and four
  workers hold twice the memory (4 x 92 MiB).

Short runs on this machine swing by a third, so no alternative beat 2 x 4 clearly on both
paths and on p99. One worker per core keeps the cores for Python and PostgreSQL rather than context
switches. Threads let a request wait on the database without holding a core.

Set DATABASE_POOL_SIZE to at least the thread count. On a bigger machine, raise WEB_CONCURRENCY
to the number of cores first.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Restart a worker now and then, so that a slow leak in a library cannot grow without bound, but
# rarely: at a fair's 800 requests/s a worker, 20,000 restarted each one every 25 s, and a new
# worker starts with an empty catalogue cache (catalogue 1146 against 1629 requests/s in the run
# where one did). A million is about 20 minutes at that rate, days on an ordinary one.
max_requests = 1_000_000
max_requests_jitter = 100_000
