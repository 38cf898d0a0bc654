"""`manage.py doctor` and the system page report each fault when it is injected."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rq import Worker
from rq.cron import CronScheduler

from console import health
from console.models import Backup
from dashboard.models import WeeklyMetrics
from onepco import outbox
from onepco.models import OutboxMessage
from onepco.weeks import Week
from onepco.worker import Worker as OnepcoWorker


def boom() -> None:
    raise RuntimeError("the SMTP server hung up")


@pytest.fixture
def everything_running(settings):
    """A registered worker and scheduler (RQ's own registration code), a fresh snapshot, SMTP."""
    connection = outbox.redis_connection()
    worker = Worker([outbox.get_queue()], connection=connection)
    worker.register_birth()
    worker.heartbeat()
    scheduler = CronScheduler(connection=connection)
    scheduler.register_birth()
    scheduler.heartbeat()
    week = Week.current().previous()
    WeeklyMetrics.objects.create(week=week.label, week_start=week.monday)
    Backup.objects.create(status=Backup.Status.DONE, offsite=True, finished_at=timezone.now())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.com"
    yield
    worker.register_death()


def statuses() -> dict[str, str]:
    return {check.__name__: check().status for check in health.CHECKS}


def test_doctor_is_happy_when_everything_runs(db, everything_running, capsys):
    call_command("doctor")
    output = capsys.readouterr().out
    assert "FAIL" not in output
    assert all(status == "ok" for status in statuses().values())


def test_doctor_fails_when_redis_is_down(db, everything_running, settings, capsys):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.REDIS_SOCKET_CONNECT_TIMEOUT = 0.2
    outbox.redis_connection.cache_clear()
    with pytest.raises(SystemExit) as exit_:
        call_command("doctor")
    assert exit_.value.code == 1
    found = statuses()
    assert found["check_redis"] == found["check_worker"] == found["check_scheduler"] == "fail"
    assert found["check_database"] == "ok"


def test_doctor_fails_when_no_worker_runs(db, everything_running):
    for worker in Worker.all(connection=outbox.redis_connection()):
        worker.register_death()
    assert statuses()["check_worker"] == "fail"


def test_doctor_fails_when_the_last_snapshot_is_older_than_eight_days(db, everything_running):
    WeeklyMetrics.objects.update(computed_at=timezone.now() - timedelta(days=8, hours=1))
    assert statuses()["check_snapshot"] == "fail"
    WeeklyMetrics.objects.update(computed_at=timezone.now() - timedelta(days=7))
    assert statuses()["check_snapshot"] == "ok"


def test_doctor_fails_on_follow_up_jobs_stuck_in_the_outbox(db, everything_running):
    message = OutboxMessage.objects.create(job="console.jobs.purge_data_exports")
    assert statuses()["check_outbox"] == "ok"
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert statuses()["check_outbox"] == "fail"


def test_doctor_fails_when_production_does_not_send_mail(db, everything_running, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = False
    assert statuses()["check_email"] == "fail"


def test_a_failed_job_shows_on_the_system_page_and_the_founder_retries_it(
    db, everything_running, founder_client
):
    queue = outbox.get_queue()
    job = queue.enqueue(boom)
    OnepcoWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    assert statuses()["check_failed_jobs"] == "fail"

    page = founder_client.get("/console/system/")
    assert page.status_code == 200
    assert "the SMTP server hung up" in page.content.decode()
    response = founder_client.post(f"/console/system/jobs/{job.id}/retry/")
    assert response.status_code == 302
    assert queue.count == 1
    assert statuses()["check_failed_jobs"] == "ok"


def test_only_the_founder_reaches_the_system_page(client, student_client):
    assert client.get("/console/system/").status_code == 302
    assert student_client.get("/console/system/").status_code == 403
    assert student_client.post("/console/system/exports/").status_code == 403
