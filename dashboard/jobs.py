"""Background jobs of the dashboard: thin and idempotent, they take a week label."""

from django.db import transaction

from dashboard.services import weekly_metrics_snapshot, weekly_report_send
from onepco.outbox import RETRY, get_queue, outbox_enqueue
from onepco.weeks import Week


@transaction.atomic
def snapshot_week(week: str, report: bool = False) -> str:
    """Freeze a week; with report, queue the founder's weekly report e-mail in the same
    transaction, so the frozen row and the promise of its report commit together."""
    weekly_metrics_snapshot(week=Week.parse(week))
    if report:
        outbox_enqueue(send_weekly_report, week)
    return week


def send_weekly_report(week: str) -> bool:
    return weekly_report_send(week=Week.parse(week))


def snapshot_last_week() -> str:
    """The Monday cron entry: queue last week's snapshot and report with a Retry (RQ cron
    cannot attach one to what it enqueues itself). Redis is up (this job came from it); the
    database may not be, and the Retry covers that."""
    week = Week.current().previous().label
    get_queue().enqueue(snapshot_week, week, report=True, retry=RETRY, job_id=f"weekly-snapshot-{week}")
    return week
