"""Follow-up e-mails: feedback when graded, a reminder before the due time; both safe to rerun."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cohorts import services
from cohorts.jobs import send_due_reminders, send_feedback_email
from cohorts.models import DueReminder
from tests import factories as f


def test_the_student_gets_one_email_when_feedback_is_ready(student, cohort_a, founder, run_jobs, mailoutbox):
    submission = f.make_submission(f.make_assignment(cohort_a, title="爬虫作业"), student)
    services.submission_grade(submission=submission, score=Decimal("75"), feedback="不错", graded_by=founder)
    run_jobs()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["student@example.com"]
    assert "爬虫作业" in mailoutbox[0].subject
    assert f"/learn/assignments/{submission.assignment_id}/" in mailoutbox[0].body
    assert send_feedback_email(submission.pk) is False  # run again: nothing more is sent
    assert len(mailoutbox) == 1


def test_regrading_sends_the_new_feedback(student, cohort_a, founder, run_jobs, mailoutbox):
    submission = f.make_submission(f.make_assignment(cohort_a), student)
    services.submission_grade(submission=submission, score=Decimal("50"), feedback="a", graded_by=founder)
    run_jobs()
    services.submission_grade(submission=submission, score=Decimal("80"), feedback="b", graded_by=founder)
    run_jobs()
    assert len(mailoutbox) == 2


def test_a_reminder_goes_once_to_active_students_who_have_not_submitted(
    student, cohort_a, run_jobs, mailoutbox
):
    done = f.make_student()
    f.make_enrollment(done, cohort_a)
    dropped = f.make_student()
    f.make_enrollment(dropped, cohort_a, status="dropped", ended_at=timezone.now())
    soon = f.make_assignment(cohort_a, title="明天截止", due_at=timezone.now() + timedelta(hours=20))
    f.make_assignment(cohort_a, title="下周截止", due_at=timezone.now() + timedelta(days=5))
    f.make_submission(soon, done)
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0
    assert [m.to for m in mailoutbox] == [["student@example.com"]]
    assert "明天截止" in mailoutbox[0].subject
    assert DueReminder.objects.count() == 1


def test_the_reminder_job_runs_on_the_worker(student, cohort_a, run_jobs, mailoutbox):
    from onepco.outbox import get_queue

    f.make_assignment(cohort_a, due_at=timezone.now() + timedelta(hours=3))
    get_queue().enqueue(send_due_reminders)
    get_queue().enqueue(send_due_reminders)
    run_jobs()
    assert len(mailoutbox) == 1


def test_the_reminder_is_registered_hourly():
    from rq.cron import CronScheduler

    from onepco.outbox import redis_connection

    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("console/cron.py")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert jobs["due-reminders"].cron == "5 * * * *"
    assert jobs["due-reminders"].func_name == "cohorts.jobs.send_due_reminders"
