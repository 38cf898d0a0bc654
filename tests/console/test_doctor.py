"""`manage.py doctor` and the system page report each fault when it is injected."""

import os
import socket
import subprocess
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from rq import Worker
from rq.cron import CronScheduler

from console import health
from console.models import Backup
from dashboard.models import WeeklyMetrics
from onepco import outbox
from onepco.models import OutboxMessage
from onepco.weeks import Week
from onepco.worker import Worker as OnepcoWorker
from tests.processes import free_port


def boom() -> None:
    raise RuntimeError("the SMTP server hung up")


class FakeSmtpServer:
    """A mail server that greets, says yes to everything and hangs up on QUIT: enough for the
    check, which connects (and would sign in) without sending."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with client, client.makefile("rwb") as stream:
                stream.write(b"220 fake.example.com ESMTP\r\n")
                stream.flush()
                for line in stream:
                    if line.upper().startswith(b"QUIT"):
                        stream.write(b"221 bye\r\n")
                        stream.flush()
                        break
                    stream.write(b"250 fake.example.com\r\n")
                    stream.flush()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def smtp_server(settings):
    server = FakeSmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.close()


@pytest.fixture
def everything_running(settings, smtp_server, tmp_path):
    """A registered worker and scheduler (RQ's own registration code), a fresh snapshot, a mail
    server that answers, an upload folder."""
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
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    yield
    worker.register_death()


def statuses() -> dict[str, str]:
    return {check.__name__: check().status for check in health.CHECKS}


def test_doctor_is_happy_when_everything_runs(db, everything_running, smtp_server, capsys):
    call_command("doctor")
    output = capsys.readouterr().out
    assert "FAIL" not in output
    assert all(status == "ok" for status in statuses().values())
    assert smtp_server.connections >= 1  # the e-mail row was earned by connecting


def doctor_fails(capsys, row: str) -> str:
    """doctor exits 1, and the row named says why: that line of its output (in English)."""
    with translation.override("en"), pytest.raises(SystemExit) as exit_:
        call_command("doctor")
    assert exit_.value.code == 1
    lines = capsys.readouterr().out.splitlines()
    line = next(line for line in lines if f" {row} " in line)
    assert "FAIL" in line, lines
    return line


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


def test_a_worker_that_stopped_heartbeating_is_dead_though_still_registered(db, everything_running, capsys):
    connection = outbox.redis_connection()
    (worker,) = Worker.all(connection=connection)
    silent_since = timezone.now() - timedelta(seconds=90)
    connection.hset(worker.key, "last_heartbeat", silent_since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert Worker.all(connection=connection)  # RQ still lists it: its key has not expired
    line = doctor_fails(capsys, "Worker")
    assert "no worker is running" in line


def test_a_killed_worker_is_dead_at_once_though_its_heartbeat_is_fresh(db, everything_running, capsys):
    for worker in Worker.all(connection=outbox.redis_connection()):
        worker.register_death()
    gone = subprocess.Popen(["sleep", "0"])
    gone.wait()  # a pid that no longer runs: the worker was killed (SIGKILL, out of memory)
    worker = Worker([outbox.get_queue()], connection=outbox.redis_connection())
    worker.pid = gone.pid
    worker.register_birth()
    worker.heartbeat()
    line = doctor_fails(capsys, "Worker")
    assert "no worker is running" in line


def test_an_idle_onepco_worker_heartbeats_often_enough_to_be_told_from_a_dead_one():
    from onepco.worker import WORKER_TTL

    worker = OnepcoWorker([outbox.get_queue()], connection=outbox.redis_connection(), worker_ttl=420)
    assert worker.worker_ttl == WORKER_TTL
    # RQ waits this long for a job between two heartbeats: less than the check allows.
    assert timedelta(seconds=worker.dequeue_timeout) < health.WORKER_SILENT_AFTER


def test_doctor_fails_on_a_mail_server_that_does_not_exist(db, everything_running, settings, capsys):
    settings.EMAIL_HOST = "smtp.invalid"  # a name that never resolves
    line = doctor_fails(capsys, "E-mail")
    assert "cannot reach the mail server smtp.invalid:" in line and "EMAIL_URL" in line


def test_doctor_fails_on_a_mail_server_port_where_nothing_answers(db, everything_running, settings, capsys):
    settings.EMAIL_PORT = free_port()
    line = doctor_fails(capsys, "E-mail")
    assert f"cannot reach the mail server 127.0.0.1:{settings.EMAIL_PORT}" in line


def test_doctor_fails_when_the_upload_folder_is_missing(db, everything_running, settings, capsys):
    settings.MEDIA_ROOT = settings.MEDIA_ROOT / "gone"
    line = doctor_fails(capsys, "Upload storage")
    assert "does not exist" in line and str(settings.MEDIA_ROOT) in line


def test_doctor_fails_when_the_upload_folder_is_a_file(db, everything_running, settings, capsys):
    settings.MEDIA_ROOT = settings.MEDIA_ROOT / "a-file"
    settings.MEDIA_ROOT.write_text("not a folder")
    line = doctor_fails(capsys, "Upload storage")
    assert "is not a folder" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_doctor_fails_when_the_upload_folder_is_read_only(db, everything_running, settings, capsys):
    settings.MEDIA_ROOT.chmod(0o555)
    try:
        line = doctor_fails(capsys, "Upload storage")
    finally:
        settings.MEDIA_ROOT.chmod(0o755)
    assert "cannot be written" in line


def test_the_system_page_badge_is_the_verdict_of_its_worst_row(db, everything_running, founder_client):
    assert "一切正常" in founder_client.get("/console/system/").content.decode()

    Backup.objects.update(offsite=False)  # a backup on this machine only: look soon
    assert statuses()["check_backup"] == "warn"
    page = founder_client.get("/console/system/").content.decode()
    assert "尽快查看" in page and "一切正常" not in page
    assert "有些地方需要尽快查看" in page

    WeeklyMetrics.objects.update(computed_at=timezone.now() - timedelta(days=9))  # broken
    page = founder_client.get("/console/system/").content.decode()
    assert "有问题需要处理" in page and "一切正常" not in page and "有些地方需要尽快查看" not in page


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
