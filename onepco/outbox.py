"""The transactional outbox: follow-up work that survives Redis outages and crashes.

    with transaction.atomic():
        lead = Lead.objects.create(...)
        outbox_enqueue(send_new_lead_email, lead.pk)

The row commits with the lead or not at all. After commit the fast path wakes `outbox_drain`,
one RQ job that runs every row handed over; if Redis is away the row waits and `outbox_sweep`
(RQ cron every minute, or `manage.py outbox_relay` from system cron) relays it later, as a job
of its own (`outbox_run`, with RQ's retries); the sweep also wakes a drain for rows whose
wake-up was lost. `outbox_run` locks the row and runs the target only if the row is not
completed yet, so a row relayed twice completes once. A crash between the target's effect (an
e-mail sent) and its commit repeats the effect: targets take JSON-serialisable arguments (ids,
not objects) and should be idempotent where they can.
"""

import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from contextvars import ContextVar
from datetime import timedelta
from functools import partial

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import BaseTimeoutException

from onepco.models import OutboxMessage

log = logging.getLogger(__name__)

QUEUE_NAME = "default"
# Retries are spaced so that a short SMTP or provider outage is ridden out.
RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])
# Set while an `outbox_drain` job is queued and not yet started; expires in case it is lost.
DRAIN_FLAG = "onepco:outbox:drain-queued"
DRAIN_FLAG_SECONDS = 60
# A drain stops taking rows after this long and hands the rest to a fresh one; RQ stops it at
# DRAIN_JOB_TIMEOUT whatever it is doing (a single slow row: an export, a snapshot).
DRAIN_SECONDS = 60
DRAIN_JOB_TIMEOUT = 600


# The outbox row whose job is running now, for what the job records (onepco.notify's deliveries).
running_message: ContextVar[int | None] = ContextVar("outbox_running_message", default=None)


class _ProcessRedis:
    """`redis_connection()`: the process's one Redis client, failing fast: a web request must
    never hang on Redis (a web process has REDIS_WEB_TIMEOUT, the worker and commands the longer
    REDIS_SOCKET_* timeouts). `redis_connection.cache_clear()` drops it (settings changed, a fork).

    Built under a lock. With `functools.cache` alone, threads calling it first at once each built
    a client, and a client made by `from_url` closes its pool when it is garbage-collected, under
    the pipeline another thread was still reading: the bench's rare 500 on a worker's first
    requests (tests/reliability/test_redis_first_use.py)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: redis.Redis | None = None

    def __call__(self) -> redis.Redis:
        client = self._client  # every request asks: no lock once it is built
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=settings.REDIS_SOCKET_CONNECT_TIMEOUT,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                )
            return self._client

    def cache_clear(self) -> None:
        with self._lock:
            self._client = None


redis_connection = _ProcessRedis()


def get_queue(name: str = QUEUE_NAME) -> Queue:
    return Queue(name, connection=redis_connection())


def job_path(job: Callable) -> str:
    # Jobs are named by the function itself, never by a string that a rename would not update.
    return f"{job.__module__}.{job.__qualname__}"


def outbox_enqueue(job: Callable, *args, **kwargs) -> OutboxMessage:
    """Record a follow-up job in the current transaction; it is relayed after commit."""
    message = outbox_message(job, *args, **kwargs)
    message.save()
    outbox_relay_after_commit(message.pk)
    return message


def outbox_message(job: Callable, *args, **kwargs) -> OutboxMessage:
    """An unsaved row, for a caller that writes it together with its data in one statement
    (then calls `outbox_relay_after_commit` with its id)."""
    # Marked relayed when written: the after-commit fast path almost always succeeds, and
    # marking it afterwards would cost the request a second commit (a WAL flush). If the hand-off
    # fails the mark is taken back at once; if the process dies in between, the sweep wakes a
    # drain for the row once it is OUTBOX_SWEEP_AFTER_SECONDS old.
    return OutboxMessage(
        job=job_path(job), args=list(args), kwargs=kwargs, relayed_at=timezone.now(), relay_attempts=1
    )


def outbox_relay_after_commit(pk: int) -> None:
    # robust: whatever goes wrong in the hand-off, the committed write still gets its answer
    # (the sweep catches the row later).
    transaction.on_commit(partial(outbox_relay_fresh, pk), robust=True)


def outbox_relay_fresh(pk: int) -> bool:
    """The after-commit fast path for a row just written (and marked relayed): wake the drain.

    One `outbox_drain` job runs every row handed over this way, so a burst of signups costs
    RQ one job, not one per row (bench/ measured RQ's per-job bookkeeping at several ms of CPU
    on each side). The flag makes waking it one Redis command while a drain is already queued.
    No lock and no database write are needed: only a failed hand-off writes, taking the mark
    back so that the sweep relays the row once Redis is back.
    """
    try:
        outbox_drain_wake()
    except redis.RedisError as exc:
        log.warning("outbox: row %s waits for Redis (%s)", pk, exc)
        OutboxMessage.objects.filter(pk=pk).update(relayed_at=None, last_error=f"relay: {exc}"[:1000])
        return False
    return True


def outbox_drain_wake() -> None:
    """Queue an `outbox_drain` unless one is queued already (the flag says so)."""
    connection = redis_connection()
    if connection.set(DRAIN_FLAG, "1", nx=True, ex=DRAIN_FLAG_SECONDS):
        try:
            get_queue().enqueue(outbox_drain, retry=RETRY, job_timeout=DRAIN_JOB_TIMEOUT)
        except redis.RedisError:
            # Not queued after all: drop the flag, or every row for a minute would wait for
            # a drain that never comes (the sweep wakes one in any case; this is sooner).
            with suppress(redis.RedisError):
                connection.delete(DRAIN_FLAG)
            raise


def _handed_to_drain():
    """Rows the fast path marked and nothing else has relayed since (attempt 1, no error)."""
    return OutboxMessage.objects.filter(
        completed_at__isnull=True, relayed_at__isnull=False, relay_attempts=1, last_error=""
    )


def outbox_drain(batch: int = 100) -> int:
    """The RQ job woken by the fast path: run every row it handed over, oldest first.

    Each row runs in its own transaction under its own lock (`outbox_run`), so a killed drain
    leaves finished rows finished and the rest for its retry. A row that fails is handed to a
    job of its own, with RQ's retries and failed registry from there on; the drain goes on.
    After DRAIN_SECONDS it hands what is left to a fresh drain, so that one busy drain never
    holds the worker (other jobs queue behind it) or runs into its own timeout. Returns the
    number of rows it ran.
    """
    # Cleared first: a row committed from here on wakes another drain instead of being missed.
    redis_connection().delete(DRAIN_FLAG)
    deadline = time.monotonic() + DRAIN_SECONDS
    ran, after = 0, 0
    while pks := list(
        _handed_to_drain().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch]
    ):
        for pk in pks:
            if time.monotonic() > deadline:
                outbox_drain_wake()
                return ran
            try:
                ran += outbox_run(pk, skip_locked=True) == "done"
            except BaseTimeoutException:
                # RQ's timeout fires once: give the row its own job, then let the drain stop.
                outbox_relay_one(pk)
                raise
            except Exception:
                log.exception("outbox: row %s failed in the drain; it gets a job of its own", pk)
                outbox_relay_one(pk)
        after = pks[-1]
    return ran


def outbox_relay_one(pk: int) -> bool:
    """Hand one row to RQ. False (and the row waits for the sweep) when Redis is away."""
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, completed_at__isnull=True)
                .first()
            )
            if message is None:
                return False  # done already, or another relay holds it right now
            get_queue().enqueue(outbox_run, message.pk, job_id=message.rq_job_id, retry=RETRY)
            message.relayed_at = timezone.now()
            message.relay_attempts += 1
            message.last_error = ""
            message.save(update_fields=["relayed_at", "relay_attempts", "last_error"])
        return True
    except redis.RedisError as exc:
        log.warning("outbox: row %s waits for Redis (%s)", pk, exc)
        OutboxMessage.objects.filter(pk=pk).update(last_error=f"relay: {exc}"[:1000])
        return False


def outbox_job_alive(message: OutboxMessage) -> bool:
    try:
        job = Job.fetch(message.rq_job_id, connection=redis_connection())
    except NoSuchJobError:
        return False
    return job.get_status() not in (JobStatus.CANCELED, JobStatus.STOPPED, None)


def outbox_sweep() -> int:
    """Relay rows the fast path missed, and rows whose RQ job vanished (Redis lost its data).

    A row whose job failed for good stays in RQ's failed registry for the founder to see and
    retry; it is not relayed again behind their back.
    """
    now = timezone.now()
    settled = Q(created_at__lte=now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS))
    waiting = Q(relayed_at__isnull=True) & settled
    stale = Q(relayed_at__lte=now - timedelta(seconds=settings.OUTBOX_STALE_AFTER_SECONDS))
    if _handed_to_drain().filter(settled).exists():
        # Handed to a drain that never came (its process died after the commit, or the wake-up
        # was lost with Redis): wake one. A drain already queued holds the flag; this is a no-op.
        with suppress(redis.RedisError):
            outbox_drain_wake()
    relayed = 0
    candidates = OutboxMessage.objects.filter(completed_at__isnull=True).filter(waiting | stale)
    for message in candidates.order_by("created_at")[:1000]:
        if message.relayed_at is not None and outbox_job_alive(message):
            continue
        if outbox_relay_one(message.pk):
            relayed += 1
        elif message.relayed_at is None:
            break  # Redis is away: the rest waits for the next sweep
    return relayed


def outbox_run(pk: int, *, skip_locked: bool = False) -> str:
    """The RQ job: run a row's target once, under a lock on the row.

    With skip_locked (the drain) a row that someone else is running right now is left to them.
    """
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=skip_locked).filter(pk=pk).first()
            if message is None:
                return "missing or held by another job" if skip_locked else "missing"
            if message.completed_at is not None:
                return "already done"
            target = import_string(message.job)
            token = running_message.set(message.pk)
            try:
                target(*message.args, **message.kwargs)
            finally:
                running_message.reset(token)
            message.completed_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["completed_at", "last_error"])
    except Exception as exc:
        # The work rolled back; keep the reason on the row for the founder, then let RQ retry.
        OutboxMessage.objects.filter(pk=pk).update(last_error=f"{type(exc).__name__}: {exc}"[:1000])
        raise
    return "done"


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(completed_at__isnull=True).count()
