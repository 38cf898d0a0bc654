"""A worker killed in the middle of a job: the job runs again, and its effect happens once."""

import pytest
from rq.registry import StartedJobRegistry

from onepco import outbox
from onepco.models import OutboxMessage
from tests.processes import wait_until
from tests.reliability.conftest import Worker, child_env
from tests.reliability.jobs import slow_mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]


def retry_now(queue) -> None:
    """What RQ's scheduler does when a retry's time comes (10 s later), without the wait."""
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))


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
    retry_now(queue)

    Worker(env).wait(timeout=60)
    message.refresh_from_db()
    assert message.completed_at is not None
    assert len(sent_mails(mails)) == 1
    assert OutboxMessage.objects.count() == 1


def test_a_drain_killed_midway_runs_again_and_each_mail_goes_once(own_redis, tmp_path):
    mails = tmp_path / "mails"
    env = child_env(own_redis.url, EMAIL_URL=f"filemail:///{mails}")
    flags = [tmp_path / f"started-{n}" for n in range(3)]
    for n, flag in enumerate(flags):  # three signups' e-mails, each committed: one drain wakes
        outbox.outbox_enqueue(slow_mail, f"s{n}@example.com", str(flag), 1.5)
    assert outbox.get_queue().count == 1

    worker = Worker(env)
    wait_until(flags[1].exists, what="the drain to reach the second row")
    worker.kill()
    assert len(sent_mails(mails)) == 1  # the first row finished; the second was cut off

    queue = outbox.get_queue()
    StartedJobRegistry(queue=queue).cleanup(timestamp=2**40)
    assert queue.count == 1 or queue.scheduled_job_registry.count == 1
    retry_now(queue)

    Worker(env).wait(timeout=60)
    assert not OutboxMessage.objects.filter(completed_at__isnull=True).exists()
    recipients = sorted(
        line for text in sent_mails(mails) for line in text.splitlines() if line.startswith("To:")
    )
    assert recipients == ["To: s0@example.com", "To: s1@example.com", "To: s2@example.com"]


def test_the_worker_runs_jobs_in_its_own_process_at_a_lower_cpu_priority(own_redis):
    from tests.reliability.jobs import niceness

    job = outbox.get_queue().enqueue(niceness)
    Worker(child_env(own_redis.url, RQ_WORKER_NICE="7")).wait(timeout=60)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() >= 7  # web requests go first on a small machine
