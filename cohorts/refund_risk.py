"""Refund-risk early warning: students who can still ask for their money back and are drifting.

A student is flagged while their refund window is open (the site's refund period, counted from
their enrollment, which is when they paid) and at least one of these holds, counted only from
what came after they joined:

- **missed the last lesson**: the cohort's latest lesson that has ended is recorded absent for
  them (a lesson nobody took attendance of says nothing);
- **handed nothing in** for the cohort's latest assignment whose due time has passed;
- **never signed in** since they paid.

A flag the founder dismissed (with a reason) stays dismissed for that enrollment; a call or a
message noted is shown on the flag, which stays until the window closes or the student is back.
Three queries however many students: the enrollments with their reasons, and their last actions.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cohorts.models import Assignment, Attendance, Enrollment, Lesson, RefundRiskAction, Submission
from onepco.site import site_settings

REASONS = {
    "missed_lesson": _("missed the last lesson"),
    "no_submission": _("handed nothing in for the last assignment"),
    "never_signed_in": _("has not signed in since paying"),
}


@dataclass
class RefundRisk:
    enrollment: Enrollment
    reasons: list[str]
    window_ends: date
    days_left: int
    last_action: RefundRiskAction | None

    @property
    def reason_texts(self) -> list[str]:
        return [str(REASONS[code]) for code in self.reasons]


def _flagged(at: datetime, refund_days: int) -> QuerySet[Enrollment]:
    ended = ExpressionWrapper(
        F("starts_at") + F("duration_minutes") * Value(timedelta(minutes=1), output_field=DurationField()),
        output_field=DateTimeField(),
    )
    last_lesson = (
        Lesson.objects.annotate(ends=ended)
        .filter(cohort_id=OuterRef("cohort_id"), starts_at__gte=OuterRef("enrolled_at"), ends__lte=at)
        .order_by("-starts_at", "-pk")
        .values("pk")[:1]
    )
    last_assignment = (
        Assignment.objects.filter(
            cohort_id=OuterRef("cohort_id"), due_at__gte=OuterRef("enrolled_at"), due_at__lte=at
        )
        .order_by("-due_at", "-pk")
        .values("pk")[:1]
    )
    return (
        Enrollment.objects.filter(
            status=Enrollment.Status.ACTIVE,
            enrolled_at__gt=at - timedelta(days=refund_days),
            enrolled_at__lte=at,
        )
        .annotate(last_lesson_id=Subquery(last_lesson), last_assignment_id=Subquery(last_assignment))
        .annotate(
            missed_lesson=Exists(
                Attendance.objects.filter(
                    lesson_id=OuterRef("last_lesson_id"),
                    student_id=OuterRef("student_id"),
                    status=Attendance.Status.ABSENT,
                )
            ),
            handed_in=Exists(
                Submission.objects.filter(
                    assignment_id=OuterRef("last_assignment_id"), student_id=OuterRef("student_id")
                )
            ),
            dismissed=Exists(
                RefundRiskAction.objects.filter(
                    enrollment_id=OuterRef("pk"), kind=RefundRiskAction.Kind.DISMISSED
                )
            ),
        )
        .filter(dismissed=False)
        .filter(
            Q(missed_lesson=True)
            | Q(last_assignment_id__isnull=False, handed_in=False)
            | Q(student__user__last_login__isnull=True)
            | Q(student__user__last_login__lt=F("enrolled_at"))
        )
        .select_related("student__user", "cohort__course")
        .order_by("enrolled_at", "pk")
    )


def refund_risks(*, at: datetime | None = None, cohort_id: int | None = None) -> list[RefundRisk]:
    """The students at refund risk as of `at` (of one cohort when given), soonest window first.
    None when the site has no refund period: there is no window to watch."""
    at = at or timezone.now()
    refund_days = site_settings().refund_days
    if not refund_days:
        return []
    enrollments = _flagged(at, refund_days)
    if cohort_id is not None:
        enrollments = enrollments.filter(cohort_id=cohort_id)
    rows = list(enrollments)
    actions: dict[int, RefundRiskAction] = {}
    for action in RefundRiskAction.objects.filter(enrollment__in=[e.pk for e in rows]).select_related("by"):
        actions.setdefault(action.enrollment_id, action)  # newest first (Meta.ordering)
    today = timezone.localdate(at)
    risks = []
    for enrollment in rows:
        user = enrollment.student.user
        reasons = [
            code
            for code, holds in (
                ("missed_lesson", enrollment.missed_lesson),  # type: ignore[attr-defined]
                ("no_submission", enrollment.last_assignment_id is not None and not enrollment.handed_in),  # type: ignore[attr-defined]
                ("never_signed_in", user.last_login is None or user.last_login < enrollment.enrolled_at),
            )
            if holds
        ]
        ends = timezone.localdate(enrollment.enrolled_at) + timedelta(days=refund_days)
        risks.append(
            RefundRisk(enrollment=enrollment, reasons=reasons, window_ends=ends,
                       days_left=max((ends - today).days, 0), last_action=actions.get(enrollment.pk))
        )  # fmt: skip
    risks.sort(key=lambda risk: (risk.days_left, risk.enrollment.pk))
    return risks
