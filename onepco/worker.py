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

The scheduler and the cron schedule inside the worker (RQ_WORKER_CRON, the small profile):
`--with-scheduler` normally forks RQ's scheduler (delayed jobs and retries to the queue, once a
second), and `manage.py rqcron` is a process of its own; measured by bench/, the fork held
~60 MB of its own (Python's garbage collector and reference counts copy the shared pages) and
rqcron ~75 MB. With RQ_WORKER_CRON naming the schedule (console/cron.py) both run in one thread
of the worker instead: RQ's scheduler steps, then the cron's, once a second. Neither needs
the database or a signal: job timeouts (SIGALRM) stay the main thread's, and nothing forks
this process afterwards (the jobs run in it; subprocesses exec at once). Only the scheduler
that holds RQ's scheduler lock runs the cron, so a second worker never enqueues it twice.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connections
from django_rq.cron import DjangoCronScheduler
from rq import SimpleWorker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.job import JobStatus
from rq.scheduler import RQScheduler

from onepco.lifetime import die_with_parent

# How long an idle worker may stay silent, in seconds. RQ waits WORKER_TTL - 15 s for a job
# between two heartbeats (its default, 420 s, would hide a dead worker for 8 minutes), so a
# worker whose last heartbeat is older than this is dead: console.health counts it so.
WORKER_TTL = 60

_scheduler_dies_with_worker = False
# How often the cron inside RQ's scheduler tells Redis it is alive (console.health reads it; RQ's
# own rqcron beats at least once a minute).
CRON_HEARTBEAT_SECONDS = 15

log = logging.getLogger(__name__)


def _close_stale_connections(*, all_of_them: bool = False) -> None:
    # Inside a transaction (a test running jobs within its own transaction) the connection is
    # the caller's to manage: leave it alone.
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return
    if all_of_them:
        connections.close_all()
    else:
        close_old_connections()


class Scheduler(RQScheduler):
    """RQ's scheduler run in a thread of the worker instead of a forked process, and running
    the cron schedule `cron_config` (a path or module, as `manage.py rqcron` takes) beside
    RQ's delayed jobs and retries while it holds RQ's scheduler lock. RQ's own steps (locks,
    heartbeat, enqueueing what is due, stopping) in RQ's order, once a second; a failure (Redis
    away) is logged and the next second tries again, so neither dies with one error."""

    def __init__(self, *args, cron_config: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cron_config = cron_config
        self.cron: DjangoCronScheduler | None = None
        self._cron_beat = 0.0
        self._wake = threading.Event()

    def start(self) -> threading.Thread:
        self._status = self.Status.STARTED
        self._stop_requested = False
        self._wake.clear()
        thread = threading.Thread(target=self.work, name="rq-scheduler", daemon=True)
        # RQ's worker asks `_process.is_alive()` to restart a dead scheduler: a thread answers.
        self._process = thread  # type: ignore[assignment]
        thread.start()
        return thread

    def stop_thread(self, timeout: float = 10) -> None:
        """What SIGTERM is to RQ's forked scheduler: stop after this second's steps."""
        self._stop_requested = True
        self._wake.set()
        thread = self._process
        if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
            thread.join(timeout)

    def load_cron(self) -> None:
        """The schedule, read as `manage.py rqcron` reads it."""
        self.cron = DjangoCronScheduler(connection=self.connection)
        self.cron.load_config_from_file(self.cron_config)

    def work(self) -> None:
        if self.cron_config and self.cron is None:
            self.load_cron()
        try:
            self.register_birth()
            while not self._stop_requested:
                try:
                    if self.should_reacquire_locks:
                        self.acquire_locks()
                    self.heartbeat()
                    self.enqueue_scheduled_jobs()
                except Exception:  # Redis away: the next second tries again
                    log.exception("RQ scheduler in the worker: a step failed, trying again")
                self._wake.wait(self.interval)
        finally:
            try:
                self.stop()
                if self.cron is not None:
                    self.cron.register_death()
            except Exception:  # Redis away at shutdown: the registrations expire by themselves
                log.exception("RQ scheduler in the worker: could not say it stopped")

    def enqueue_scheduled_jobs(self) -> None:
        super().enqueue_scheduled_jobs()
        if self.cron is not None and self.acquired_locks:
            self.cron_tick()

    def cron_tick(self) -> None:
        """What `rqcron`'s loop does, once: enqueue the due jobs, save their times, beat. A
        failure is logged and tried again next second."""
        assert self.cron is not None
        try:
            if not self._cron_beat:
                self.cron.register_birth()
            if self.cron.enqueue_jobs():
                self.cron.save()
            if time.monotonic() - self._cron_beat >= CRON_HEARTBEAT_SECONDS:
                self.cron.heartbeat()
                self._cron_beat = time.monotonic()
        except Exception:  # a cron job's options or Redis: the scheduler goes on
            log.exception("cron schedule %s: enqueueing failed, trying again", self.cron_config)


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

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ's own (rq.worker.base), with onepco's Scheduler when the worker also runs the
        cron schedule (RQ_WORKER_CRON); without it, RQ's code unchanged."""
        if not settings.RQ_WORKER_CRON:
            super()._start_scheduler(burst, logging_level, date_format, log_format)
            return
        self.scheduler = Scheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
            cron_config=settings.RQ_WORKER_CRON,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def stop_scheduler(self) -> None:
        if isinstance(self.scheduler, Scheduler):
            self.scheduler.stop_thread()
        else:
            super().stop_scheduler()

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
