"""The Monday cron entry, the snapshot job through the real RQ worker with Retry, the report."""

from pathlib import Path

from django.core import mail
from django.utils import timezone
from rq.cron import CronScheduler

from dashboard.jobs import snapshot_last_week, snapshot_week
from dashboard.models import WeeklyMetrics
from dashboard.services import weekly_actions_save, weekly_report_send
from onepco import outbox
from onepco.models import OutboxMessage
from onepco.weeks import Week
from tests import factories as f
from tests.dashboard.conftest import W46, W47
from tests.factories import aware

CRON = Path(__file__).resolve().parents[2] / "console" / "cron.py"


def test_the_cron_config_snapshots_every_monday_at_0030_site_time(db):
    scheduler = CronScheduler(connection=outbox.redis_connection())
    scheduler.load_config_from_file(str(CRON))
    entry = next(job for job in scheduler.get_jobs() if job.name == "weekly-snapshot")
    assert entry.func is snapshot_last_week and entry.cron == "30 0 * * 1"
    upcoming = timezone.localtime(entry.get_next_enqueue_time())
    assert upcoming.weekday() == 0 and (upcoming.hour, upcoming.minute) == (0, 30)


def test_the_cron_job_snapshots_last_week_then_mails_the_report_once(db, run_jobs, settings):
    outbox.get_queue().enqueue(snapshot_last_week)
    assert run_jobs() == 3  # the cron job, the snapshot, the report
    last = Week.current().previous()
    assert WeeklyMetrics.objects.get().week == last.label
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [settings.FOUNDER_EMAIL]
    assert last.label in mail.outbox[0].subject
    # A second run (a retried cron tick) freezes again but sends nothing more.
    outbox.get_queue().enqueue(snapshot_last_week)
    run_jobs()
    assert len(mail.outbox) == 1 and WeeklyMetrics.objects.get().report_sent_at is not None


def test_a_failing_snapshot_job_is_retried_by_rq(db, run_jobs, monkeypatch):
    from dashboard import jobs

    def fails(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "weekly_metrics_snapshot", fails)
    outbox.outbox_enqueue(snapshot_week, "2026-W47")  # the recompute button's way
    assert run_jobs() == 1
    queue = outbox.get_queue()
    assert queue.scheduled_job_registry.count == 1  # waiting for its Retry, not failed for good
    message = OutboxMessage.objects.get()
    assert message.completed_at is None and "database went away" in message.last_error
    assert not WeeklyMetrics.objects.exists()

    queue.enqueue(snapshot_last_week)  # the cron's way
    assert run_jobs() == 2
    retried = queue.fetch_job(f"weekly-snapshot-{Week.current().previous().label}")
    assert retried.get_status() == "scheduled" and retried.retries_left == 4
    assert not queue.failed_job_registry.count


def test_the_report_gives_the_numbers_with_their_change_and_the_dropouts(business, settings):
    settings.SITE_URL = "https://school.example"
    weekly_actions_save(week=W47, actions=["复盘直播", "", ""])
    assert weekly_report_send(week=W47) is True
    assert weekly_report_send(week=W47) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    body = message.body
    assert "2026-W47" in message.subject and "经营周报" in message.subject  # Chinese by default
    assert "¥666.78" in body and "66.7%" in body and "4 / 5" in body
    assert "+1" in body  # leads 2 against 1 in W46
    assert "复盘直播" in body
    html = message.alternatives[0][0]
    assert "¥666.78" in html and "复盘直播" in html and "<table" in html
    assert "https://school.example/console/dashboard/?week=2026-W47" in body
    # As of W47's end, s2 missed lesson 2 only: lesson 0 came before they enrolled, so they are
    # not behind on lessons; who is behind on homework is listed with their counts.
    assert business["students"][1].user.name not in body
    assert "最近 3 份作业未交 3 份" in body


def test_the_report_lists_students_who_missed_two_of_the_last_three_lessons(db, settings):
    cohort = f.make_cohort()
    behind, fine = f.make_student(), f.make_student()
    for learner in (behind, fine):
        f.make_enrollment(learner, cohort, enrolled_at=aware(2026, 11, 1))
    lessons = [f.make_lesson(cohort, starts_at=aware(2026, 11, day, 19)) for day in (16, 18, 20)]
    f.make_attendance(lessons[0], behind, "full")
    for lesson in lessons:
        f.make_attendance(lesson, fine, "partial")
    weekly_report_send(week=W47)
    body = mail.outbox[0].body
    assert behind.user.name in body and fine.user.name not in body
    assert W46.label not in mail.outbox[0].subject
