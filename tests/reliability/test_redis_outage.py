"""Redis stopped: what the web accepted is stored, and its follow-up work runs once Redis is back."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from onepco import outbox
from onepco.models import OutboxMessage
from onepco.worker import Worker as OnepcoWorker
from tests.reliability.jobs import slow_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]


def drain() -> None:
    queue = outbox.get_queue()
    OnepcoWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


def sweep_after_outage() -> int:
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    return outbox.outbox_sweep()


def test_follow_up_work_waits_for_a_stopped_redis_and_runs_once_when_it_is_back(
    own_redis, tmp_path, mailoutbox
):
    own_redis.stop()
    with transaction.atomic():
        message = outbox.outbox_enqueue(slow_mail, "a@example.com", str(tmp_path / "flag"), 0)
    message.refresh_from_db()
    assert message.relayed_at is None and "relay" in message.last_error
    assert sweep_after_outage() == 0  # still down: nothing relayed, nothing lost

    own_redis.start()
    assert sweep_after_outage() == 1
    assert sweep_after_outage() == 0  # relayed once, not again while its job is queued
    drain()
    drain()
    message.refresh_from_db()
    assert message.completed_at is not None
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def test_a_worker_registers_again_when_redis_comes_back_without_its_data(own_redis):
    from rq import Worker as RqWorker

    queue = outbox.get_queue()
    worker = OnepcoWorker([queue], connection=queue.connection)
    worker.register_birth()
    own_redis.stop()
    own_redis.start()  # a fresh redis-server: the registration is gone
    assert RqWorker.all(connection=queue.connection) == []
    worker.heartbeat()
    assert [w.name for w in RqWorker.all(connection=queue.connection)] == [worker.name]
    worker.register_death()
