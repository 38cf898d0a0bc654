"""Lesson reminders: an e-mail 24 hours and 1 hour before each lesson to the cohort's active
students, through the outbox, once however often the job runs, and none when switched off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts import services
from cohorts.jobs import send_lesson_reminders
from cohorts.models import Cohort, LessonReminder
from onepco.models import OutboxMessage
from onepco.outbox import get_queue
from tests import factories as f


@pytest.fixture
def class_tonight(cohort_a):
    Cohort.objects.filter(pk=cohort_a.pk).update(meeting_url="https://meeting.tencent.com/dm/cohort-a")
    cohort_a.refresh_from_db()
    return f.make_lesson(
        cohort_a, title="第 4 课：数据清洗", starts_at=timezone.now() + timedelta(hours=23, minutes=30),
        duration_minutes=90,
    )  # fmt: skip


def _run_the_scheduled_job(run_jobs, times: int = 2) -> None:
    """What the scheduler does every five minutes: enqueue the job; the worker runs it and the
    e-mails it queued through the outbox."""
    for _ in range(times):
        get_queue().enqueue(send_lesson_reminders)
        run_jobs()


def test_a_reminder_goes_once_to_each_active_student_however_often_the_job_runs(
    student,
    other_student,
    refunded_student,
    dropped_student,
    graduated_student,
    class_tonight,
    run_jobs,
    mailoutbox,
):
    _run_the_scheduled_job(run_jobs, times=3)
    assert [m.to for m in mailoutbox] == [["student@example.com"]]
    mail = mailoutbox[0]
    start = timezone.localtime(class_tonight.starts_at)
    assert "第 4 课：数据清洗" in mail.subject and f"{start:%H:%M}" in mail.subject
    for expected in (
        class_tonight.cohort.course.title, "A 期", "第 4 课：数据清洗", f"{start:%Y-%m-%d %H:%M}",
        "https://meeting.tencent.com/dm/cohort-a", f"/learn/lessons/{class_tonight.pk}/calendar.ics",
        "学员甲，你好",
    ):  # fmt: skip
        assert expected in mail.body
    reminder = LessonReminder.objects.get()
    assert (reminder.student, reminder.kind, reminder.sent_at is not None) == (student, "day", True)
    assert OutboxMessage.objects.filter(job="cohorts.jobs.send_lesson_reminder").count() == 1


def test_a_day_and_an_hour_before_each_come_once(student, class_tonight, run_jobs, mailoutbox):
    start = class_tonight.starts_at
    moments = [start - timedelta(hours=30), start - timedelta(hours=24), start - timedelta(hours=20),
               start - timedelta(minutes=59), start - timedelta(minutes=20), start + timedelta(minutes=5)]  # fmt: skip
    for now in moments:
        services.lesson_reminders_queue(now=now)
        services.lesson_reminders_queue(now=now)
        run_jobs()
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("1 小时后上课")
    assert sorted(LessonReminder.objects.values_list("kind", flat=True)) == ["day", "hour"]


def test_a_lesson_moved_to_another_time_is_announced_again(student, class_tonight, run_jobs, mailoutbox):
    _run_the_scheduled_job(run_jobs)
    class_tonight.starts_at += timedelta(minutes=15)
    class_tonight.save()
    _run_the_scheduled_job(run_jobs)
    assert len(mailoutbox) == 2
    assert f"{timezone.localtime(class_tonight.starts_at):%H:%M}" in mailoutbox[1].subject


def test_nothing_is_sent_when_reminders_are_off(student, class_tonight, run_jobs, mailoutbox, settings):
    settings.LESSON_REMINDERS = False
    _run_the_scheduled_job(run_jobs)
    assert mailoutbox == [] and not LessonReminder.objects.exists()


def test_a_queued_reminder_is_not_sent_once_the_student_is_refunded_or_reminders_are_off(
    student, class_tonight, run_jobs, mailoutbox, settings
):
    other = f.make_student(f.make_user(email="second@example.com"))
    f.make_enrollment(other, class_tonight.cohort)
    assert services.lesson_reminders_queue() == 2
    services.enrollment_end(enrollment=student.enrollments.get(), status="refunded")
    settings.LESSON_REMINDERS = False
    run_jobs()
    assert mailoutbox == []
    settings.LESSON_REMINDERS = True
    assert services.lesson_reminders_queue() == 0  # already queued: not again
    services.lesson_reminder_email(reminder=LessonReminder.objects.get(student=other))
    assert [m.to for m in mailoutbox] == [["second@example.com"]]


def test_the_reminder_reads_in_english_on_an_english_site(
    student, class_tonight, run_jobs, mailoutbox, settings
):
    settings.LANGUAGE_CODE = "en"
    services.lesson_reminders_queue(now=class_tonight.starts_at - timedelta(minutes=50))
    run_jobs()
    (mail,) = mailoutbox
    assert mail.subject.startswith("In one hour: “第 4 课：数据清洗”")
    assert "Hello 学员甲," in mail.body and "Join the live class here" in mail.body


def test_the_lesson_reminders_run_every_five_minutes():
    from rq.cron import CronScheduler

    from onepco.outbox import redis_connection

    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("console/cron.py")
    job = {job.name: job for job in scheduler.get_jobs()}["lesson-reminders"]
    assert job.interval == 300
    assert job.func_name == "cohorts.jobs.send_lesson_reminders"
