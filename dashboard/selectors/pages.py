"""What the dashboard page and the weekly report show around the ten numbers."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.models import Order
from cohorts.models import Assessment, Assignment, Attendance, Cohort, Enrollment, Lesson, Submission
from crm.models import Consultation, Lead
from dashboard.models import WeeklyMetrics
from dashboard.selectors.numbers import COUNT_FIELDS, METRIC_KEYS, WeeklyNumbers, weekly_numbers_range
from onepco.money import money
from onepco.templatetags.onepco import money as money_text
from onepco.weeks import Week, week_range

StrOrPromise = str | Promise


@dataclass(frozen=True)
class Metric:
    key: str
    label: StrOrPromise
    definition: StrOrPromise
    kind: str  # "count", "money" or "rate"


METRICS = [
    Metric("leads", _("Leads"), _("Leads created in the week (spam excluded; a repeat signup is not new)."), "count"),
    Metric("consultations", _("Consultations"), _("Consultations held in the week (status held, held_at in the week)."), "count"),
    Metric("deals", _("Deals"), _("Orders whose payment was confirmed (paid_at) in the week."), "count"),
    Metric("conversion_rate", _("Conversion rate"), _("Deals ÷ consultations of the week (may exceed 100%)."), "rate"),
    Metric("revenue", _("Revenue"), _("Sum of the amounts of the orders paid in the week."), "money"),
    Metric("refund_rate", _("Refund rate"), _("Succeeded refunds dated in the week ÷ the week's revenue."), "rate"),
    Metric("attendance_rate", _("Attendance rate"), _("(Full + partial attendances) ÷ expected, over the lessons starting in the week; expected = enrollments active at the lesson's start."), "rate"),
    Metric("submission_rate", _("Submission rate"), _("Submitted student × assignment pairs ÷ expected pairs, over the assignments due in the week (late ones count)."), "rate"),
    Metric("pass_rate", _("Pass rate"), _("Pairs whose latest graded submission passed ÷ pairs with a graded submission, over the assignments due in the week."), "rate"),
    Metric("improvement_rate", _("Improvement rate"), _("Stage and graduation assessments of the week scoring higher than the student's earliest entry assessment in the cohort ÷ those with an entry score."), "rate"),
]  # fmt: skip
NORTH_STAR = [
    Metric("effective_revenue", _("Effective revenue"), _("North star: revenue × completion rate × pass rate; undefined when any factor is."), "money"),
    Metric("completion_rate", _("Completion rate"), _("Full attendances ÷ expected, over the lessons starting in the week."), "rate"),
]  # fmt: skip
METRICS_BY_KEY = {m.key: m for m in [*METRICS, *NORTH_STAR]}


# --- the numbers of a week: frozen or live ------------------------------------------------


def numbers_from_row(row: WeeklyMetrics) -> WeeklyNumbers:
    counts = {name: getattr(row, name) for name in COUNT_FIELDS}
    return WeeklyNumbers(week=Week.parse(row.week), computed_at=row.computed_at, **counts)


def is_frozen(row: WeeklyMetrics) -> bool:
    """A row computed after its week ended. Saving actions during a week computes a row early;
    until the Monday snapshot overwrites it, that week is answered live."""
    return row.computed_at >= Week.parse(row.week).end


def numbers_for_week(week: Week) -> tuple[WeeklyNumbers, str]:
    """A week that has ended answers from its snapshot when there is one; else live."""
    if week < Week.current():
        row = WeeklyMetrics.objects.filter(week=week.label).first()
        if row is not None and is_frozen(row):
            return numbers_from_row(row), "snapshot"
    return weekly_numbers_range(week, week)[0], "live"


def weekly_history(last: Week, *, weeks: int = 12) -> list[WeeklyNumbers]:
    """The `weeks` weeks ending with `last`, oldest first: snapshots where they exist, the rest
    computed live in one batch."""
    span = week_range(last.shifted(-(weeks - 1)), last)
    current = Week.current()
    frozen = {
        row.week: numbers_from_row(row)
        for row in WeeklyMetrics.objects.filter(week__in=[w.label for w in span if w < current])
        if is_frozen(row)
    }
    missing = [w for w in span if w.label not in frozen]
    live = {}
    if missing:
        live = {n.week.label: n for n in weekly_numbers_range(missing[0], missing[-1])}
    return [frozen.get(w.label) or live[w.label] for w in span]


def history_rows() -> list[WeeklyMetrics]:
    return list(WeeklyMetrics.objects.order_by("week_start"))


# --- presenting a number and its change ---------------------------------------------------


def metric_value(numbers: WeeklyNumbers, key: str):
    return getattr(numbers, key)


def metric_display(kind: str, value) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return money_text(value)
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return str(value)


def change_display(kind: str, value, previous) -> tuple[str, int]:
    """The change against the previous week, and its direction (1 up, -1 down, 0 flat)."""
    if value is None or previous is None:
        return "—", 0
    if kind == "rate":
        points = (value - previous) * 100
        direction = (points > 0.05) - (points < -0.05)
        sign = "+" if points >= 0.05 else ("−" if points <= -0.05 else "±")
        return _("%(sign)s%(points).1f pp") % {"sign": sign, "points": abs(points)}, direction
    difference = value - previous
    direction = (difference > 0) - (difference < 0)
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    magnitude = money_text(abs(difference)) if kind == "money" else str(abs(difference))
    return f"{sign}{magnitude}", direction


def metric_rows(current: WeeklyNumbers, previous: WeeklyNumbers, metrics=None) -> list[dict]:
    rows = []
    for metric in metrics or [*NORTH_STAR, *METRICS]:
        value = metric_value(current, metric.key)
        before = metric_value(previous, metric.key)
        change, direction = change_display(metric.kind, value, before)
        rows.append(
            {
                "metric": metric,
                "value": value,
                "display": metric_display(metric.kind, value),
                "previous_display": metric_display(metric.kind, before),
                "change": change,
                "direction": direction,
                "detail": metric_detail(current, metric.key),
            }
        )
    return rows


def metric_detail(numbers: WeeklyNumbers, key: str) -> str:
    """The numerator and denominator behind a rate, e.g. "12 / 17"."""
    parts = {
        "conversion_rate": (numbers.deals, numbers.consultations),
        "refund_rate": (money_text(numbers.refunded), money_text(numbers.revenue)),
        "attendance_rate": (
            numbers.attendance_full + numbers.attendance_partial,
            numbers.attendance_expected,
        ),
        "submission_rate": (numbers.submission_submitted, numbers.submission_expected),
        "pass_rate": (numbers.pass_passed, numbers.pass_graded),
        "improvement_rate": (numbers.improvement_improved, numbers.improvement_measured),
        "completion_rate": (numbers.attendance_full, numbers.attendance_expected),
    }.get(key)
    return f"{parts[0]} / {parts[1]}" if parts else ""


# --- where the deals came from ------------------------------------------------------------


def channel_figures(week: Week) -> list[dict]:
    """Leads, consultations, deals and revenue of the week by the lead's first-touch channel
    and content (utm_content): four grouped queries."""
    start, end = week.start, week.end
    table: dict[tuple[str, str], dict] = {}

    def row(channel: str | None, content: str | None) -> dict:
        key = (channel or "", content or "")
        return table.setdefault(
            key,
            {
                "channel": key[0],
                "content": key[1],
                "leads": 0,
                "consultations": 0,
                "deals": 0,
                "revenue": money(0),
            },
        )

    leads = Lead.objects.filter(is_spam=False, created_at__gte=start, created_at__lt=end)
    for item in leads.values("channel", "utm_content").annotate(n=Count("pk")).order_by():
        row(item["channel"], item["utm_content"])["leads"] = item["n"]
    held = Consultation.objects.filter(
        status=Consultation.Status.HELD, held_at__gte=start, held_at__lt=end, lead__is_spam=False
    )
    for item in held.values("lead__channel", "lead__utm_content").annotate(n=Count("pk")).order_by():
        row(item["lead__channel"], item["lead__utm_content"])["consultations"] = item["n"]
    paid = Order.objects.filter(paid_at__gte=start, paid_at__lt=end)
    for item in (
        paid.values("lead__channel", "lead__utm_content")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        entry = row(item["lead__channel"], item["lead__utm_content"])
        entry["deals"], entry["revenue"] = item["n"], money(item["total"])
    return sorted(
        table.values(), key=lambda r: (-r["deals"], -r["revenue"], -r["leads"], r["channel"], r["content"])
    )


def funnel(numbers: WeeklyNumbers) -> list[dict]:
    """Leads → consultations → deals, each as a share of the widest step (for the bars)."""
    steps = [
        (_("Leads"), numbers.leads),
        (_("Consultations"), numbers.consultations),
        (_("Deals"), numbers.deals),
    ]
    widest = max(count for _label, count in steps) or 1
    return [{"label": label, "count": count, "width": round(100 * count / widest)} for label, count in steps]


# --- who is falling behind ----------------------------------------------------------------


# The drop-out rule in one statement: each cohort's last three lessons and assignments (three
# index reads per cohort, computed once: MATERIALIZED, and counted right by the planner as three
# rows a cohort), joined to the active enrollments, what each student missed counted by
# anti-joins on the (lesson, student) and (student, assignment) indexes. On the benchmark's 5,000
# enrollments it takes ~10 ms with or without planner statistics; the correlated form it
# replaces ("the last three" as a subquery per enrollment) took ~50 ms, and a window over all
# lessons, which the planner took for 3,000 rows, 30–40 ms once the tables were analysed.
_DROPOUT_SQL = """
WITH last_lessons AS MATERIALIZED (
    SELECT l.id, l.cohort_id, l.starts_at FROM {cohort} c CROSS JOIN LATERAL (
        SELECT id, cohort_id, starts_at FROM {lesson} WHERE cohort_id = c.id AND starts_at < %(at)s
        ORDER BY starts_at DESC, id DESC LIMIT 3
    ) l
),
last_due AS MATERIALIZED (
    SELECT d.id, d.cohort_id, d.due_at FROM {cohort} c CROSS JOIN LATERAL (
        SELECT id, cohort_id, due_at FROM {assignment} WHERE cohort_id = c.id AND due_at < %(at)s
        ORDER BY due_at DESC, id DESC LIMIT 3
    ) d
),
missed_lessons AS (
    SELECT e.id, count(*) AS n FROM {enrollment} e
    JOIN last_lessons l ON l.cohort_id = e.cohort_id AND l.starts_at >= e.enrolled_at
    WHERE e.status = %(active)s AND e.ended_at IS NULL AND e.enrolled_at <= %(at)s
      AND NOT EXISTS (
        SELECT 1 FROM {attendance} a
        WHERE a.lesson_id = l.id AND a.student_id = e.student_id AND a.status = ANY(%(attended)s)
    )
    GROUP BY e.id
),
missed_assignments AS (
    SELECT e.id, count(*) AS n FROM {enrollment} e
    JOIN last_due d ON d.cohort_id = e.cohort_id AND d.due_at >= e.enrolled_at
    WHERE e.status = %(active)s AND e.ended_at IS NULL AND e.enrolled_at <= %(at)s
      AND NOT EXISTS (
        SELECT 1 FROM {submission} s
        WHERE s.assignment_id = d.id AND s.student_id = e.student_id AND s.submitted_at < %(at)s
    )
    GROUP BY e.id
)
SELECT coalesce(l.id, a.id), coalesce(l.n, 0), coalesce(a.n, 0)
FROM missed_lessons l FULL JOIN missed_assignments a ON a.id = l.id
WHERE coalesce(l.n, 0) >= 2 OR coalesce(a.n, 0) >= 2
"""


def _dropout_missed(at: datetime) -> dict[int, tuple[int, int]]:
    """enrollment id → (missed lessons, missed assignments) of the students at risk as of `at`."""
    sql = _DROPOUT_SQL.format(
        cohort=Cohort._meta.db_table,
        enrollment=Enrollment._meta.db_table,
        lesson=Lesson._meta.db_table,
        assignment=Assignment._meta.db_table,
        attendance=Attendance._meta.db_table,
        submission=Submission._meta.db_table,
    )
    params: dict[str, Any] = {
        "at": at,
        "active": Enrollment.Status.ACTIVE.value,
        "attended": [Attendance.Status.FULL.value, Attendance.Status.PARTIAL.value],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: (lessons, assignments) for pk, lessons, assignments in cursor.fetchall()}


def _dropout_rows(missed: dict[int, tuple[int, int]], limit: int | None = None) -> list[Enrollment]:
    if not missed:
        return []
    enrollments = (
        Enrollment.objects.filter(pk__in=missed)
        .select_related("student__user", "cohort__course")
        .order_by("cohort__starts_on", "cohort_id", "student__user__name", "pk")
    )
    rows = list(enrollments if limit is None else enrollments[:limit])
    for enrollment in rows:
        enrollment.missed_lessons, enrollment.missed_assignments = missed[enrollment.pk]  # type: ignore[attr-defined]
    return rows


def dropout_list(*, at: datetime | None = None) -> list[Enrollment]:
    """Active students who missed 2 of their cohort's last 3 lessons or 2 of its last 3
    assignments due (those after they joined: a late joiner was never expected at what came
    before), as of `at`. Each carries missed_lessons and missed_assignments. Two queries."""
    return _dropout_rows(_dropout_missed(at or timezone.now()))


def dropout_summary(*, at: datetime | None = None, limit: int = 5) -> tuple[int, list[Enrollment]]:
    """How many students are at risk, and the first `limit` of dropout_list (the console home)."""
    missed = _dropout_missed(at or timezone.now())
    return len(missed), _dropout_rows(missed, limit)


def student_url(student_id: int) -> str:
    """The student's console page; the admin's page until the cohorts console has one."""
    try:
        return reverse("cohorts:console_student", args=[student_id])
    except NoReverseMatch:
        return reverse("admin:cohorts_student_change", args=[student_id])


# --- per cohort ---------------------------------------------------------------------------


def cohort_outcomes() -> list[dict]:
    """For every cohort that has started: improvement (latest non-entry vs earliest entry
    score, per student), graduation pass rate, showcase count. Two queries."""
    entry = Assessment.objects.filter(
        student=OuterRef("student"), cohort=OuterRef("cohort"), kind=Assessment.Kind.ENTRY
    ).order_by("taken_at", "pk")
    latest = (
        Assessment.objects.filter(student=OuterRef("student"), cohort=OuterRef("cohort"))
        .exclude(kind=Assessment.Kind.ENTRY)
        .order_by("-taken_at", "-pk")
    )
    graduated = Assessment.objects.filter(
        student=OuterRef("student"), cohort=OuterRef("cohort"), kind=Assessment.Kind.GRADUATION, passed=True
    )
    kept = ~Q(status=Enrollment.Status.REFUNDED)
    rows = (
        Enrollment.objects.filter(cohort__starts_on__lte=timezone.localdate())
        .annotate(
            entry_score=Subquery(entry.values("score")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
            graduated=Exists(graduated),
        )
        .order_by()
        .values("cohort", "cohort__name", "cohort__course__title", "cohort__starts_on")
        .annotate(
            measured=Count("pk", filter=Q(entry_score__isnull=False, latest_score__isnull=False)),
            improved=Count("pk", filter=Q(latest_score__gt=F("entry_score"))),
            kept=Count("pk", filter=kept),
            graduates=Count("pk", filter=kept & Q(graduated=True)),
        )
        .order_by("-cohort__starts_on", "-cohort")
    )
    showcases = dict(
        Submission.objects.filter(is_showcase=True)
        .order_by()
        .values("assignment__cohort")
        .annotate(n=Count("pk"))
        .values_list("assignment__cohort", "n")
    )
    return [
        {
            "name": f"{r['cohort__course__title']} · {r['cohort__name']}",
            "improvement_rate": _share(r["improved"], r["measured"]),
            "improvement_detail": f"{r['improved']} / {r['measured']}",
            "graduation_rate": _share(r["graduates"], r["kept"]),
            "graduation_detail": f"{r['graduates']} / {r['kept']}",
            "showcases": showcases.get(r["cohort"], 0),
        }
        for r in rows
    ]


def _share(numerator: int, denominator: int) -> float | None:
    return float(Decimal(numerator) / Decimal(denominator)) if denominator else None


# --- GET /api/dashboard/weekly --------------------------------------------------------------


def _money_string(value: Decimal | None) -> str | None:
    return None if value is None else f"{money(value):.2f}"


def weekly_payload(numbers: WeeklyNumbers, source: str) -> dict:
    """The API's answer, exactly as docs/api.md gives it: money as strings with two decimals,
    rates unrounded or null."""
    metrics = {key: getattr(numbers, key) for key in METRIC_KEYS}
    metrics["revenue"] = _money_string(numbers.revenue)
    counts = numbers.counts()
    counts["revenue"] = _money_string(numbers.revenue)
    counts["refunded"] = _money_string(numbers.refunded)
    return {
        "week": numbers.week.label,
        "start": numbers.week.monday.isoformat(),
        "end": numbers.week.sunday.isoformat(),
        "source": source,
        "computed_at": timezone.localtime(numbers.computed_at).isoformat(),
        "metrics": metrics,
        "north_star": {
            "completion_rate": numbers.completion_rate,
            "effective_revenue": _money_string(numbers.effective_revenue),
        },
        "counts": counts,
    }
