"""onepco's RQ worker runs jobs in its own process and survives a dropped database connection."""

import os

import pytest
from django.db import connection
from rq.job import JobStatus

from onepco import outbox
from onepco.worker import Scheduler, Worker

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    """A job: the PostgreSQL backend serving this process, and the process it ran in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0], os.getpid()


def _run_one():
    queue = outbox.get_queue()
    job = queue.enqueue(backend_pid)
    Worker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    job.refresh()
    return job


def test_jobs_run_in_the_worker_process_and_reuse_its_connection():
    first, second = _run_one(), _run_one()
    assert first.get_status() == second.get_status() == JobStatus.FINISHED
    assert first.return_value()[1] == os.getpid()  # no fork
    assert first.return_value()[0] == second.return_value()[0]  # one connection, kept


def test_a_job_after_the_database_dropped_the_connection_reconnects_and_succeeds():
    first = _run_one()
    killed_pid = first.return_value()[0]
    # From a connection of its own, as a PostgreSQL restart would end that backend.
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        assert other.execute("SELECT pg_terminate_backend(%s)", [killed_pid]).fetchone()[0] is True
    finally:
        other.close()

    second = _run_one()

    assert second.get_status() == JobStatus.FINISHED, second.latest_result()
    assert second.return_value()[0] != killed_pid


def test_the_scheduler_inside_the_worker_reads_the_real_schedule_and_enqueues_what_is_due():
    """RQ_WORKER_CRON=console/cron.py (the small profile): the same entries as `rqcron
    console/cron.py` reads; a first tick enqueues every interval entry at once, as rqcron's
    first loop does, and no entry whose cron time has not come."""
    from rq.cron import CronScheduler

    queue = outbox.get_queue()
    scheduler = Scheduler([queue], connection=queue.connection, cron_config="console/cron.py")
    scheduler.load_cron()
    rqcron = CronScheduler(connection=queue.connection)
    rqcron.load_config_from_file("console/cron.py")
    schedule = {job.name: (job.func_name, job.interval, job.cron) for job in rqcron.get_jobs()}
    assert {
        job.name: (job.func_name, job.interval, job.cron) for job in scheduler.cron.get_jobs()
    } == schedule

    scheduler.cron_tick()

    every = {func for func, interval, _cron in schedule.values() if interval}
    assert {f"{job.func.__module__}.{job.func.__name__}" for job in queue.get_jobs()} == every
    assert "dashboard.jobs.snapshot_last_week" not in every  # Mondays 00:30 only
    [registered] = CronScheduler.all(connection=queue.connection)
    assert registered.name == scheduler.cron.name and registered.last_heartbeat is not None


def test_a_failing_cron_tick_is_logged_and_the_scheduler_goes_on(caplog, monkeypatch):
    import redis

    queue = outbox.get_queue()
    scheduler = Scheduler([queue], connection=queue.connection, cron_config="console/cron.py")
    scheduler.load_cron()
    monkeypatch.setattr(
        scheduler.cron, "enqueue_jobs", lambda: (_ for _ in ()).throw(redis.ConnectionError("away"))
    )

    scheduler.cron_tick()  # does not raise

    assert "enqueueing failed" in caplog.text
    monkeypatch.undo()
    scheduler.cron_tick()
    assert queue.count > 0
