"""onepco's RQ worker runs jobs in its own process and survives a dropped database connection."""

import os

import pytest
from django.db import connection
from rq.job import JobStatus

from onepco import outbox
from onepco.worker import Worker

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
