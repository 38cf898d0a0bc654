"""A cron schedule for the tests of the worker's own cron (RQ_WORKER_CRON): one job a second."""

from rq import cron

from tests.reliability.jobs import cron_tick

cron.register(cron_tick, "default", args=("cron-ticks",), interval=1, name="tick", result_ttl=60)
