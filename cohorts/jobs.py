"""Background jobs of the delivery loop: thin and idempotent, they load an id and call a service.

Jobs and services name each other through their modules (`services.x`, `jobs.y`), so that
either module may be imported first.
"""

from cohorts import quiz_services, services
from cohorts.models import LessonReminder, Submission


def send_feedback_email(submission_id: int) -> bool:
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return False
    return services.submission_feedback_email(submission=submission)


def send_due_reminders() -> int:
    """Hourly (console/cron.py): remind students of homework due within 24 hours."""
    return services.due_reminders_send()


def end_overdue_quiz_attempts() -> int:
    """Every minute (console/cron.py): end the online-test attempts whose time is up, with the
    answers saved in time (a student who closed the page is handed in all the same)."""
    return quiz_services.quiz_attempts_expire()


def send_lesson_reminders() -> int:
    """Every five minutes (console/cron.py): queue the reminders due 24 h and 1 h before lessons."""
    return services.lesson_reminders_queue()


def send_lesson_reminder(reminder_id: int) -> bool:
    """One lesson reminder e-mail (queued through the outbox by send_lesson_reminders)."""
    reminder = LessonReminder.objects.filter(pk=reminder_id).first()
    if reminder is None:
        return False
    return services.lesson_reminder_email(reminder=reminder)
