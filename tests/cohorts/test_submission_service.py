from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohorts import services
from cohorts.files import FileRejected, FileTooLarge
from cohorts.models import Submission
from tests import factories as f
from tests.cohorts.files import EXE, PDF, PNG, office, upload


@pytest.fixture
def assignment(cohort_a):
    return f.make_assignment(cohort_a, due_at=timezone.now() + timedelta(days=1))


def test_resubmitting_creates_attempt_two_and_keeps_the_first(student, assignment):
    first = services.submission_submit(student=student, assignment=assignment, text="v1")
    second = services.submission_submit(student=student, assignment=assignment, link="https://example.com/v2")
    assert (first.attempt, second.attempt) == (1, 2)
    assert list(Submission.objects.filter(student=student).values_list("text", "attempt")) == [
        ("v1", 1),
        ("", 2),
    ]


def test_work_after_the_due_time_is_accepted_and_marked_late(student, assignment):
    late = services.submission_submit(
        student=student, assignment=assignment, text="x", now=assignment.due_at + timedelta(minutes=1)
    )
    on_time = services.submission_submit(
        student=student, assignment=assignment, text="x", now=assignment.due_at
    )
    assert late.late is True
    assert on_time.late is False


def test_an_assignment_that_refuses_late_work_says_so(student, cohort_a):
    closed = f.make_assignment(cohort_a, due_at=timezone.now() - timedelta(hours=1), accepts_late=False)
    with pytest.raises(ValidationError) as error:
        services.submission_submit(student=student, assignment=closed, text="x")
    assert "assignment" in error.value.message_dict
    assert not Submission.objects.exists()


def test_an_empty_submission_is_refused(student, assignment):
    with pytest.raises(ValidationError):
        services.submission_submit(student=student, assignment=assignment, text="  ")


def test_a_student_of_another_cohort_cannot_submit(other_student, outsider, assignment):
    for learner in (other_student, outsider):
        with pytest.raises(services.NotEnrolled):
            services.submission_submit(student=learner, assignment=assignment, text="x")
    assert not Submission.objects.exists()


def test_a_dropped_student_cannot_submit(student, assignment):
    services.enrollment_end(enrollment=student.enrollments.get(), status="dropped")
    with pytest.raises(services.NotEnrolled):
        services.submission_submit(student=student, assignment=assignment, text="x")


@pytest.mark.parametrize(
    ("name", "content"),
    [("work.pdf", PDF), ("screen.png", PNG), ("report.docx", office()), ("deck.pptx", office("ppt/slide1.xml")),
     ("notes.md", "# 笔记\n".encode()), ("main.py", b"print('hi')\n"), ("nb.ipynb", b'{"cells": []}'),
     ("all.zip", office("src/main.py"))],
)  # fmt: skip
def test_allowed_files_are_stored_under_a_random_name(student, assignment, name, content):
    submission = services.submission_submit(
        student=student, assignment=assignment, file=upload(name, content)
    )
    assert submission.file_name == name
    assert submission.file_size == len(content)
    assert name not in submission.file.name
    assert submission.file.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [("homework.pdf", EXE), ("homework.txt", EXE), ("setup.exe", EXE), ("page.html", b"<script>x</script>"),
     ("fake.docx", office("xl/sheet.xml")), ("fake.png", PDF), ("logo.svg", b"<svg onload=alert(1)>"),
     ("nb.ipynb", b"not json")],
)  # fmt: skip
def test_files_whose_content_is_not_their_type_are_refused(student, assignment, name, content):
    with pytest.raises(FileRejected):
        services.submission_submit(student=student, assignment=assignment, file=upload(name, content))
    assert not Submission.objects.exists()


def test_a_file_over_the_limit_is_refused(student, assignment, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(FileTooLarge):
        services.submission_submit(
            student=student, assignment=assignment, file=upload("a.pdf", PDF + b"0" * 2000)
        )


def test_grading_sets_the_verdict_from_the_pass_mark(student, assignment, founder):
    submission = f.make_submission(assignment, student)
    graded = services.submission_grade(
        submission=submission, score=Decimal("59.5"), feedback=" 再改改 ", graded_by=founder
    )
    assert (graded.passed, graded.feedback, graded.graded_by) == (False, "再改改", founder)
    regraded = services.submission_grade(
        submission=submission, score=Decimal("50"), feedback="ok", graded_by=founder, passed=True
    )
    assert regraded.passed is True


def test_attendance_refuses_a_student_of_another_cohort(student, other_student, cohort_a):
    lesson = f.make_lesson(cohort_a)
    with pytest.raises(ValidationError):
        services.attendance_record(lesson=lesson, statuses={other_student.pk: "full"})
    services.attendance_record(lesson=lesson, statuses={student.pk: "partial"})
    services.attendance_record(lesson=lesson, statuses={student.pk: "full"})
    assert list(lesson.attendances.values_list("status", flat=True)) == ["full"]


def test_graduation_needs_a_passed_graduation_assessment(student, cohort_a):
    enrollment = student.enrollments.get()
    with pytest.raises(services.NotPassed):
        services.enrollment_graduate(enrollment=enrollment)
    services.assessments_record(
        cohort=cohort_a, kind="graduation", scores={student.pk: Decimal("80")}, pass_mark=Decimal("60")
    )
    assert services.cohort_graduate_passed(cohort=cohort_a) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "graduated"
    assert enrollment.report.is_published is False
    assert services.cohort_graduate_passed(cohort=cohort_a) == 0


def test_a_graduate_is_expected_at_lessons_before_graduation_not_after(student, cohort_a):
    enrollment = student.enrollments.get()
    now = timezone.now()
    before = f.make_lesson(cohort_a, starts_at=now - timedelta(days=2))
    after = f.make_lesson(cohort_a, starts_at=now + timedelta(days=2))
    f.make_assessment(student, cohort_a, "graduation", 85, passed=True)

    services.enrollment_graduate(enrollment=enrollment, when=now)

    enrollment.refresh_from_db()
    assert enrollment.ended_at == enrollment.graduated_at == now
    assert services.expected_student_ids(before) == [student.pk]
    assert services.expected_student_ids(after) == []
