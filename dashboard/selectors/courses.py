"""Per course, across all its cohorts: who came back, what a student is worth, and how the
students who passed each assignment improved against those who did not.

Descriptive figures only: none of them says that an assignment (or anything else) caused a
gain. Each figure is one grouped statement, whatever the number of cohorts or students.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Min

from billing.models import Order, Refund
from cohorts.models import Assessment, Assignment, Cohort, Course, Enrollment, Student, Submission
from dashboard.selectors.pages import _share, student_url
from onepco.money import money

# Who a paid order belongs to: the student it enrolled, else the buyer account's learner profile
# (an order paid with only a phone number has neither yet and belongs to nobody here).
_ORDER_OWNER = """
    SELECT o.id, o.cohort_id, o.status, o.amount, COALESCE(en.student_id, st.id) AS student_id
    FROM {order} o
    LEFT JOIN {enrollment} en ON en.id = o.enrollment_id
    LEFT JOIN {student} st ON st.user_id = o.user_id
    WHERE o.status = ANY(%(paid)s)
"""

# A graduate of the course: a passed graduation assessment in one of its cohorts, the enrollment
# there not refunded (the dashboard's per-cohort graduation pass rate counts the same people).
# "Bought again": a paid order, not fully refunded, for a cohort of any course starting after
# the first cohort of this course they graduated from.
REPURCHASE_SQL = """
WITH graduates AS (
    SELECT a.student_id, MIN(c.starts_on) AS first_start
    FROM {assessment} a
    JOIN {cohort} c ON c.id = a.cohort_id
    JOIN {enrollment} e ON e.student_id = a.student_id AND e.cohort_id = a.cohort_id
    WHERE c.course_id = %(course)s AND a.kind = %(graduation)s AND a.passed
      AND e.status <> %(refunded)s
    GROUP BY a.student_id
), owned AS ({owned})
SELECT g.student_id, u.name, u.email,
    string_agg(DISTINCT course.title || ' · ' || later.name, '、'
        ORDER BY course.title || ' · ' || later.name) FILTER (WHERE later.id IS NOT NULL) AS bought
FROM graduates g
JOIN {student} s ON s.id = g.student_id
JOIN {user} u ON u.id = s.user_id
LEFT JOIN owned o ON o.student_id = g.student_id AND o.status <> %(fully_refunded)s
LEFT JOIN {cohort} later ON later.id = o.cohort_id AND later.starts_on > g.first_start
LEFT JOIN {course} course ON course.id = later.course_id
GROUP BY g.student_id, u.name, u.email
ORDER BY u.name, u.email, g.student_id
"""

# Every student who ever enrolled in a cohort of the course (refunded ones too: what they paid
# and got back is in the figure), with the net of all their paid orders of any course: amount
# less succeeded refunds. A student without a paid order counts with 0. The median is the mean
# of the two middle values, computed exactly in numeric (percentile_cont works in floats).
LTV_SQL = """
WITH students AS (
    SELECT DISTINCT e.student_id FROM {enrollment} e JOIN {cohort} c ON c.id = e.cohort_id
    WHERE c.course_id = %(course)s
), owned AS ({owned}), refunded AS (
    SELECT r.order_id, SUM(r.amount) AS amount FROM {refund} r
    WHERE r.status = %(succeeded)s AND r.order_id IN (SELECT id FROM owned) GROUP BY r.order_id
), per_student AS (
    SELECT s.student_id, COALESCE(SUM(o.amount - COALESCE(r.amount, 0)), 0) AS net
    FROM students s
    LEFT JOIN owned o ON o.student_id = s.student_id
    LEFT JOIN refunded r ON r.order_id = o.id
    GROUP BY s.student_id
)
SELECT COUNT(*), SUM(net), AVG(net),
    (percentile_disc(0.5) WITHIN GROUP (ORDER BY net)
     + percentile_disc(0.5) WITHIN GROUP (ORDER BY net DESC)) / 2
FROM per_student
"""

# An assignment across cohorts is its title: copying a cohort (cohorts/scheduling.py) carries
# the title, instructions and standard over and links nothing back to the source. The gain of a
# student in a cohort: their latest graduation score less their earliest entry score there, the
# entry taken before it. Passed: the latest graded submission (highest graded attempt) passed;
# everyone else measured in that cohort (failed, not graded, not handed in) did not.
ASSIGNMENT_GAIN_SQL = """
WITH course_cohorts AS (
    SELECT id, starts_on FROM {cohort} WHERE course_id = %(course)s
), entry AS (
    SELECT DISTINCT ON (student_id, cohort_id) student_id, cohort_id, score, taken_at
    FROM {assessment} WHERE kind = %(entry)s AND cohort_id IN (SELECT id FROM course_cohorts)
    ORDER BY student_id, cohort_id, taken_at, id
), gains AS (
    SELECT DISTINCT ON (g.student_id, g.cohort_id) g.student_id, g.cohort_id, g.score - entry.score AS gain
    FROM {assessment} g
    JOIN entry ON entry.student_id = g.student_id AND entry.cohort_id = g.cohort_id
    WHERE g.kind = %(graduation)s AND g.taken_at > entry.taken_at
    ORDER BY g.student_id, g.cohort_id, g.taken_at DESC, g.id DESC
), latest_graded AS (
    SELECT DISTINCT ON (s.assignment_id, s.student_id) s.assignment_id, s.student_id, s.passed
    FROM {submission} s JOIN {assignment} a ON a.id = s.assignment_id
    WHERE s.graded_at IS NOT NULL AND a.cohort_id IN (SELECT id FROM course_cohorts)
    ORDER BY s.assignment_id, s.student_id, s.attempt DESC
)
SELECT a.title, bool_or(a.is_graduation_project), COUNT(DISTINCT a.cohort_id),
    COUNT(g.student_id) FILTER (WHERE lg.passed),
    AVG(g.gain) FILTER (WHERE lg.passed),
    COUNT(g.student_id) FILTER (WHERE lg.passed IS NOT TRUE),
    AVG(g.gain) FILTER (WHERE lg.passed IS NOT TRUE)
FROM {assignment} a
JOIN course_cohorts c ON c.id = a.cohort_id
LEFT JOIN gains g ON g.cohort_id = a.cohort_id
LEFT JOIN latest_graded lg ON lg.assignment_id = a.id AND lg.student_id = g.student_id
GROUP BY a.title
ORDER BY MIN(a.due_at - c.starts_on::timestamptz), a.title
"""


def _sql(template: str) -> str:
    tables = {
        str(model._meta.model_name): model._meta.db_table
        for model in (Assessment, Assignment, Cohort, Course, Enrollment, Order, Refund, Student, Submission)
    }
    tables["user"] = Student._meta.get_field("user").related_model._meta.db_table  # type: ignore[union-attr]
    tables["owned"] = _ORDER_OWNER.format(**tables)
    return template.format(**tables)


def _params(course: Course) -> dict[str, Any]:
    return {
        "course": course.pk,
        "paid": [str(status) for status in Order.PAID_STATUSES],
        "fully_refunded": str(Order.Status.REFUNDED),
        "refunded": str(Enrollment.Status.REFUNDED),
        "succeeded": str(Refund.Status.SUCCEEDED),
        "entry": str(Assessment.Kind.ENTRY),
        "graduation": str(Assessment.Kind.GRADUATION),
    }


def _rows(template: str, course: Course) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_sql(template), _params(course))
        return cursor.fetchall()


@dataclass(frozen=True)
class Repurchaser:
    student_id: int
    name: str
    bought: str  # the later cohorts they paid for, "Course · Cohort、…"

    @property
    def url(self) -> str:
        return student_url(self.student_id)


@dataclass(frozen=True)
class Repurchase:
    graduates: int
    repurchasers: list[Repurchaser]

    @property
    def count(self) -> int:
        return len(self.repurchasers)

    @property
    def share(self) -> float | None:
        return _share(self.count, self.graduates)


def course_repurchase(course: Course) -> Repurchase:
    """The course's graduates and those of them who bought a later cohort. One query."""
    rows = _rows(REPURCHASE_SQL, course)
    return Repurchase(
        graduates=len(rows),
        repurchasers=[
            Repurchaser(student_id=pk, name=name or email, bought=bought)
            for pk, name, email, bought in rows
            if bought
        ],
    )


@dataclass(frozen=True)
class Lifetime:
    students: int
    total: Decimal
    mean: Decimal | None  # None: no student, shown as "—"
    median: Decimal | None


def course_lifetime_value(course: Course) -> Lifetime:
    """Revenue per student who ever enrolled in the course, net of refunds, over all their
    paid orders of any course. One query."""
    ((students, total, mean, median),) = _rows(LTV_SQL, course)
    return Lifetime(
        students=students,
        total=money(total or 0),
        mean=None if mean is None else money(mean),
        median=None if median is None else money(median),
    )


@dataclass(frozen=True)
class AssignmentGain:
    title: str
    is_graduation_project: bool
    cohorts: int  # how many of the course's cohorts have an assignment of this title
    passed: int  # students with a gain who passed it
    passed_gain: Decimal | None  # their mean gain; None when nobody is in the group
    not_passed: int
    not_passed_gain: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.passed_gain is None or self.not_passed_gain is None:
            return None
        return self.passed_gain - self.not_passed_gain

    @property
    def passed_gain_text(self) -> str:
        return points_text(self.passed_gain)

    @property
    def not_passed_gain_text(self) -> str:
        return points_text(self.not_passed_gain)

    @property
    def difference_text(self) -> str:
        return points_text(self.difference)


def points_text(value: Decimal | None) -> str:
    """A gain in score points with its sign, "+12.5" or "−3.0"; "—" for an empty group."""
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else f"{value}")


def _points(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


def course_assignment_gains(course: Course) -> list[AssignmentGain]:
    """Per assignment of the course (by title, across its cohorts), the mean entry → graduation
    gain of the students who passed it and of those who did not, with the counts. One query."""
    return [
        AssignmentGain(
            title=title,
            is_graduation_project=project,
            cohorts=cohorts,
            passed=passed,
            passed_gain=_points(passed_gain),
            not_passed=not_passed,
            not_passed_gain=_points(not_passed_gain),
        )
        for title, project, cohorts, passed, passed_gain, not_passed, not_passed_gain in _rows(
            ASSIGNMENT_GAIN_SQL, course
        )
    ]


@dataclass(frozen=True)
class CourseAcross:
    course: Course
    cohorts: int
    first_start: date | None
    repurchase: Repurchase
    lifetime: Lifetime
    assignments: list[AssignmentGain]


def course_across(course: Course) -> CourseAcross:
    """Everything the course's across-cohorts page shows: four queries."""
    span = Cohort.objects.filter(course=course).aggregate(n=Count("pk"), first=Min("starts_on"))
    return CourseAcross(
        course=course,
        cohorts=span["n"],
        first_start=span["first"],
        repurchase=course_repurchase(course),
        lifetime=course_lifetime_value(course),
        assignments=course_assignment_gains(course),
    )
