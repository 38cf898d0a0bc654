"""The small profile's worker runs RQ's scheduler and the cron schedule itself (RQ_WORKER_CRON),
in a thread instead of a forked process and a separate rqcron: through RQ's real worker,
scheduler and cron code, in a `manage.py rqworker` of its own."""

import signal
import subprocess
import sys
from datetime import timedelta

import psutil
from rq.cron import CronScheduler

from console.health import OK, check_scheduler
from onepco import outbox
from tests.processes import wait_until
from tests.reliability.conftest import ROOT, child_env
from tests.reliability.jobs import cron_tick


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    return err.decode(errors="replace")


def test_the_worker_enqueues_the_cron_jobs_itself_and_runs_them(own_redis):
    redis = outbox.redis_connection()
    # A delayed job too: RQ's scheduler, in the same thread, still moves it to the queue.
    outbox.get_queue().enqueue_in(timedelta(seconds=1), cron_tick, "delayed")
    worker = start_worker(child_env(own_redis.url, RQ_WORKER_CRON="tests/reliability/cron_every_second.py"))
    try:
        wait_until(lambda: redis.llen("cron-ticks") >= 3, timeout=60, what="three cron runs")
        wait_until(lambda: redis.llen("delayed") == 1, timeout=10, what="the delayed job")
        # Run by the worker itself (jobs run in its process), enqueued once a second.
        assert {int(pid) for pid in redis.lrange("cron-ticks", 0, -1)} == {worker.pid}
        [cron] = CronScheduler.all(connection=redis)
        # Registered by the worker's own process, which forked nothing for it.
        assert cron.pid == worker.pid
        assert psutil.Process(worker.pid).children() == []
        assert [job.name for job in CronScheduler.fetch(cron.name, redis).get_jobs()] == ["tick"]
        assert check_scheduler().status == OK
    finally:
        log = stop(worker)
    assert worker.returncode == 0, log
    # The scheduler said it stopped: nothing is left registered to look alive.
    assert CronScheduler.all(connection=redis) == []
    assert redis.keys("rq:scheduler-lock:*") == []
    assert "Traceback" not in log and "enqueueing failed" not in log


def test_without_the_setting_the_worker_runs_no_cron(own_redis):
    """The default profile: the schedule is rqcron's, a process of its own; the worker's
    scheduler only moves delayed jobs and retries."""
    redis = outbox.redis_connection()
    outbox.get_queue().enqueue_in(timedelta(seconds=1), cron_tick, "delayed")
    worker = start_worker(child_env(own_redis.url, RQ_WORKER_CRON=""))
    try:
        # RQ's scheduler process, forked as RQ does, moved the delayed job to the queue...
        wait_until(lambda: redis.llen("delayed") == 1, timeout=60, what="the delayed job")
        assert len(psutil.Process(worker.pid).children()) == 1
        # ...and no cron schedule was registered or run beside it.
        assert CronScheduler.all(connection=redis) == []
    finally:
        stop(worker)
