"""Background jobs of the dashboard: thin and idempotent, they take a week label."""

from dashboard.services import weekly_metrics_snapshot, weekly_report_send
from onepco.outbox import outbox_enqueue
from onepco.weeks import Week


def snapshot_week(week: str, report: bool = False) -> str:
    """Freeze a week; with report, then queue the founder's weekly report e-mail."""
    weekly_metrics_snapshot(week=Week.parse(week))
    if report:
        outbox_enqueue(send_weekly_report, week)
    return week


def send_weekly_report(week: str) -> bool:
    return weekly_report_send(week=Week.parse(week))


def snapshot_last_week() -> str:
    """The Monday cron entry. It only records the work in the outbox: RQ cron cannot attach a
    Retry to what it enqueues, the outbox relay does (and survives Redis being away)."""
    week = Week.current().previous().label
    outbox_enqueue(snapshot_week, week, report=True)
    return week
