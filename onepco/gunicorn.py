"""gunicorn's settings in production: `gunicorn onepco.wsgi -c onepco/gunicorn.py` (compose and
the Dockerfile). bench/ runs the same file, so what is measured is what runs.

Why these values (bench/NOTES.md has the measurements):
- gthread: two processes of four threads. A sync worker is held by one connection until its
  request has arrived, so clients that connect and wait (a slow phone, a browser's
  pre-connect) stall it; gthread parks idle connections in a poller. Threads also cost far less
  memory than processes on a 1 GB machine.
- preload: the app, the views, the payment SDKs (`import stripe` alone takes 0.5 s) and the
  translations load once in the master; workers fork ready, sharing those pages.
  WEB_PRELOAD=false (the small profile, one worker process): the worker loads the app itself
  and the master stays a bare gunicorn (~17 MB). With one worker nothing is shared anyway: the
  worker's writes copy the master's pages (reference counts), so a preloading master grew to
  ~70 MB of its own beside its worker (bench/RESULTS.md). The price: a recycled worker (see
  max-requests) takes the app's import time, a few seconds, before it answers.
- max-requests: recycle a worker now and then as a guard against slow leaks, rarely enough
  that a busy day does not pay for the restarts.
"""

import os

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
preload_app = os.environ.get("WEB_PRELOAD", "true").lower() not in ("false", "0", "no")
timeout = 30
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"


def post_fork(server, worker) -> None:
    """Each worker opens its own Redis connections rather than carry the preloading master's
    sockets (redis-py would reset an inherited pool on first use in the child anyway). The
    bench's rare 500 on a worker's first requests was threads building clients at once
    (`onepco.outbox.redis_connection`, now built under a lock). Without preload the worker
    inherits nothing and Django is not loaded yet."""
    if not server.cfg.preload_app:
        return
    from onepco import outbox  # noqa: PLC0415 - the config file loads before Django is set up

    outbox.redis_connection.cache_clear()
    from django.core.cache import caches  # noqa: PLC0415

    for cache in caches.all(initialized_only=True):
        cache.close()
