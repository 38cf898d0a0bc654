"""今天, the founder's home: what is waiting, as short lists with a count each.

Every list is two queries, its first rows and its count, so the page asks the same questions
whatever the size of the business (and on an empty day).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Subquery, Sum, Value
from django.utils import timezone

from billing.models import Order
from billing.selectors import orders_expiring, transfers_to_confirm
from cohorts.quiz_selectors import quiz_grading_queue
from cohorts.refund_risk import refund_risks
from cohorts.selectors import grading_queue
from console.health import failed_job_count
from crm.models import Lead
from crm.selectors import consultations_soon, follow_ups_due
from dashboard.selectors.pages import dropout_summary
from onepco.money import money
from onepco.weeks import Week

LIMIT = 5


@dataclass
class Short:
    """The first rows of a list and how many there are in all."""

    rows: list[Any] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def _short(queryset: QuerySet, limit: int = LIMIT) -> Short:
    """One query whatever the data: the first rows with their relations, chosen on the bare
    table (joining first made PostgreSQL join all 9,000 ungraded submissions of the benchmark
    to keep five), each carrying the list's length (a subquery PostgreSQL runs once)."""
    total = queryset.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("*")).values("n")
    rows = list(queryset.filter(pk__in=queryset.values("pk")[:limit]).annotate(list_length=Subquery(total)))
    return Short(rows, rows[0].list_length if rows else 0)


@dataclass(frozen=True)
class WeekSoFar:
    """The running week until now, and last week until the same moment (a fair comparison)."""

    week: Week
    revenue: Decimal
    revenue_before: Decimal
    deals: int
    leads: int
    leads_before: int


def week_so_far(now: datetime) -> WeekSoFar:
    week = Week.of(now)
    start, before_start = week.start, week.previous().start
    before_now = now - timedelta(days=7)
    paid = Order.objects.filter(paid_at__gte=before_start, paid_at__lt=now).aggregate(
        revenue=Sum("amount", filter=Q(paid_at__gte=start)),
        revenue_before=Sum("amount", filter=Q(paid_at__lt=before_now)),
        deals=Count("pk", filter=Q(paid_at__gte=start)),
    )
    leads = Lead.objects.filter(is_spam=False, created_at__gte=before_start, created_at__lt=now).aggregate(
        leads=Count("pk", filter=Q(created_at__gte=start)),
        leads_before=Count("pk", filter=Q(created_at__lt=before_now)),
    )
    return WeekSoFar(
        week=week,
        revenue=money(paid["revenue"] or 0),
        revenue_before=money(paid["revenue_before"] or 0),
        deals=paid["deals"],
        leads=leads["leads"],
        leads_before=leads["leads_before"],
    )


def today_overview(now: datetime | None = None) -> dict[str, Any]:
    """Everything the home shows, as of `now`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    follow_ups = _short(follow_ups_due(today=today))
    for lead in follow_ups.rows:
        lead.days_overdue = (today - lead.next_follow_up_on).days
    consultations = _short(consultations_soon(today=today).select_related("lead"))
    for consultation in consultations.rows:
        day = timezone.localdate(consultation.scheduled_at)
        consultation.day = "today" if day == today else "tomorrow" if day > today else "unmarked"
        # Held or not is a question once it has begun; before that, only its link is useful.
        consultation.has_begun = consultation.scheduled_at <= now
    at_risk_count, at_risk = dropout_summary(at=now, limit=LIMIT)
    return {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "follow_ups": follow_ups,
        "new_leads": Lead.objects.filter(is_spam=False, status=Lead.Status.NEW).count(),
        "consultations": consultations,
        "transfers": _short(transfers_to_confirm().select_related("order__cohort__course")),
        "expiring": _short(orders_expiring(now).select_related("cohort__course")),
        "grading": _short(grading_queue()),
        "tests_to_grade": quiz_grading_queue().count(),
        "at_risk": Short(at_risk, at_risk_count),
        "refund_risks": refund_risks(at=now),
        "failed_jobs": failed_job_count(),
        "week": week_so_far(now),
    }
