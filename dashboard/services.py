"""Writes of the dashboard: freezing weeks, the founder's actions, the weekly report."""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cohorts.refund_risk import refund_risks
from dashboard.models import WeeklyMetrics
from dashboard.selectors import COUNT_FIELDS, RATE_FIELDS, WeeklyNumbers, weekly_numbers_range
from dashboard.selectors.pages import dropout_list, metric_rows, numbers_for_week
from dashboard.selectors.roi import piece_picks
from onepco.models import MessageKind
from onepco.notify import Message, notify_founder
from onepco.site import site_name
from onepco.weeks import Week, week_range

BACKFILL_CHUNK = 26  # weeks computed per round of queries; the progress bar moves per chunk
# The computed columns a snapshot overwrites; the founder's actions and the report stamp stay.
COMPUTED_FIELDS = [*COUNT_FIELDS, *RATE_FIELDS, "effective_revenue", "computed_at"]


def _upsert(numbers: list[WeeklyNumbers]) -> None:
    """Insert or overwrite the numbers of each week in one statement; the founder's actions
    and the report stamp on an existing row are left alone."""
    rows = [WeeklyMetrics(week=n.week.label, week_start=n.week.monday, **n.stored_fields()) for n in numbers]
    WeeklyMetrics.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["week"],
        update_fields=COMPUTED_FIELDS,
    )


@transaction.atomic
def weekly_metrics_snapshot(*, week: Week) -> WeeklyMetrics:
    """Freeze one week. Idempotent: twice gives one row, the same numbers, a new computed_at.

    One transaction and one upsert statement: a worker killed half-way leaves the previous row
    (or none), never a half-written one.
    """
    _upsert(weekly_numbers_range(week, week))
    return WeeklyMetrics.objects.get(week=week.label)


def weekly_metrics_backfill(
    *, first: Week, last: Week, progress: Callable[[int, int], None] | None = None
) -> int:
    """Freeze every week from first to last (both included); the number of weeks written."""
    if last < first:
        return 0
    total = len(week_range(first, last))
    done = 0
    chunk_first = first
    while chunk_first <= last:
        chunk_last = min(chunk_first.shifted(BACKFILL_CHUNK - 1), last)
        with transaction.atomic():
            numbers = weekly_numbers_range(chunk_first, chunk_last)
            _upsert(numbers)
        done += len(numbers)
        if progress is not None:
            progress(done, total)
        chunk_first = chunk_last.next()
    return done


def weekly_metrics_backfill_recent(*, weeks: int = 12) -> int:
    """Freeze the last `weeks` weeks that have ended (the demo calls this after loading)."""
    last = Week.current().previous()
    return weekly_metrics_backfill(first=last.shifted(-(weeks - 1)), last=last)


@transaction.atomic
def weekly_actions_save(*, week: Week, actions: list[str]) -> WeeklyMetrics:
    """Store the founder's (at most three) improvement actions for the week after `week`.

    A week without a row is snapshotted first, so the row never holds made-up zeros.
    """
    row = WeeklyMetrics.objects.select_for_update().filter(week=week.label).first()
    if row is None:
        weekly_metrics_snapshot(week=week)
        row = WeeklyMetrics.objects.select_for_update().get(week=week.label)
    cleaned = [a.strip() for a in actions if a and a.strip()][:3]
    cleaned += [""] * (3 - len(cleaned))
    row.action_1, row.action_2, row.action_3 = cleaned
    row.actions_updated_at = timezone.now()
    row.full_clean()
    row.save(update_fields=["action_1", "action_2", "action_3", "actions_updated_at"])
    return row


@transaction.atomic
def weekly_report_send(*, week: Week) -> bool:
    """E-mail the founder the week's report, at most once per week. False when already sent.

    The row stays locked while the mail goes out, so two workers cannot both send it.
    """
    row = WeeklyMetrics.objects.select_for_update().filter(week=week.label).first()
    if row is None:
        weekly_metrics_snapshot(week=week)
        row = WeeklyMetrics.objects.select_for_update().get(week=week.label)
    if row.report_sent_at is not None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject, body, html = weekly_report_render(week=week)
    message = Message(subject=subject, body=body, html=html)
    notify_founder(kind=MessageKind.WEEKLY_REPORT, key=f"weekly_report:{week.label}", message=message)
    row.report_sent_at = timezone.now()
    row.save(update_fields=["report_sent_at"])
    return True


def weekly_report_render(*, week: Week) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the founder's weekly report."""
    current, _source = numbers_for_week(week)
    previous, _previous_source = numbers_for_week(week.previous())
    context = {
        "week": week,
        "rows": metric_rows(current, previous),
        "dropouts": dropout_list(at=min(week.end, timezone.now())),
        "refund_risks": refund_risks(at=min(week.end, timezone.now())),
        "piece_picks": piece_picks(week),
        "actions": _actions_of(week),
        "SITE_NAME": site_name(),
        "SITE_URL": settings.SITE_URL,
    }
    subject = render_to_string("dashboard/email/weekly_report_subject.txt", context).strip()
    return (
        subject,
        render_to_string("dashboard/email/weekly_report.txt", context),
        render_to_string("dashboard/email/weekly_report.html", context),
    )


def _actions_of(week: Week) -> list[str]:
    row = WeeklyMetrics.objects.filter(week=week.label).first()
    return row.actions if row else []
