"""Gunicorn settings for Dealer Mall (read by `gunicorn 'app:create_app()'` from this directory)."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
