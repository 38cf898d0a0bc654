"""The ten weekly numbers, exactly as docs/metrics.md defines them, computed in PostgreSQL.

`weekly_numbers_range(first, last)` answers any span of weeks with the same seven queries (one
per source table, grouped by week in the site time zone); `weekly_numbers(week)` is the span of
one. Counts come from the database, rates are derived from them here: a rate whose denominator
is zero is None, never 0.

Every answer is computed as of a moment (`as_of`, default now). A week that has not ended by
then is *partial*: its expected-denominators count only what has already happened (lessons
whose start, assignments whose due time is before `as_of`). `weekly_numbers_until(week, cut)`
answers the same week as it would have stood at `cut` (every event before it), for comparing
the running week with the same weekdays of the week before.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from billing.models import Order, Refund
from cohorts.models import Assessment, Assignment, Attendance, Lesson, Submission
from crm.models import Consultation, Lead
from onepco.money import money
from onepco.weeks import Week, week_range

ZERO = Decimal("0.00")

# The numerators and denominators stored with every week, in the order the API lists them.
COUNT_FIELDS = (
    "leads",
    "consultations",
    "deals",
    "revenue",
    "refunded",
    "attendance_expected",
    "attendance_full",
    "attendance_partial",
    "submission_expected",
    "submission_submitted",
    "pass_graded",
    "pass_passed",
    "improvement_measured",
    "improvement_improved",
)
RATE_FIELDS = (
    "conversion_rate",
    "refund_rate",
    "attendance_rate",
    "submission_rate",
    "pass_rate",
    "improvement_rate",
    "completion_rate",
)
# The ten numbers of docs/metrics.md, in its order.
METRIC_KEYS = (
    "leads",
    "consultations",
    "deals",
    "conversion_rate",
    "revenue",
    "refund_rate",
    "attendance_rate",
    "submission_rate",
    "pass_rate",
    "improvement_rate",
)


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    """Unrounded; None when the denominator is zero (shown as "—")."""
    if not denominator:
        return None
    return float(Decimal(numerator) / Decimal(denominator))


@dataclass
class WeeklyNumbers:
    week: Week
    leads: int = 0
    consultations: int = 0
    deals: int = 0
    revenue: Decimal = ZERO
    refunded: Decimal = ZERO
    attendance_expected: int = 0
    attendance_full: int = 0
    attendance_partial: int = 0
    submission_expected: int = 0
    submission_submitted: int = 0
    pass_graded: int = 0
    pass_passed: int = 0
    improvement_measured: int = 0
    improvement_improved: int = 0
    computed_at: datetime = field(default_factory=timezone.now)
    # The moment the expected-denominators were cut at (None: the whole week, as a snapshot).
    as_of: datetime | None = None

    @property
    def partial(self) -> bool:
        """True for a week that had not ended when it was computed."""
        moment = self.as_of or self.computed_at
        return moment < self.week.end

    @property
    def conversion_rate(self) -> float | None:
        return ratio(self.deals, self.consultations)

    @property
    def refund_rate(self) -> float | None:
        return ratio(self.refunded, self.revenue)

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.attendance_full + self.attendance_partial, self.attendance_expected)

    @property
    def submission_rate(self) -> float | None:
        return ratio(self.submission_submitted, self.submission_expected)

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.pass_passed, self.pass_graded)

    @property
    def improvement_rate(self) -> float | None:
        return ratio(self.improvement_improved, self.improvement_measured)

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.attendance_full, self.attendance_expected)

    @property
    def effective_revenue(self) -> Decimal | None:
        """revenue × completion rate × pass rate, from the exact counts, rounded half up."""
        if not self.attendance_expected or not self.pass_graded:
            return None
        with localcontext() as context:
            context.prec = 40
            exact = (
                self.revenue
                * self.attendance_full
                * self.pass_passed
                / (self.attendance_expected * self.pass_graded)
            )
        return money(exact)

    def counts(self) -> dict:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    def stored_fields(self) -> dict:
        """Everything a WeeklyMetrics row holds about the numbers."""
        values = self.counts()
        values.update({name: getattr(self, name) for name in RATE_FIELDS})
        values["effective_revenue"] = self.effective_revenue
        values["computed_at"] = self.computed_at
        return values

    def as_dict(self) -> dict:
        """The numbers alone (not the week, nor the moment they were cut at)."""
        values = asdict(self)
        values.pop("week")
        values.pop("as_of")
        return values


def weekly_numbers(week: Week, *, as_of: datetime | None = None) -> WeeklyNumbers:
    return weekly_numbers_range(week, week, as_of=as_of)[0]


def weekly_numbers_range(first: Week, last: Week, *, as_of: datetime | None = None) -> list[WeeklyNumbers]:
    """Every week from first to last (both included), seven queries whatever the span.

    Lessons and assignments count only when they started / fell due before `as_of` (default
    now): a running week expects only what has already happened."""
    as_of = as_of or timezone.now()
    return _compute(first, last, as_of=as_of, events_end=None)


def weekly_numbers_until(week: Week, cut: datetime) -> WeeklyNumbers:
    """The week as it stood at `cut`: every event of the week before it, and the expected
    lessons and assignments before it (the same weekdays of a week that has ended)."""
    return _compute(week, week, as_of=cut, events_end=cut)[0]


def _compute(first: Week, last: Week, *, as_of: datetime, events_end: datetime | None) -> list[WeeklyNumbers]:
    now = timezone.now()
    weeks = {
        week.monday: WeeklyNumbers(week=week, computed_at=now, as_of=as_of)
        for week in week_range(first, last)
    }
    start, end = first.start, last.end
    expected_end = min(end, as_of)  # nothing is expected before it has happened
    if events_end is not None:
        end = min(end, events_end)

    def put(rows, **names: str) -> None:
        for row in rows:
            numbers = weeks.get(_monday(row["week"]))
            if numbers is None:
                continue
            for attribute, key in names.items():
                setattr(numbers, attribute, row[key] if row[key] is not None else getattr(numbers, attribute))

    put(_by_week(_leads(start, end), "created_at").annotate(n=Count("pk")), leads="n")
    put(_by_week(_consultations(start, end), "held_at").annotate(n=Count("pk")), consultations="n")
    put(
        _by_week(_deals(start, end), "paid_at").annotate(n=Count("pk"), total=Sum("amount")),
        deals="n",
        revenue="total",
    )
    put(_by_week(_refunds(start, end), "refunded_at").annotate(total=Sum("amount")), refunded="total")
    put(
        _by_week(_expected_attendance(start, expected_end), "starts_at").annotate(
            expected=Count("pk"),
            full=Count("pk", filter=Q(attended=Attendance.Status.FULL)),
            partial=Count("pk", filter=Q(attended=Attendance.Status.PARTIAL)),
        ),
        attendance_expected="expected",
        attendance_full="full",
        attendance_partial="partial",
    )
    put(
        _by_week(_expected_submissions(start, expected_end), "due_at").annotate(
            expected=Count("pk"),
            submitted=Count("pk", filter=Q(submitted=True)),
            graded=Count("pk", filter=Q(latest_passed__isnull=False)),
            passed=Count("pk", filter=Q(latest_passed=True)),
        ),
        submission_expected="expected",
        submission_submitted="submitted",
        pass_graded="graded",
        pass_passed="passed",
    )
    put(
        _by_week(_compared_assessments(start, end), "taken_at").annotate(
            measured=Count("pk"), improved=Count("pk", filter=Q(score__gt=F("entry_score")))
        ),
        improvement_measured="measured",
        improvement_improved="improved",
    )
    for numbers in weeks.values():
        numbers.revenue = money(numbers.revenue)
        numbers.refunded = money(numbers.refunded)
    return list(weeks.values())


# --- the rows behind each number ---------------------------------------------------------


def _monday(value: datetime | date) -> date:
    return Week.of(value).monday


def _by_week(queryset: QuerySet, moment: str) -> QuerySet:
    tz = timezone.get_default_timezone()
    return queryset.annotate(week=TruncWeek(moment, tzinfo=tz)).order_by().values("week")


def _leads(start: datetime, end: datetime) -> QuerySet:
    return Lead.objects.filter(is_spam=False, created_at__gte=start, created_at__lt=end)


def _consultations(start: datetime, end: datetime) -> QuerySet:
    return Consultation.objects.filter(
        status=Consultation.Status.HELD, held_at__gte=start, held_at__lt=end, lead__is_spam=False
    )


def _deals(start: datetime, end: datetime) -> QuerySet:
    return Order.objects.filter(paid_at__gte=start, paid_at__lt=end)


def _refunds(start: datetime, end: datetime) -> QuerySet:
    return Refund.objects.filter(status=Refund.Status.SUCCEEDED, refunded_at__gte=start, refunded_at__lt=end)


def _expected_attendance(start: datetime, end: datetime) -> QuerySet:
    """One row per expected lesson × enrollment pair, with the attendance recorded (or None).

    The join conditions sit in one filter() so that they all speak of the same enrollment.
    """
    return Lesson.objects.filter(
        Q(starts_at__gte=start, starts_at__lt=end)
        & Q(cohort__enrollments__enrolled_at__lte=F("starts_at"))
        & (
            Q(cohort__enrollments__ended_at__isnull=True)
            | Q(cohort__enrollments__ended_at__gt=F("starts_at"))
        )
    ).annotate(
        attended=Subquery(
            Attendance.objects.filter(
                lesson=OuterRef("pk"), student=OuterRef("cohort__enrollments__student")
            ).values("status")[:1]
        )
    )


def _expected_submissions(start: datetime, end: datetime) -> QuerySet:
    """One row per student × assignment pair whose enrollment is active at the due time."""
    pair = Submission.objects.filter(
        assignment=OuterRef("pk"), student=OuterRef("cohort__enrollments__student")
    )
    return Assignment.objects.filter(
        Q(due_at__gte=start, due_at__lt=end)
        & Q(cohort__enrollments__enrolled_at__lte=F("due_at"))
        & (Q(cohort__enrollments__ended_at__isnull=True) | Q(cohort__enrollments__ended_at__gt=F("due_at")))
    ).annotate(
        submitted=Exists(pair),
        latest_passed=Subquery(
            pair.filter(graded_at__isnull=False).order_by("-attempt", "-submitted_at").values("passed")[:1]
        ),
    )


def _compared_assessments(start: datetime, end: datetime) -> QuerySet:
    """Stage and graduation assessments of the span whose student has an entry score in that
    cohort taken before them, each with that entry score (the earliest entry assessment)."""
    entry = Assessment.objects.filter(
        student=OuterRef("student"),
        cohort=OuterRef("cohort"),
        kind=Assessment.Kind.ENTRY,
        taken_at__lt=OuterRef("taken_at"),  # a baseline only when taken before
    ).order_by("taken_at", "pk")
    return (
        Assessment.objects.filter(
            kind__in=[Assessment.Kind.STAGE, Assessment.Kind.GRADUATION],
            taken_at__gte=start,
            taken_at__lt=end,
        )
        .annotate(entry_score=Subquery(entry.values("score")[:1]))
        .filter(entry_score__isnull=False)
    )
