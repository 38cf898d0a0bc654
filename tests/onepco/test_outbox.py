"""The outbox: follow-up work commits with its data, survives Redis outages, runs once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from onepco import outbox
from onepco.models import OutboxMessage
from onepco.worker import Worker as OnepcoWorker

pytestmark = pytest.mark.django_db(transaction=True)


def send_hello(to: str) -> None:
    """A stand-in follow-up job: sends one e-mail."""
    mail.send_mail("hello", "body", None, [to])


def explode(to: str) -> None:
    raise RuntimeError("SMTP said no")


def _drain() -> None:
    queue = outbox.get_queue()
    OnepcoWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


@pytest.fixture
def redis_switch(settings):
    """Turns the outbox's Redis off and on by pointing it at a port where nothing listens.

    The machine's shared Redis is never stopped; only this process loses sight of it.
    """
    real_url = settings.REDIS_URL
    settings.REDIS_SOCKET_CONNECT_TIMEOUT = 0.2

    def switch(up: bool) -> None:
        settings.REDIS_URL = real_url if up else "redis://127.0.0.1:1/0"
        outbox.redis_connection.cache_clear()

    return switch


def _age(message: OutboxMessage, seconds: int = 300) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_with_redis_unreachable_the_row_waits_and_is_relayed_exactly_once_later(redis_switch, mailoutbox):
    redis_switch(up=False)
    with transaction.atomic():
        message = outbox.outbox_enqueue(send_hello, "late@example.com")
    message.refresh_from_db()
    assert message.relayed_at is None
    assert "relay" in message.last_error
    _age(message)
    assert outbox.outbox_sweep() == 0  # still down: it keeps waiting

    redis_switch(up=True)
    assert outbox.outbox_sweep() == 1
    assert outbox.outbox_sweep() == 0  # relayed once, not twice
    _drain()
    _drain()
    assert [m.to for m in mailoutbox] == [["late@example.com"]]
    assert OutboxMessage.objects.get(pk=message.pk).completed_at is not None


def test_a_row_whose_job_vanished_from_redis_is_relayed_again(settings, mailoutbox):
    with transaction.atomic():
        message = outbox.outbox_enqueue(send_hello, "lost@example.com")
    outbox.redis_connection().flushdb()  # Redis restarted without persistence
    OutboxMessage.objects.filter(pk=message.pk).update(
        relayed_at=timezone.now() - timedelta(seconds=settings.OUTBOX_STALE_AFTER_SECONDS + 60)
    )
    assert outbox.outbox_sweep() == 1
    _drain()
    assert len(mailoutbox) == 1


def test_a_failing_job_rolls_back_keeps_its_reason_and_stays_unfinished():
    with transaction.atomic():
        message = outbox.outbox_enqueue(explode, "x@example.com")
    with pytest.raises(RuntimeError):
        outbox.outbox_run(message.pk)
    message.refresh_from_db()
    assert message.completed_at is None
    assert "SMTP said no" in message.last_error


def test_the_sweep_does_not_touch_a_fresh_row_that_the_fast_path_may_still_relay(settings):
    OutboxMessage.objects.create(job="tests.onepco.test_outbox.send_hello", args=["a@example.com"])
    assert outbox.outbox_sweep() == 0


def test_a_burst_of_rows_wakes_one_drain_job_that_runs_each_row_once(mailoutbox):
    for n in range(5):
        with transaction.atomic():
            outbox.outbox_enqueue(send_hello, f"burst{n}@example.com")
    queue = outbox.get_queue()
    assert [job.func_name for job in queue.jobs] == ["onepco.outbox.outbox_drain"]  # one job, not five

    _drain()
    _drain()

    assert sorted(m.to[0] for m in mailoutbox) == [f"burst{n}@example.com" for n in range(5)]
    assert not OutboxMessage.objects.filter(completed_at__isnull=True).exists()
    with transaction.atomic():
        outbox.outbox_enqueue(send_hello, "later@example.com")  # after the drain: a new one wakes
    assert [job.func_name for job in queue.jobs] == ["onepco.outbox.outbox_drain"]


def test_a_row_failing_in_the_drain_gets_a_job_of_its_own_with_retries_and_the_rest_run(mailoutbox):
    with transaction.atomic():
        failing = outbox.outbox_enqueue(explode, "x@example.com")
        outbox.outbox_enqueue(send_hello, "fine@example.com")

    assert outbox.outbox_drain() == 1

    assert [m.to for m in mailoutbox] == [["fine@example.com"]]
    failing.refresh_from_db()
    assert failing.completed_at is None and failing.relay_attempts == 2
    job = outbox.get_queue().fetch_job(failing.rq_job_id)
    assert job.get_status() == "queued" and job.retries_left == 5
    assert outbox.outbox_drain() == 0  # not picked up again by the next drain


def test_a_drain_past_its_time_budget_hands_the_rest_to_a_fresh_drain(monkeypatch, mailoutbox):
    with transaction.atomic():
        outbox.outbox_enqueue(send_hello, "a@example.com")
    outbox.redis_connection().flushdb()  # the drain the fast path queued is not this test's
    monkeypatch.setattr(outbox, "DRAIN_SECONDS", 0)

    assert outbox.outbox_drain() == 0

    assert [job.func_name for job in outbox.get_queue().jobs] == ["onepco.outbox.outbox_drain"]
    monkeypatch.setattr(outbox, "DRAIN_SECONDS", 60)
    _drain()
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def times_out(to: str) -> None:
    raise JobTimeoutException("Task exceeded maximum timeout value (600 seconds)")


def test_a_timeout_in_the_drain_gives_that_row_its_own_job_and_stops_the_drain():
    with transaction.atomic():
        slow = outbox.outbox_enqueue(times_out, "x@example.com")
        later = outbox.outbox_enqueue(send_hello, "y@example.com")

    with pytest.raises(JobTimeoutException):
        outbox.outbox_drain()

    slow.refresh_from_db()
    later.refresh_from_db()
    assert slow.relay_attempts == 2 and outbox.get_queue().fetch_job(slow.rq_job_id) is not None
    assert later.completed_at is None and later.relay_attempts == 1  # left for the drain's retry


def test_the_sweep_wakes_a_drain_that_never_came(settings, mailoutbox):
    with transaction.atomic():
        message = outbox.outbox_enqueue(send_hello, "lost-wakeup@example.com")
    outbox.redis_connection().flushdb()  # the queued drain and its flag are gone
    assert outbox.outbox_sweep() == 0  # too young: the fast path may still be at work
    assert outbox.get_queue().count == 0
    _age(message, seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS + 5)

    outbox.outbox_sweep()

    assert [job.func_name for job in outbox.get_queue().jobs] == ["onepco.outbox.outbox_drain"]
    _drain()
    assert [m.to for m in mailoutbox] == [["lost-wakeup@example.com"]]
