"""A cohort's own figures, checked against numbers worked out by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.selectors import cohort_figures, cohort_roster
from cohorts.services import enrollment_end
from tests import factories as f


@pytest.fixture
def cohort(db):
    return f.make_cohort()


def enroll(cohort, n):
    students = [f.make_student() for _ in range(n)]
    enrollments = [f.make_enrollment(s, cohort) for s in students]
    return students, enrollments


def test_an_empty_cohort_has_undefined_rates_not_zero(cohort):
    figures = cohort_figures(cohort)
    assert figures.improvement_rate is None
    assert figures.graduation_pass_rate is None
    assert figures.submission_rate is None
    assert figures.pass_rate is None
    assert figures.attendance_rate is None
    assert figures.showcase_count == 0


def test_figures_by_hand(cohort):
    now = timezone.now()
    (s1, s2, s3, s4), enrollments = enroll(cohort, 4)
    enrollment_end(enrollment=enrollments[3], status="refunded", ended_at=now - timedelta(days=10))

    # Improvement: s1 40 → 70 (better), s2 60 → 60 then 55 (latest 55: not better), s3 entry only.
    f.make_assessment(s1, cohort, "entry", 40, taken_at=now - timedelta(days=20))
    f.make_assessment(s1, cohort, "stage", 70, taken_at=now - timedelta(days=5))
    f.make_assessment(s2, cohort, "entry", 60, taken_at=now - timedelta(days=20))
    f.make_assessment(s2, cohort, "stage", 60, taken_at=now - timedelta(days=6))
    f.make_assessment(s2, cohort, "graduation", 55, passed=False, taken_at=now - timedelta(days=1))
    f.make_assessment(s3, cohort, "entry", 30, taken_at=now - timedelta(days=20))
    # Graduation pass rate: s1 passes; the refunded s4 passes too but does not count.
    f.make_assessment(s1, cohort, "graduation", 80, passed=True, taken_at=now - timedelta(hours=2))
    f.make_assessment(s4, cohort, "graduation", 99, passed=True, taken_at=now - timedelta(days=12))

    # Two assignments due (s4 refunded before both), one still open.
    a1 = f.make_assignment(cohort, due_at=now - timedelta(days=7))
    a2 = f.make_assignment(cohort, due_at=now - timedelta(days=2))
    f.make_assignment(cohort, due_at=now + timedelta(days=2))
    f.make_submission(a1, s1, graded_at=now, score=80, passed=True, is_showcase=True)
    f.make_submission(a1, s2, graded_at=now, score=40, passed=False)
    f.make_submission(a1, s2, attempt=2, graded_at=now, score=70, passed=True)
    f.make_submission(a2, s1, graded_at=now, score=50, passed=False)
    f.make_submission(a2, s3)  # submitted, not graded

    # One lesson held: s1 full, s2 partial, s3 absent (missing record).
    lesson = f.make_lesson(cohort, starts_at=now - timedelta(days=3))
    f.make_lesson(cohort, starts_at=now + timedelta(days=3))
    f.make_attendance(lesson, s1, "full")
    f.make_attendance(lesson, s2, "partial")

    figures = cohort_figures(cohort, now)
    # measured: s1 (70>40 better), s2 (latest 55 < 60), s4 has no entry → 1/2
    assert (figures.improved, figures.measured, figures.improvement_rate) == (1, 2, 0.5)
    # passed graduation among not-refunded (s1, s2, s3): 1/3
    assert (figures.graduated_passed, figures.not_refunded) == (1, 3)
    assert figures.graduation_pass_rate == pytest.approx(1 / 3)
    assert figures.showcase_count == 1
    # pairs: 2 assignments × 3 active students = 6; submitted: a1 s1, a1 s2, a2 s1, a2 s3 = 4
    assert (figures.submitted_pairs, figures.expected_pairs) == (4, 6)
    # graded pairs: a1 s1 (pass), a1 s2 latest attempt 2 (pass), a2 s1 (fail) → 2/3
    assert (figures.passed_pairs, figures.graded_pairs) == (2, 3)
    assert (figures.attended, figures.expected_attendance) == (2, 3)

    rows = {r.enrollment.student_id: r for r in cohort_roster(cohort, now)}
    assert (rows[s1.pk].attended, rows[s1.pk].submitted, rows[s1.pk].passed) == (1, 2, 1)
    assert (rows[s4.pk].expected_lessons, rows[s4.pk].expected_assignments) == (0, 0)
