"""Reads of the learner pages (/learn/): what to do next, a cohort's lessons and homework, my
progress. The access gates they rely on are in cohorts.selectors.

Every function runs a fixed number of queries, however many lessons, assignments and attempts
there are: the home page and the cohort page are the pages students open most.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Enrollment,
    Lesson,
    LessonMaterial,
    Quiz,
    Student,
    Submission,
)
from cohorts.referrals import referral_url
from cohorts.selectors import latest_attempts

ASSIGNMENT_STATES = ("todo", "submitted", "passed", "not_passed", "late")
# The cohort page's groups, in the order a student works through them.
ASSIGNMENT_GROUPS = ("todo", "submitted", "not_passed", "passed")
ATTENDED = ("full", "partial")


def _state(assignment: Assignment, latest: Submission | None, now: datetime) -> str:
    if latest is None:
        return "late" if now > assignment.due_at else "todo"
    if latest.graded_at is None:
        return "submitted"
    return "passed" if latest.passed else "not_passed"


def _count(queryset: QuerySet, by: str) -> Coalesce:
    """A correlated COUNT of `queryset` grouped by one column (0 when none)."""
    rows = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def lesson_ends() -> ExpressionWrapper:
    """A lesson's end in SQL: its start plus its duration."""
    return ExpressionWrapper(
        F("starts_at") + F("duration_minutes") * Value(timedelta(minutes=1)), output_field=DateTimeField()
    )


def with_progress(enrollments: QuerySet[Enrollment], now: datetime) -> QuerySet[Enrollment]:
    """Each enrollment with the student's progress line (作业 5/8 达标 · 出勤 11/12):

    - assignments_total: the cohort's assignments; assignments_passed: those whose latest graded
      attempt passed (as the console's roster counts them);
    - lessons_held: lessons held while the student was in (docs/metrics.md, number 7);
      lessons_attended: those of them marked full or partial;
    - has_entry: an entry assessment is recorded."""
    later_graded = Submission.objects.filter(
        assignment=OuterRef("assignment"),
        student=OuterRef("student"),
        attempt__gt=OuterRef("attempt"),
        graded_at__isnull=False,
    )
    passed = Submission.objects.filter(
        student=OuterRef("student"), assignment__cohort=OuterRef("cohort"), passed=True
    ).filter(~Exists(later_graded))
    held = Lesson.objects.filter(
        cohort=OuterRef("cohort"),
        starts_at__lte=now,
        starts_at__gte=OuterRef("enrolled_at"),
        starts_at__lt=Coalesce(OuterRef("ended_at"), Value(now + timedelta(seconds=1))),
    )
    attended = Attendance.objects.filter(
        student=OuterRef("student"),
        lesson__cohort=OuterRef("cohort"),
        lesson__starts_at__lte=now,
        status__in=ATTENDED,
    )
    return enrollments.annotate(
        assignments_total=_count(Assignment.objects.filter(cohort=OuterRef("cohort")), "cohort"),
        assignments_passed=_count(passed, "student"),
        lessons_held=_count(held, "cohort"),
        lessons_attended=_count(attended, "student"),
        has_entry=Exists(
            Assessment.objects.filter(
                student=OuterRef("student"), cohort=OuterRef("cohort"), kind=Assessment.Kind.ENTRY
            )
        ),
    )


def _materials() -> Prefetch:
    return Prefetch("materials", queryset=LessonMaterial.objects.order_by("created_at", "id"))


@dataclass
class LearnerHome:
    """The home page: what to do next, then every cohort with its progress line."""

    enrollments: list[Enrollment]
    next_lesson: Lesson | None
    next_assignment: Assignment | None
    overdue: list[Assignment]
    new_feedback: list[Submission]
    upcoming: list[Enrollment] = field(default_factory=list)  # cohorts not started: the checklist
    # The student's own referral link: to the course of their latest cohort (cohorts/referrals.py).
    referral_url: str = ""

    @property
    def checklist_first(self) -> bool:
        """Before anything has started, getting ready comes before a lesson days away."""
        return bool(self.upcoming) and (
            self.next_lesson is None or self.next_lesson.cohort_id in {e.cohort_id for e in self.upcoming}
        )


def learner_home(student: Student, now: datetime | None = None) -> LearnerHome:
    now = now or timezone.now()
    enrollments = list(
        with_progress(Enrollment.objects.filter(student=student), now)
        .select_related("cohort__course")
        .order_by("-cohort__starts_on", "-pk")
    )
    current = [e.cohort_id for e in enrollments if e.status == Enrollment.Status.ACTIVE]
    next_lesson = (
        Lesson.objects.filter(cohort_id__in=current)
        .alias(ends=lesson_ends())
        .filter(ends__gt=now)
        .select_related("cohort__course")
        .order_by("starts_at", "id")
        .first()
        if current
        else None
    )
    handed_in = Submission.objects.filter(student=student, assignment=OuterRef("pk"))
    open_work = list(
        Assignment.objects.filter(cohort_id__in=current)
        .filter(~Exists(handed_in))
        .filter(Q(due_at__gt=now) | Q(accepts_late=True))
        .select_related("cohort__course")
        .order_by("due_at", "id")
    )
    new_feedback = list(
        latest_attempts()
        .filter(student=student, graded_at__isnull=False)
        .filter(Q(feedback_seen_at__isnull=True) | Q(feedback_seen_at__lt=F("graded_at")))
        .select_related("assignment__cohort__course")
        .order_by("-graded_at", "-pk")
    )
    upcoming = [e for e in enrollments if e.is_upcoming]
    if upcoming:
        # The checklist's entry test: the cohort's online one when the founder published it
        # (the earliest to close), else the date of the test planned on the cohort.
        tests: dict[int, Quiz] = {}
        for quiz in Quiz.objects.filter(
            cohort_id__in=[e.cohort_id for e in upcoming], kind=Quiz.Kind.ENTRY, is_published=True
        ).order_by("opens_at", "id"):
            tests.setdefault(quiz.cohort_id, quiz)
        for enrollment in upcoming:
            enrollment.entry_test = tests.get(enrollment.cohort_id)  # type: ignore[attr-defined]
    return LearnerHome(
        enrollments=enrollments,
        next_lesson=next_lesson,
        next_assignment=next((a for a in open_work if a.due_at > now), None),
        overdue=[a for a in open_work if a.due_at <= now],
        new_feedback=new_feedback,
        upcoming=upcoming,
        referral_url=referral_url(student, enrollments[0].cohort.course if enrollments else None),
    )


@dataclass
class LearnerAssignment:
    assignment: Assignment
    latest: Submission | None
    state: str

    @property
    def new_feedback(self) -> bool:
        return self.latest is not None and self.latest.has_new_feedback


def learner_assignments(enrollment: Enrollment, now: datetime | None = None) -> list[LearnerAssignment]:
    """Every assignment of the cohort with my latest attempt and its state, in due order."""
    now = now or timezone.now()
    latest = {
        s.assignment_id: s
        for s in latest_attempts().filter(
            student_id=enrollment.student_id, assignment__cohort_id=enrollment.cohort_id
        )
    }
    return [
        LearnerAssignment(a, latest.get(a.pk), _state(a, latest.get(a.pk), now))
        for a in Assignment.objects.filter(cohort_id=enrollment.cohort_id)
    ]


def assignments_by_group(items: list[LearnerAssignment]) -> list[tuple[str, list[LearnerAssignment]]]:
    """The cohort page's groups: to do (overdue ones included), waiting for grading, needs
    another try, passed; empty groups left out."""
    groups: dict[str, list[LearnerAssignment]] = defaultdict(list)
    for item in items:
        groups["todo" if item.state == "late" else item.state].append(item)
    return [(name, groups[name]) for name in ASSIGNMENT_GROUPS if groups[name]]


@dataclass
class CohortPage:
    enrollment: Enrollment
    next_lesson: Lesson | None
    last_lesson: Lesson | None  # the latest one held: its replay and materials
    lesson_count: int
    assignments: list[LearnerAssignment]


def learner_cohort(enrollment: Enrollment, now: datetime | None = None) -> CohortPage:
    """The cohort page of a student who is in it (not withdrawn: the gate refused them)."""
    now = now or timezone.now()
    lessons = (
        Lesson.objects.filter(cohort_id=enrollment.cohort_id)
        .alias(ends=lesson_ends())
        .select_related("cohort")
    )
    next_lesson = lessons.filter(ends__gt=now).order_by("starts_at", "id").first()
    last_lesson = lessons.filter(ends__lte=now).order_by("-starts_at", "-id").first()
    prefetch_related_objects([x for x in (next_lesson, last_lesson) if x], _materials())
    annotated = (
        with_progress(Enrollment.objects.filter(pk=enrollment.pk), now)
        .annotate(lesson_count=_count(Lesson.objects.filter(cohort=OuterRef("cohort")), "cohort"))
        .get()
    )
    for name in ("assignments_total", "assignments_passed", "lessons_held", "lessons_attended"):
        setattr(enrollment, name, getattr(annotated, name))
    return CohortPage(
        enrollment=enrollment,
        next_lesson=next_lesson,
        last_lesson=last_lesson,
        lesson_count=annotated.lesson_count,
        assignments=learner_assignments(enrollment, now),
    )


def learner_lessons(enrollment: Enrollment) -> list[tuple[Lesson, str]]:
    """Every lesson of the cohort, with its materials and my attendance ("" before it is recorded)."""
    mine = dict(
        Attendance.objects.filter(
            student_id=enrollment.student_id, lesson__cohort_id=enrollment.cohort_id
        ).values_list("lesson_id", "status")
    )
    lessons = (
        Lesson.objects.filter(cohort_id=enrollment.cohort_id)
        .select_related("cohort")
        .prefetch_related(_materials())
    )
    return [(lesson, mine.get(lesson.pk, "")) for lesson in lessons]


def learner_progress(student: Student, now: datetime | None = None) -> list[dict]:
    """Per cohort: the progress line, the assessments in order (entry → stage → graduation), the
    graduation report, and for a cohort I have left, my own homework (its feedback stays mine)."""
    now = now or timezone.now()
    enrollments = list(
        with_progress(Enrollment.objects.filter(student=student), now)
        .select_related("cohort__course", "report")
        .order_by("-enrolled_at")
    )
    assessments = defaultdict(list)
    for assessment in Assessment.objects.filter(student=student).order_by("taken_at", "id"):
        assessments[assessment.cohort_id].append(assessment)
    left = [e.cohort_id for e in enrollments if e.is_withdrawn]
    work: dict[int, list[Submission]] = defaultdict(list)
    if left:
        for submission in (
            latest_attempts()
            .filter(student=student, assignment__cohort_id__in=left)
            .select_related("assignment")
            .order_by("assignment__due_at", "assignment_id")
        ):
            work[submission.assignment.cohort_id].append(submission)
    rows = []
    for enrollment in enrollments:
        report = (
            getattr(enrollment, "report", None) if enrollment.status == Enrollment.Status.GRADUATED else None
        )
        rows.append(
            {
                "enrollment": enrollment,
                "assessments": assessments[enrollment.cohort_id],
                "report": report,
                "work": work[enrollment.cohort_id],
            }
        )
    return rows
