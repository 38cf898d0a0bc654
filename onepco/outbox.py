"""The transactional outbox: follow-up work that survives Redis outages and crashes.

    with transaction.atomic():
        lead = Lead.objects.create(...)
        outbox_enqueue(send_new_lead_email, lead.pk)

The row commits with the lead or not at all. After commit the fast path hands it to RQ; if
Redis is away the row waits and `outbox_sweep` (RQ cron every minute, or `manage.py
outbox_relay` from system cron) relays it later. The job, `outbox_run`, locks the row and
runs the target only if the row is not completed yet, so a row relayed twice still runs once.
Targets take JSON-serialisable arguments (ids, not objects) and must be idempotent anyway.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import cache, partial

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from onepco.models import OutboxMessage

log = logging.getLogger(__name__)

QUEUE_NAME = "default"
# Retries are spaced so that a short SMTP or provider outage is ridden out.
RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


@cache
def redis_connection() -> redis.Redis:
    """A connection that fails fast: a web request must never hang on Redis."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


def get_queue(name: str = QUEUE_NAME) -> Queue:
    return Queue(name, connection=redis_connection())


def job_path(job: Callable | str) -> str:
    return job if isinstance(job, str) else f"{job.__module__}.{job.__qualname__}"


def outbox_enqueue(job: Callable | str, *args, **kwargs) -> OutboxMessage:
    """Record a follow-up job in the current transaction; it is relayed after commit."""
    message = OutboxMessage.objects.create(job=job_path(job), args=list(args), kwargs=kwargs)
    transaction.on_commit(partial(outbox_relay_fresh, message.pk))
    return message


def outbox_relay_fresh(pk: int) -> bool:
    """The after-commit fast path for a row just written: enqueue, then mark it in one UPDATE.

    No lock is needed here: nobody else relays a row this young (the sweep waits
    OUTBOX_SWEEP_AFTER_SECONDS), RQ keeps one job per job id, and `outbox_run` runs a row once
    whatever reaches it. This saves the web request a transaction on its hot path.
    """
    try:
        get_queue().enqueue(outbox_run, pk, job_id=f"outbox-{pk}", retry=RETRY)
    except redis.RedisError as exc:
        log.warning("outbox: row %s waits for Redis (%s)", pk, exc)
        OutboxMessage.objects.filter(pk=pk).update(last_error=f"relay: {exc}"[:1000])
        return False
    OutboxMessage.objects.filter(pk=pk).update(
        relayed_at=timezone.now(), relay_attempts=F("relay_attempts") + 1
    )
    return True


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


def _job_is_alive(message: OutboxMessage) -> bool:
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
    waiting = Q(relayed_at__isnull=True) & Q(
        created_at__lte=now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    )
    stale = Q(relayed_at__lte=now - timedelta(seconds=settings.OUTBOX_STALE_AFTER_SECONDS))
    relayed = 0
    candidates = OutboxMessage.objects.filter(completed_at__isnull=True).filter(waiting | stale)
    for message in candidates.order_by("created_at")[:1000]:
        if message.relayed_at is not None and _job_is_alive(message):
            continue
        if outbox_relay_one(message.pk):
            relayed += 1
        elif message.relayed_at is None:
            break  # Redis is away: the rest waits for the next sweep
    return relayed


def outbox_run(pk: int) -> str:
    """The RQ job: run a row's target once, under a lock on the row."""
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update().filter(pk=pk).first()
            if message is None:
                return "missing"
            if message.completed_at is not None:
                return "already done"
            target = import_string(message.job)
            target(*message.args, **message.kwargs)
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
