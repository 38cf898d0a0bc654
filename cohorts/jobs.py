"""Background jobs of the delivery loop: thin and idempotent, they load an id and call a service."""

from cohorts.models import Submission
from cohorts.services import due_reminders_send, submission_feedback_email


def send_feedback_email(submission_id: int) -> bool:
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return False
    return submission_feedback_email(submission=submission)


def send_due_reminders() -> int:
    """Hourly (onepco/cron.py): remind students of homework due within 24 hours."""
    return due_reminders_send()
