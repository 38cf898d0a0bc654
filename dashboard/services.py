"""Writes of the dashboard: freezing weeks, the founder's actions, the weekly report."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def _row_for_update(week: Week) -> WeeklyMetrics:
    """The week's row, locked; a week without one is snapshotted first, so the row never
    holds made-up zeros. Call inside a transaction."""
    row = WeeklyMetrics.objects.select_for_update().filter(week=week.label).first()
    if row is None:
        weekly_metrics_snapshot(week=week)
        row = WeeklyMetrics.objects.select_for_update().get(week=week.label)
    return row


ACTION_LENGTH = 300  # WeeklyMetrics.action_N's max_length
ACTION_FIELDS = [
    *(f"action_{i}" for i in (1, 2, 3)),
    *(f"action_{i}_done" for i in (1, 2, 3)),
    "actions_updated_at",
]


def _store_actions(row: WeeklyMetrics, actions: list[str]) -> WeeklyMetrics:
    """Up to three actions, blanks dropped; an action kept as it was keeps its done mark, a new
    or changed one starts unmarked."""
    marks = {slot["text"]: slot["done"] for slot in row.action_slots}
    cleaned = [a.strip() for a in actions if a and a.strip()][:3]
    cleaned += [""] * (3 - len(cleaned))
    for i, text in enumerate(cleaned, start=1):
        setattr(row, f"action_{i}", text)
        setattr(row, f"action_{i}_done", marks.get(text) if text else None)
    row.actions_updated_at = timezone.now()
    row.full_clean()
    row.save(update_fields=ACTION_FIELDS)
    return row


@transaction.atomic
def weekly_actions_save(*, week: Week, actions: list[str]) -> WeeklyMetrics:
    """Store the founder's (at most three) improvement actions for the week after `week`."""
    return _store_actions(_row_for_update(week), actions)


class ActionsFull(ValidationError):
    pass


@transaction.atomic
def weekly_action_add(*, week: Week, action: str) -> WeeklyMetrics:
    """Put one action (an accepted suggestion) into the first empty slot of the week's three.
    ActionsFull when all three are written; an action already there is not added twice."""
    row = _row_for_update(week)
    actions = [getattr(row, f"action_{i}") for i in (1, 2, 3)]
    if action.strip() in actions:
        return row
    if all(actions):
        raise ActionsFull(_("All three actions are written: clear one before adding another."))
    slot = actions.index("")
    actions[slot] = action.strip()[:ACTION_LENGTH]
    return _store_actions(row, actions)


@transaction.atomic
def weekly_action_mark(*, week: Week, slot: int, done: bool | None) -> WeeklyMetrics:
    """Mark action `slot` (1–3) of `week`'s row done, not done, or unmarked (None).
    WeeklyMetrics.DoesNotExist for a week without a row or a slot without an action."""
    row = WeeklyMetrics.objects.select_for_update().get(week=week.label)
    if slot not in (1, 2, 3) or not getattr(row, f"action_{slot}"):
        raise WeeklyMetrics.DoesNotExist
    setattr(row, f"action_{slot}_done", done)
    row.save(update_fields=[f"action_{slot}_done"])
    return row


@transaction.atomic
def weekly_report_send(*, week: Week) -> bool:
    """E-mail the founder the week's report, at most once per week. False when already sent.

    The row stays locked while the mail goes out, so two workers cannot both send it.
    """
    row = _row_for_update(week)
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
        "last_actions": _last_actions_of(week),
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


def _last_actions_of(week: Week) -> list[dict]:
    """The actions written the week before for this one, each with its done mark."""
    row = WeeklyMetrics.objects.filter(week=week.previous().label).first()
    return row.action_slots if row else []
