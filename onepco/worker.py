"""The RQ worker onepco runs: jobs in the worker's own process, no fork per job.

RQ's default worker forks a "work horse" for every job. For onepco's jobs (an e-mail, a weekly
snapshot, an import) that fork and the fresh database connection each horse opens cost about
30 ms of CPU per job, measured by bench/ under a lead-signup load: on a 2-core VPS the worker
took a whole core from the web server. Here a job runs in the worker process itself, and the
database connection is handled as Django handles it around a request: dropped before and after
each job if it broke or outlived CONN_MAX_AGE, so a restarted PostgreSQL costs one job retry at
most, never a worker stuck on a dead connection.

What the fork bought, and why it is not needed here: isolation from a job that leaks memory or
crashes the interpreter. onepco's jobs are short and ours; bench/ measures the worker's memory
after the load (RSS target 150 MB), and compose restarts the worker if it ever dies. A job that
runs too long is still stopped by RQ's timeout (SIGALRM in this process).
"""

import os

from django.conf import settings
from django.db import close_old_connections, connections
from rq import SimpleWorker, worker_registration
from rq.job import JobStatus

from onepco.lifetime import die_with_parent

# How long an idle worker may stay silent, in seconds. RQ waits WORKER_TTL - 15 s for a job
# between two heartbeats (its default, 420 s, would hide a dead worker for 8 minutes), so a
# worker whose last heartbeat is older than this is dead: console.health counts it so.
WORKER_TTL = 60

_scheduler_dies_with_worker = False


def _close_stale_connections(*, all_of_them: bool = False) -> None:
    # Inside a transaction (a test running jobs within its own transaction) the connection is
    # the caller's to manage: leave it alone.
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return
    if all_of_them:
        connections.close_all()
    else:
        close_old_connections()


class Worker(SimpleWorker):
    def __init__(self, *args, **kwargs) -> None:
        kwargs["worker_ttl"] = min(kwargs.get("worker_ttl") or WORKER_TTL, WORKER_TTL)
        super().__init__(*args, **kwargs)

    def work(self, *args, **kwargs) -> bool:
        global _scheduler_dies_with_worker
        if kwargs.get("with_scheduler") and not kwargs.get("burst") and not _scheduler_dies_with_worker:
            # `--with-scheduler` forks RQ's scheduler: it stops when this worker dies, however
            # it dies, instead of running on alone.
            os.register_at_fork(after_in_child=die_with_parent)
            _scheduler_dies_with_worker = True
        # Background work yields the CPU to web requests: on a small VPS a burst of signups
        # is answered first and its e-mails follow a moment later (RQ_WORKER_NICE, 0 = off).
        wanted = settings.RQ_WORKER_NICE - os.nice(0)
        if wanted > 0:
            os.nice(wanted)
        return super().work(*args, **kwargs)

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        super().heartbeat(timeout, pipeline=pipeline)
        if pipeline is None and self.birth_date and not self.connection.hexists(self.key, "birth"):
            # Redis came back without its data (restarted, flushed): the heartbeat alone would
            # leave a worker nobody can see, so it registers again as it did at start.
            self.log.info("Worker %s: Redis lost its registration, registering again", self.name)
            with self.connection.pipeline() as registering:
                registering.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, registering)
                registering.expire(self.key, timeout or self.worker_ttl + 60)
                registering.execute()

    def execute_job(self, job, queue) -> None:
        _close_stale_connections()
        try:
            super().execute_job(job, queue)
        finally:
            # After a failure (a timeout's signal may have hit in the middle of a query) the
            # connection is not trusted with the next job.
            _close_stale_connections(all_of_them=job.get_status(refresh=False) != JobStatus.FINISHED)
