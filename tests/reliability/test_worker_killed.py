"""A worker killed in the middle of a job: the job runs again, and its effect happens once."""

import pytest
from rq.registry import StartedJobRegistry

from onepco import outbox
from onepco.models import OutboxMessage
from tests.processes import wait_until
from tests.reliability.conftest import Worker, child_env
from tests.reliability.jobs import slow_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]


def sent_mails(folder) -> list[str]:
    return [p.read_text() for p in folder.iterdir()] if folder.exists() else []


def test_an_email_job_killed_midway_runs_again_and_sends_once(own_redis, tmp_path):
    mails = tmp_path / "mails"
    flag = tmp_path / "started"
    env = child_env(own_redis.url, EMAIL_URL=f"filemail:///{mails}")
    message = outbox.outbox_enqueue(slow_mail, "a@example.com", str(flag), 3.0)
    assert outbox.outbox_relay_one(message.pk)

    worker = Worker(env)
    wait_until(flag.exists, what="the job to start")
    worker.kill()
    message.refresh_from_db()
    assert message.completed_at is None and sent_mails(mails) == []

    # What RQ does for a job whose worker stopped sending heartbeats: retry it (it has retries).
    queue = outbox.get_queue()
    StartedJobRegistry(queue=queue).cleanup(timestamp=2**40)
    assert queue.count == 1 or queue.scheduled_job_registry.count == 1

    Worker(env).wait(timeout=60)
    message.refresh_from_db()
    assert message.completed_at is not None
    assert len(sent_mails(mails)) == 1
    assert OutboxMessage.objects.count() == 1
