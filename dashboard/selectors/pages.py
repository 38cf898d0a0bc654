"""What the dashboard page and the weekly report show around the ten numbers."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.models import Order
from cohorts.models import Assessment, Assignment, Attendance, Cohort, Course, Enrollment, Lesson, Submission
from crm.models import Consultation, Lead
from dashboard.models import WeeklyMetrics
from dashboard.selectors.numbers import (
    COUNT_FIELDS,
    METRIC_KEYS,
    WeeklyNumbers,
    weekly_numbers_range,
    weekly_numbers_until,
)
from dashboard.selectors.roi import (
    Figures,
    PieceFigures,
    attributed_figures,
    by_channel_and_content,
    week_costs,
)
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
    # +1 when up is good (leads), -1 when down is good (refund rate): the change's colour.
    better: int = 1
    # Whether the running week can be compared with the same weekdays of last week: not when
    # last week's pairs had more time for late work and grading than this week's.
    fair_so_far: bool = True


METRICS = [
    Metric("leads", _("Leads"), _("Leads created in the week. Spam never counts; a repeat signup with the same e-mail or phone is not a new lead; an imported lead counts in the week of the date in the file."), "count"),
    Metric("consultations", _("Consultations"), _("Consultations held in the week: status held and held_at in the week. A spam lead's consultations never count."), "count"),
    Metric("deals", _("Deals"), _("Orders whose payment was confirmed (paid_at) in the week: by the provider, or by you for a manual transfer. A paid order always counts, a spam lead's too."), "count"),
    Metric("conversion_rate", _("Conversion rate"), _("Deals ÷ consultations of the same week. It may exceed 100%: a deal can need no consultation, or follow one held in an earlier week. The funnel below follows the same leads through."), "rate"),
    Metric("revenue", _("Revenue"), _("Sum of the amounts of the orders paid in the week (paid_at in the week)."), "money"),
    Metric("refund_rate", _("Refund rate"), _("Succeeded refunds whose refunded_at is in the week ÷ the week's revenue (a refund of an earlier deal counts in the week it was paid back). Lower is better."), "rate", better=-1),
    Metric("attendance_rate", _("Attendance rate"), _("(Full + partial attendances) ÷ expected, over the lessons starting in the week. Expected: for each lesson, the enrollments of its cohort active when it started; a missing record is absent. In a running week only lessons that have started count."), "rate"),
    Metric("submission_rate", _("Submission rate"), _("Submitted student × assignment pairs ÷ expected pairs, over the assignments due in the week; a pair is expected when the enrollment is active at the due time, and late submissions count. In a running week only assignments already due count."), "rate", fair_so_far=False),
    Metric("pass_rate", _("Pass rate"), _("Pairs whose latest graded submission (the highest attempt with a grade) passed ÷ pairs with a graded submission, over the assignments due in the week. In a running week only assignments already due count."), "rate", fair_so_far=False),
    Metric("improvement_rate", _("Improvement rate"), _("Of the stage and graduation assessments taken in the week whose student took an entry assessment in the same cohort before them: the share scoring higher than the earliest entry score."), "rate"),
]  # fmt: skip
NORTH_STAR = [
    Metric("effective_revenue", _("Effective revenue"), _("North star: revenue × completion rate × pass rate. Money from students who do not show up or do not meet the standard is not the business to grow. Undefined (—) when a factor is."), "money", fair_so_far=False),
    Metric("completion_rate", _("Completion rate"), _("Full attendances ÷ expected, over the lessons starting in the week (partial attendance does not complete a lesson). In a running week only lessons that have started count."), "rate"),
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


def weekly_history(last: Week, *, weeks: int = 12, known: WeeklyNumbers | None = None) -> list[WeeklyNumbers]:
    """The `weeks` weeks ending with `last`, oldest first: snapshots where they exist, the rest
    computed live in one batch. `known`: the numbers of `last` already in hand."""
    span = week_range(last.shifted(-(weeks - 1)), last)
    current = Week.current()
    frozen = {
        row.week: numbers_from_row(row)
        for row in WeeklyMetrics.objects.filter(week__in=[w.label for w in span if w < current])
        if is_frozen(row)
    }
    if known is not None and known.week == last:
        frozen[last.label] = known
    missing = [w for w in span if w.label not in frozen]
    live = {}
    if missing:
        live = {n.week.label: n for n in weekly_numbers_range(missing[0], missing[-1])}
    return [frozen.get(w.label) or live[w.label] for w in span]


def history_rows() -> list[WeeklyMetrics]:
    return list(WeeklyMetrics.objects.order_by("week_start"))


def comparison_for(numbers: WeeklyNumbers) -> tuple[WeeklyNumbers, bool]:
    """What a week's changes are measured against, and whether that is the same weekdays of
    last week (True, for a running week) or all of last week (False)."""
    week = numbers.week
    if numbers.partial and numbers.as_of is not None:
        cut = week.previous().start + (numbers.as_of - week.start)
        return weekly_numbers_until(week.previous(), cut), True
    return numbers_for_week(week.previous())[0], False


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


def tone_of(metric: Metric, direction: int) -> str:
    """good / bad / neutral: the change's direction read with the metric's better direction."""
    verdict = direction * metric.better
    return "good" if verdict > 0 else ("bad" if verdict < 0 else "neutral")


def metric_rows(
    current: WeeklyNumbers, previous: WeeklyNumbers, metrics=None, *, same_days: bool = False
) -> list[dict]:
    """One row per number: its value, and its change against `previous` (all of last week, or
    with same_days its same weekdays; a number not fairly comparable so far has none)."""
    rows = []
    for metric in metrics or [*NORTH_STAR, *METRICS]:
        value = metric_value(current, metric.key)
        compared = not same_days or metric.fair_so_far
        before = metric_value(previous, metric.key) if compared else None
        change, direction = change_display(metric.kind, value, before)
        rows.append(
            {
                "metric": metric,
                "value": value,
                "display": metric_display(metric.kind, value),
                "previous_display": metric_display(metric.kind, before),
                "change": change,
                "direction": direction,
                "tone": tone_of(metric, direction),
                "compared": compared,
                "same_days": same_days,
                "detail": metric_detail(current, metric.key),
            }
        )
    return rows


MISSING_COMPLETION = _("Completion rate is missing: no student was expected at a lesson of this week yet. It appears once a lesson of a cohort with active students has started.")  # fmt: skip
MISSING_PASS = _("Pass rate is missing: no homework due this week has a graded submission yet. It appears once you grade a submission to an assignment due this week.")  # fmt: skip


def north_star_missing(numbers: WeeklyNumbers) -> list[StrOrPromise]:
    """Why the north star is "—": each missing factor and what would make it appear."""
    reasons: list[StrOrPromise] = []
    if not numbers.attendance_expected:
        reasons.append(MISSING_COMPLETION)
    if not numbers.pass_graded:
        reasons.append(MISSING_PASS)
    return reasons


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


def channel_figures(week: Week, pieces: list[PieceFigures] | None = None) -> list[dict]:
    """Leads, consultations, deals and revenue of the week by the lead's first-touch channel
    and content (utm_content), with the refunds paid back in the week and what the pieces
    published in it cost (docs/metrics.md): four grouped queries, and up to three for the
    pieces unless `pieces` (of a span holding the week) are given."""
    table = attributed_figures(week.start, week.end, by_channel_and_content)
    for key, cost in week_costs(week, pieces):
        found = table.setdefault(key, Figures())
        found.cost = money(found.cost + cost)
    rows = [
        {
            "channel": channel,
            "content": content,
            "leads": figures.leads,
            "consultations": figures.consultations,
            "deals": figures.deals,
            "revenue": figures.revenue,
            "refunded": figures.refunded,
            "net_revenue": figures.net_revenue,
            "cost": figures.cost,
            "cost_per_lead": figures.cost_per_lead,
            "cost_per_deal": figures.cost_per_deal,
            "roi": figures.roi,
        }
        for (channel, content), figures in table.items()
    ]
    return sorted(rows, key=lambda r: (-r["deals"], -r["revenue"], -r["leads"], r["channel"], r["content"]))


FUNNEL_SPANS = (4, 12)  # weeks the founder can choose from


def lead_funnel(last: Week, *, weeks: int = 4) -> dict:
    """A true funnel, in one query: of the (non-spam) leads created in the `weeks` weeks ending
    with `last`, how many have had a consultation held and how many of those paid, by now.
    Each step is a subset of the one before, so the bars never invert; the leads who paid
    without any consultation are counted beside the funnel, not inside it."""
    first = last.shifted(-(weeks - 1))
    held = Consultation.objects.filter(lead=OuterRef("pk"), status=Consultation.Status.HELD)
    paid = Order.objects.filter(lead=OuterRef("pk"), paid_at__isnull=False)
    figures = (
        Lead.objects.filter(is_spam=False, created_at__gte=first.start, created_at__lt=last.end)
        .annotate(has_held=Exists(held), has_paid=Exists(paid))
        .aggregate(
            leads=Count("pk"),
            consulted=Count("pk", filter=Q(has_held=True)),
            consulted_paid=Count("pk", filter=Q(has_held=True, has_paid=True)),
            paid_directly=Count("pk", filter=Q(has_held=False, has_paid=True)),
        )
    )
    steps = [
        (_("Leads"), figures["leads"]),
        (_("Consulted"), figures["consulted"]),
        (_("Paid after consulting"), figures["consulted_paid"]),
    ]
    widest = figures["leads"] or 1
    paid_total = figures["consulted_paid"] + figures["paid_directly"]
    return {
        "first": first,
        "last": last,
        "weeks": weeks,
        "steps": [
            {
                "label": label,
                "count": count,
                "width": round(100 * count / widest),
                "share": _share(count, figures["leads"]),
            }
            for label, count in steps
        ],
        "paid_directly": figures["paid_directly"],
        "paid_total": paid_total,
        "paid_share": _share(paid_total, figures["leads"]),
    }


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


def _with_tables(sql: str) -> str:
    """The raw SQL of this module with its {table} names filled in from the models."""
    models = (Assessment, Assignment, Attendance, Cohort, Course, Enrollment, Lesson, Submission)
    return sql.format(**{str(model._meta.model_name): model._meta.db_table for model in models})


def _dropout_missed(at: datetime) -> dict[int, tuple[int, int]]:
    """enrollment id → (missed lessons, missed assignments) of the students at risk as of `at`."""
    sql = _with_tables(_DROPOUT_SQL)
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
        enrollment.url = student_url(enrollment.student_id)  # type: ignore[attr-defined]
    return rows


def dropout_list(*, at: datetime | None = None) -> list[Enrollment]:
    """Active students who missed 2 of their cohort's last 3 lessons or 2 of its last 3
    assignments due (those after they joined: a late joiner was never expected at what came
    before), as of `at`. Each carries missed_lessons and missed_assignments. Two queries."""
    return _dropout_rows(_dropout_missed(at or timezone.now()))


def dropout_summary(*, at: datetime | None = None, limit: int | None = 5) -> tuple[int, list[Enrollment]]:
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


# One statement, each table read once: the per-enrollment correlated subqueries the ORM would
# write cost ~75 ms on the three-year benchmark (5,000 enrollments), this ~10 ms.
COHORT_OUTCOMES_SQL = """
WITH entry AS (
    SELECT DISTINCT ON (student_id, cohort_id) student_id, cohort_id, score, taken_at
    FROM {assessment} WHERE kind = %(entry)s
    ORDER BY student_id, cohort_id, taken_at, id
), latest AS (
    SELECT DISTINCT ON (student_id, cohort_id) student_id, cohort_id, score, taken_at
    FROM {assessment} WHERE kind <> %(entry)s
    ORDER BY student_id, cohort_id, taken_at DESC, id DESC
), graduated AS (
    SELECT DISTINCT student_id, cohort_id FROM {assessment} WHERE kind = %(graduation)s AND passed
), showcases AS (
    SELECT a.cohort_id, COUNT(*) AS n FROM {submission} s JOIN {assignment} a ON a.id = s.assignment_id
    WHERE s.is_showcase GROUP BY a.cohort_id
)
SELECT c.id, c.name, course.title, c.ends_on,
    COUNT(entry.student_id) FILTER (WHERE latest.taken_at > entry.taken_at) AS measured,
    COUNT(entry.student_id) FILTER (WHERE latest.taken_at > entry.taken_at AND latest.score > entry.score),
    COUNT(e.id) FILTER (WHERE e.status <> %(refunded)s) AS kept,
    COUNT(e.id) FILTER (WHERE e.status <> %(refunded)s AND graduated.student_id IS NOT NULL),
    COALESCE(MAX(showcases.n), 0)
FROM {cohort} c
JOIN {course} course ON course.id = c.course_id
JOIN {enrollment} e ON e.cohort_id = c.id
LEFT JOIN entry ON entry.student_id = e.student_id AND entry.cohort_id = e.cohort_id
LEFT JOIN latest ON latest.student_id = e.student_id AND latest.cohort_id = e.cohort_id
LEFT JOIN graduated ON graduated.student_id = e.student_id AND graduated.cohort_id = e.cohort_id
LEFT JOIN showcases ON showcases.cohort_id = c.id
WHERE c.starts_on <= %(today)s
GROUP BY c.id, c.name, course.title, c.ends_on, c.starts_on
ORDER BY c.starts_on DESC, c.id DESC
"""


def cohort_outcomes() -> list[dict]:
    """For every cohort that has started: improvement (each student's latest non-entry
    assessment against their earliest entry score, counted only when the entry was taken
    before it), graduation pass rate (enrollments with a passed graduation assessment ÷
    enrollments not refunded; `running` while the cohort has not ended: 进行中, not 0 %),
    showcase count. One query."""
    today = timezone.localdate()
    sql = _with_tables(COHORT_OUTCOMES_SQL)
    params: dict[str, str | date] = {
        "entry": str(Assessment.Kind.ENTRY),
        "graduation": str(Assessment.Kind.GRADUATION),
        "refunded": str(Enrollment.Status.REFUNDED),
        "today": today,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "name": f"{title} · {name}",
            "running": ends_on >= today,
            "improvement_rate": _share(improved, measured),
            "improvement_detail": f"{improved} / {measured}",
            "graduation_rate": _share(graduates, kept),
            "graduation_detail": f"{graduates} / {kept}",
            "showcases": showcases,
        }
        for _id, name, title, ends_on, measured, improved, kept, graduates, showcases in rows
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
        "partial": numbers.partial,
        "as_of": timezone.localtime(numbers.as_of or numbers.computed_at).isoformat(),
        "metrics": metrics,
        "north_star": {
            "completion_rate": numbers.completion_rate,
            "effective_revenue": _money_string(numbers.effective_revenue),
        },
        "counts": counts,
    }
