"""Reads of the delivery loop: access gates, the roster, the grading queue, a cohort's figures.

Figures follow docs/metrics.md: a rate with a zero denominator is None (shown as "—").
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    Enrollment,
    GraduationReport,
    Lesson,
    LessonMaterial,
    Student,
    Submission,
)
from cohorts.referrals import referral_url

NOT_COUNTED = (Enrollment.Status.REFUNDED,)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _active_at(enrollment: Enrollment, moment: datetime) -> bool:
    return enrollment.enrolled_at <= moment and (enrollment.ended_at is None or enrollment.ended_at > moment)


# --- access gates ----------------------------------------------------------------------------


def student_of(user) -> Student | None:
    return getattr(user, "student", None) if user.is_authenticated else None


def learner_of(user) -> Student:
    """The signed-in user's learner profile, for pages behind student_required (403 otherwise)."""
    student = student_of(user)
    if student is None:
        raise PermissionDenied
    return student


def enrollment_for_student(user, cohort_pk: int) -> Enrollment:
    """The signed-in student's enrollment in a cohort; 404 for a cohort they are not in."""
    student = student_of(user)
    enrollment = (
        Enrollment.objects.select_related("cohort__course")
        .filter(student=student, cohort_id=cohort_pk)
        .first()
        if student
        else None
    )
    if enrollment is None:
        raise Http404
    return enrollment


def cohort_for_learner(user, cohort_pk: int) -> Enrollment:
    """The gate of a cohort's own pages (lessons, join links, replays, materials, assignments):
    the signed-in student's enrollment, 404 for a stranger and for a student who has left it
    (dropped or refunded). Their own work stays readable through assignment_for_student."""
    enrollment = enrollment_for_student(user, cohort_pk)
    if enrollment.is_withdrawn:
        raise Http404
    return enrollment


@dataclass
class AssignmentPage:
    assignment: Assignment
    enrollment: Enrollment
    attempts: list[Submission]


def assignment_for_student(user, pk: int) -> AssignmentPage:
    """An assignment of my cohort with my attempts, newest first. Once I have left the cohort,
    only one I handed work in for (my work and its feedback, not the course's): 404 otherwise."""
    student = student_of(user)
    enrollment = (
        Enrollment.objects.select_related("cohort__course", "student")
        .filter(student=student, cohort__assignments=pk)
        .first()
        if student
        else None
    )
    if enrollment is None:
        raise Http404
    assignment = Assignment.objects.get(pk=pk)
    assignment.cohort = enrollment.cohort
    attempts = list(Submission.objects.filter(assignment=assignment, student=student).order_by("-attempt"))
    if enrollment.is_withdrawn and not attempts:
        raise Http404
    return AssignmentPage(assignment, enrollment, attempts)


def material_for_user(user, pk: int) -> LessonMaterial:
    """A lesson's material for staff and for the cohort's students who have not left it; 404
    for anyone else (a refunded or dropped student included)."""
    student = student_of(user)
    if not user.is_authenticated or (student is None and not user.is_staff):
        raise Http404
    queryset = LessonMaterial.objects.all()
    if not user.is_staff:
        queryset = queryset.filter(
            lesson__cohort__enrollments__student=student,
            lesson__cohort__enrollments__status__in=(Enrollment.Status.ACTIVE, Enrollment.Status.GRADUATED),
        )
    return get_object_or_404(queryset, pk=pk)


def submission_for_user(user, pk: int) -> Submission:
    """Staff see every submission; a student only their own; anyone else gets a 404."""
    queryset = Submission.objects.select_related("assignment__cohort__course", "student__user")
    if not user.is_authenticated:
        raise Http404
    if not user.is_staff:
        queryset = queryset.filter(student__user=user)
    return get_object_or_404(queryset, pk=pk)


def report_for_student(user, pk: int) -> GraduationReport:
    student = student_of(user)
    report = (
        GraduationReport.objects.select_related("enrollment")
        .filter(pk=pk, enrollment__student=student)
        .first()
        if student
        else None
    )
    if report is None:
        raise Http404
    return report


# --- console ---------------------------------------------------------------------------------


def _count_per_cohort(model, **filters) -> Coalesce:
    """A correlated COUNT per cohort. Counting several relations with joins would multiply
    them (enrollments × lessons × assignments rows per cohort: seconds on a large dataset)."""
    rows = (
        model.objects.filter(cohort=OuterRef("pk"), **filters)
        .order_by()
        .values("cohort")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def cohorts_overview() -> QuerySet[Cohort]:
    return Cohort.objects.select_related("course").annotate(
        active_count=_count_per_cohort(Enrollment, status=Enrollment.Status.ACTIVE),
        graduated_count=_count_per_cohort(Enrollment, status=Enrollment.Status.GRADUATED),
        lesson_count=_count_per_cohort(Lesson),
        assignment_count=_count_per_cohort(Assignment),
    )


def cohort_enrolment_refusal(cohort: Cohort, now: datetime | None = None) -> str:
    """Why checkout may not sell a seat of this cohort now because of its enrolment window,
    in the buyer's words ("" when it may). Billing asks this before placing an order."""
    return cohort.enrolment_refusal(now)


def courses_overview() -> QuerySet[Course]:
    """The console's course list: each course with its cohort count and next cohort's start."""
    today = timezone.localdate()
    upcoming = Cohort.objects.filter(course=OuterRef("pk"), ends_on__gte=today).order_by("starts_on", "id")
    return Course.objects.annotate(
        cohort_count=Count("cohorts", distinct=True),
        next_cohort_name=Subquery(upcoming.values("name")[:1]),
        next_cohort_starts_on=Subquery(upcoming.values("starts_on")[:1]),
    ).order_by("status", "title")


@dataclass(frozen=True)
class Missing:
    """Something a cohort lacks before its first lesson, and where to fix it."""

    message: str
    url: str
    fix: str


def cohort_missing(
    cohort: Cohort, now: datetime, *, lessons: list[Lesson], assignments: list[Assignment]
) -> list[Missing]:
    """What the founder still has to prepare (开课前：发布课表 + 作业标准), shown on the cohort's
    page until its first lesson starts; empty afterwards or when everything is there. Reads the
    cohort's lessons and assignments in their order, as the page already has them."""
    if lessons and lessons[0].starts_at <= now:
        return []
    edit = reverse("cohorts:cohort_edit", args=[cohort.pk])
    missing = []
    if not lessons:
        missing.append(
            Missing(
                _("No lessons scheduled."),
                reverse("cohorts:lesson_new", args=[cohort.pk]),
                _("Schedule a lesson"),
            )
        )
    if not cohort.meeting_url and (not lessons or any(not lesson.meeting_url for lesson in lessons)):
        missing.append(
            Missing(_("No join link for the live classes."), f"{edit}#id_meeting_url", _("Add the link"))
        )
    if not assignments:
        missing.append(
            Missing(
                _("No assignment yet."),
                reverse("cohorts:assignment_new", args=[cohort.pk]),
                _("New assignment"),
            )
        )
    for assignment in assignments:
        if not assignment.standard.strip():
            missing.append(
                Missing(
                    _("“%(title)s” has no standard to meet.") % {"title": assignment.title},
                    reverse("cohorts:assignment_edit", args=[cohort.pk, assignment.pk]) + "#id_standard",
                    _("Write the standard"),
                )
            )
    if cohort.entry_assessment_at is None and not cohort.quizzes.filter(kind="entry").exists():
        missing.append(
            Missing(_("No entry assessment planned."), f"{edit}#id_entry_assessment_at", _("Plan it"))
        )
    if not cohort.enrollment_instructions.strip():
        missing.append(
            Missing(
                _("No enrollment instructions e-mail."),
                f"{edit}#id_enrollment_instructions",
                _("Write the e-mail"),
            )
        )
    return missing


def latest_attempts() -> QuerySet[Submission]:
    later = Submission.objects.filter(
        assignment=OuterRef("assignment"), student=OuterRef("student"), attempt__gt=OuterRef("attempt")
    )
    return Submission.objects.filter(~Exists(later))


def grading_queue(cohort: Cohort | None = None) -> QuerySet[Submission]:
    """Latest attempts not graded yet, oldest first: the order the founder works through them."""
    queryset = latest_attempts().filter(graded_at__isnull=True)
    if cohort is not None:
        queryset = queryset.filter(assignment__cohort=cohort)
    return queryset.select_related("assignment__cohort__course", "student__user").order_by(
        "submitted_at", "pk"
    )


def grading_next(after: Submission) -> Submission | None:
    """The next submission to grade once `after` is done ("save and next")."""
    return grading_queue().exclude(pk=after.pk).first()


@dataclass
class CohortFigures:
    improvement_rate: float | None
    improved: int
    measured: int
    graduation_pass_rate: float | None
    graduated_passed: int
    not_refunded: int
    showcase_count: int
    submission_rate: float | None
    submitted_pairs: int
    expected_pairs: int
    pass_rate: float | None
    passed_pairs: int
    graded_pairs: int
    attendance_rate: float | None
    attended: int
    expected_attendance: int


@dataclass
class RosterRow:
    enrollment: Enrollment
    attended: int = 0
    expected_lessons: int = 0
    submitted: int = 0
    expected_assignments: int = 0
    passed: int = 0
    entry_score: Decimal | None = None
    latest_score: Decimal | None = None
    graduation_passed: bool = False

    @property
    def attendance_rate(self) -> float | None:
        return _rate(self.attended, self.expected_lessons)

    @property
    def submission_rate(self) -> float | None:
        return _rate(self.submitted, self.expected_assignments)


@dataclass
class _CohortData:
    enrollments: list[Enrollment]
    lessons: list[Lesson]
    attendance: dict[tuple[int, int], str]
    assignments: list[Assignment]
    latest: dict[tuple[int, int], Submission] = field(default_factory=dict)
    latest_graded: dict[tuple[int, int], Submission] = field(default_factory=dict)
    assessments: list[Assessment] = field(default_factory=list)
    showcase_count: int = 0


def _cohort_data(cohort: Cohort, now: datetime) -> _CohortData:
    """Everything the figures and the roster need, in six queries whatever the cohort's size."""
    enrollments = list(Enrollment.objects.filter(cohort=cohort).select_related("student__user"))
    lessons = list(Lesson.objects.filter(cohort=cohort, starts_at__lte=now))
    attendance = {
        (a["lesson_id"], a["student_id"]): a["status"]
        for a in Attendance.objects.filter(lesson__cohort=cohort, lesson__starts_at__lte=now).values(
            "lesson_id", "student_id", "status"
        )
    }
    assignments = list(Assignment.objects.filter(cohort=cohort, due_at__lte=now))
    data = _CohortData(enrollments, lessons, attendance, assignments)
    submissions = Submission.objects.filter(assignment__cohort=cohort).only(
        "id", "assignment_id", "student_id", "attempt", "graded_at", "passed", "is_showcase"
    )
    for sub in submissions.order_by("attempt"):
        key = (sub.assignment_id, sub.student_id)
        data.latest[key] = sub
        if sub.graded_at is not None:
            data.latest_graded[key] = sub
        data.showcase_count += sub.is_showcase
    data.assessments = list(Assessment.objects.filter(cohort=cohort).order_by("taken_at", "id"))
    return data


def cohort_figures(cohort: Cohort, now: datetime | None = None) -> CohortFigures:
    now = now or timezone.now()
    data = _cohort_data(cohort, now)
    rows = _roster_rows(data)
    counted = [r for r in rows if r.enrollment.status not in NOT_COUNTED]
    improved = sum(
        1
        for r in rows
        if r.entry_score is not None and r.latest_score is not None and r.latest_score > r.entry_score
    )
    measured = sum(1 for r in rows if r.entry_score is not None and r.latest_score is not None)
    grad_passed = sum(1 for r in counted if r.graduation_passed)
    expected_pairs = sum(r.expected_assignments for r in rows)
    submitted_pairs = sum(r.submitted for r in rows)
    graded_pairs = passed_pairs = 0
    for assignment in data.assignments:
        for enrollment in data.enrollments:
            if not _active_at(enrollment, assignment.due_at):
                continue
            graded = data.latest_graded.get((assignment.pk, enrollment.student_id))
            if graded is not None:
                graded_pairs += 1
                passed_pairs += bool(graded.passed)
    attended = sum(r.attended for r in rows)
    expected_attendance = sum(r.expected_lessons for r in rows)
    return CohortFigures(
        improvement_rate=_rate(improved, measured),
        improved=improved,
        measured=measured,
        graduation_pass_rate=_rate(grad_passed, len(counted)),
        graduated_passed=grad_passed,
        not_refunded=len(counted),
        showcase_count=data.showcase_count,
        submission_rate=_rate(submitted_pairs, expected_pairs),
        submitted_pairs=submitted_pairs,
        expected_pairs=expected_pairs,
        pass_rate=_rate(passed_pairs, graded_pairs),
        passed_pairs=passed_pairs,
        graded_pairs=graded_pairs,
        attendance_rate=_rate(attended, expected_attendance),
        attended=attended,
        expected_attendance=expected_attendance,
    )


def cohort_roster(cohort: Cohort, now: datetime | None = None) -> list[RosterRow]:
    return _roster_rows(_cohort_data(cohort, now or timezone.now()))


def _roster_rows(data: _CohortData) -> list[RosterRow]:
    by_student: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in data.assessments:
        by_student[assessment.student_id].append(assessment)
    rows = []
    for enrollment in data.enrollments:
        sid = enrollment.student_id
        row = RosterRow(enrollment=enrollment)
        for lesson in data.lessons:
            if _active_at(enrollment, lesson.starts_at):
                row.expected_lessons += 1
                row.attended += data.attendance.get((lesson.pk, sid)) in ("full", "partial")
        for assignment in data.assignments:
            if _active_at(enrollment, assignment.due_at):
                row.expected_assignments += 1
                row.submitted += (assignment.pk, sid) in data.latest
                graded = data.latest_graded.get((assignment.pk, sid))
                row.passed += bool(graded and graded.passed)
        entries = [a for a in by_student[sid] if a.kind == Assessment.Kind.ENTRY]
        later = [a for a in by_student[sid] if a.kind != Assessment.Kind.ENTRY]
        row.entry_score = entries[0].score if entries else None
        row.latest_score = later[-1].score if later else None
        row.graduation_passed = any(a.kind == Assessment.Kind.GRADUATION and a.passed for a in later)
        rows.append(row)
    return rows


def assessment_table(cohort: Cohort) -> list[dict]:
    """One row per enrollment: its entry, stage and graduation assessments, oldest first."""
    assessments = defaultdict(list)
    for assessment in Assessment.objects.filter(cohort=cohort).order_by("taken_at", "id"):
        assessments[assessment.student_id].append(assessment)
    rows = []
    for enrollment in Enrollment.objects.filter(cohort=cohort).select_related("student__user"):
        mine = assessments[enrollment.student_id]
        rows.append(
            {
                "enrollment": enrollment,
                "entry": [a for a in mine if a.kind == Assessment.Kind.ENTRY],
                "stage": [a for a in mine if a.kind == Assessment.Kind.STAGE],
                "graduation": [a for a in mine if a.kind == Assessment.Kind.GRADUATION],
                "can_graduate": enrollment.status == Enrollment.Status.ACTIVE
                and any(a.passed for a in mine if a.kind == Assessment.Kind.GRADUATION),
            }
        )
    return rows


def assessment_kind_due(cohort: Cohort, table: list[dict], today=None) -> str:
    """The round the founder most likely records next (the form's default): entry while an
    active student has none; graduation in the cohort's last week, while one lacks it; else stage."""
    active = [row for row in table if row["enrollment"].status == Enrollment.Status.ACTIVE]
    if not active or any(not row["entry"] for row in active):
        return Assessment.Kind.ENTRY
    today = today or timezone.localdate()
    if today > cohort.ends_on - timedelta(days=7) and any(not row["graduation"] for row in active):
        return Assessment.Kind.GRADUATION
    return Assessment.Kind.STAGE


def attendance_sheet(lesson: Lesson) -> list[tuple[Enrollment, str]]:
    """The students expected at a lesson with their recorded status ("" when not recorded)."""
    recorded = dict(Attendance.objects.filter(lesson=lesson).values_list("student_id", "status"))
    enrollments = (
        Enrollment.objects.filter(cohort_id=lesson.cohort_id, enrolled_at__lte=lesson.starts_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=lesson.starts_at))
        .select_related("student__user")
        .order_by("student__user__name", "pk")
    )
    return [(e, recorded.get(e.student_id, "")) for e in enrollments]


def assignment_latest_submissions(assignment: Assignment) -> QuerySet[Submission]:
    return (
        latest_attempts()
        .filter(assignment=assignment)
        .select_related("student__user")
        .order_by("student__user__name", "pk")
    )


def student_overview(student: Student) -> dict:
    """The console's page about one student: enrollments, attendance, submissions, assessments."""
    return {
        "enrollments": list(
            Enrollment.objects.filter(student=student).select_related("cohort__course", "report")
        ),
        "attendance": list(
            Attendance.objects.filter(student=student)
            .select_related("lesson__cohort__course")
            .order_by("-lesson__starts_at")[:50]
        ),
        "submissions": list(
            Submission.objects.filter(student=student)
            .select_related("assignment__cohort__course")
            .order_by("-submitted_at")[:50]
        ),
        "assessments": list(
            Assessment.objects.filter(student=student)
            .select_related("cohort__course")
            .order_by("cohort", "taken_at")
        ),
    }


@dataclass
class ReportData:
    report: GraduationReport
    enrollment: Enrollment
    entry_score: Decimal | None
    graduation_score: Decimal | None
    attendance_rate: float | None
    attended: int
    expected_lessons: int
    submission_rate: float | None
    submitted: int
    passed: int
    expected_assignments: int
    showcases: list[Submission]
    # The graduation project: the student's latest attempt at it (a passed one first).
    project: Submission | None = None
    # The course page with the graduate's referral code: "我也想报名" on the page and the card.
    referral_url: str = ""


def published_report(token: str) -> ReportData:
    """A published graduation report by its token; 404 when unknown or taken down."""
    report = (
        GraduationReport.objects.select_related("enrollment__cohort__course", "enrollment__student__user")
        .filter(token=token, is_published=True, enrollment__status=Enrollment.Status.GRADUATED)
        .first()
    )
    if report is None:
        raise Http404
    return report_data(report)


def report_data(report: GraduationReport) -> ReportData:
    enrollment = report.enrollment
    cohort, student = enrollment.cohort, enrollment.student
    now = timezone.now()
    data = _cohort_data(cohort, now)
    data.enrollments = [enrollment]
    row = _roster_rows(data)[0]
    graduation = [
        a for a in data.assessments if a.student_id == student.pk and a.kind == Assessment.Kind.GRADUATION
    ]
    showcases = list(
        Submission.objects.filter(student=student, assignment__cohort=cohort, is_showcase=True)
        .select_related("assignment")
        .order_by("assignment__due_at")
    )
    project = (
        Submission.objects.filter(
            student=student, assignment__cohort=cohort, assignment__is_graduation_project=True
        )
        .select_related("assignment")
        .order_by(F("passed").desc(nulls_last=True), "-submitted_at", "-attempt")
        .first()
    )
    return ReportData(
        report=report,
        enrollment=enrollment,
        entry_score=row.entry_score,
        graduation_score=graduation[-1].score if graduation else None,
        attendance_rate=row.attendance_rate,
        attended=row.attended,
        expected_lessons=row.expected_lessons,
        submission_rate=row.submission_rate,
        submitted=row.submitted,
        passed=row.passed,
        expected_assignments=row.expected_assignments,
        showcases=showcases,
        project=project,
        referral_url=referral_url(student, cohort.course),
    )


# --- the course's sales page -----------------------------------------------------------------


@dataclass
class SyllabusItem:
    kind: str  # "lesson", "assignment" or "project"
    title: str
    moment: datetime
    duration_minutes: int | None = None


@dataclass
class SyllabusWeek:
    number: int
    items: list[SyllabusItem] = field(default_factory=list)


@dataclass
class Syllabus:
    cohort: Cohort
    weeks: list[SyllabusWeek]
    dated: bool  # the cohort is the one on sale: its dates are the buyer's; else a past one's plan


def course_syllabus(course: Course, next_cohort: Cohort | None) -> Syllabus | None:
    """The week-by-week plan on the course page: the lessons and homework of the next cohort on
    sale; when it has none yet (or none is on sale), those of the course's latest cohort that has
    lessons, without its dates. None when no cohort of the course has lessons. Three queries at
    most, whatever the number of lessons."""
    cohort, dated = next_cohort, True
    if cohort is None or not cohort.lessons.exists():
        cohort = (
            Cohort.objects.filter(course=course, lessons__isnull=False)
            .order_by("-starts_on", "-id")
            .distinct()
            .first()
        )
        dated = False
        if cohort is None:
            return None
    tz = timezone.get_current_timezone()
    items = [
        SyllabusItem("lesson", lesson.title, lesson.starts_at, lesson.duration_minutes)
        for lesson in Lesson.objects.filter(cohort=cohort).only("title", "starts_at", "duration_minutes")
    ]
    items += [
        SyllabusItem("project" if a.is_graduation_project else "assignment", a.title, a.due_at)
        for a in Assignment.objects.filter(cohort=cohort).only("title", "due_at", "is_graduation_project")
    ]
    weeks: dict[int, SyllabusWeek] = {}
    for item in sorted(items, key=lambda i: (i.moment, i.kind != "lesson")):
        number = max((timezone.localtime(item.moment, tz).date() - cohort.starts_on).days // 7 + 1, 1)
        weeks.setdefault(number, SyllabusWeek(number)).items.append(item)
    return Syllabus(cohort=cohort, weeks=list(weeks.values()), dated=dated)


def course_showcase(course: Course, *, limit: int = 6) -> list[Submission]:
    """Showcased work (优秀案例) of the course's graduates who agreed to show it on the course page
    (GraduationReport.shares_work), newest first: one query, `limit` pieces at most. A withdrawn
    consent, a withdrawn or refunded enrolment, hides the work at once."""
    return list(
        Submission.objects.filter(
            is_showcase=True,
            assignment__cohort__course=course,
            student__enrollments__cohort=F("assignment__cohort"),
            student__enrollments__status=Enrollment.Status.GRADUATED,
            student__enrollments__report__shares_work=True,
        )
        .select_related("assignment__cohort", "student__user")
        .order_by("-submitted_at", "-id")[:limit]
    )
