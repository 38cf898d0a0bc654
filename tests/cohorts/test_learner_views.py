"""Learner pages: a student sees and hands in only what belongs to their own cohorts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts import services
from cohorts.models import GraduationReport, Submission
from tests import factories as f
from tests.cohorts.files import EXE, PDF, upload


@pytest.fixture
def assignment(cohort_a):
    return f.make_assignment(
        cohort_a, title="写一个爬虫", standard="能抓到 10 条数据", due_at=timezone.now() + timedelta(days=2)
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort_a, assignment):
    for url in (
        "/learn/",
        f"/learn/cohorts/{cohort_a.pk}/",
        f"/learn/assignments/{assignment.pk}/",
        "/learn/progress/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_student_sees_their_cohort_with_lessons_and_assignment_states(
    student_client, cohort_a, student, assignment
):
    f.make_lesson(
        cohort_a,
        title="下周课",
        starts_at=timezone.now() + timedelta(days=3),
        meeting_url="https://meet.example.com/x",
    )
    past = f.make_lesson(cohort_a, title="上周课", starts_at=timezone.now() - timedelta(days=3))
    f.make_attendance(past, student, "partial")
    f.make_assignment(cohort_a, title="逾期作业", due_at=timezone.now() - timedelta(days=1))
    graded = f.make_assignment(cohort_a, title="已批改")
    f.make_submission(graded, student, graded_at=timezone.now(), score=Decimal("90"), passed=True)
    response = student_client.get(f"/learn/cohorts/{cohort_a.pk}/")
    assert response.status_code == 200
    states = {item.assignment.title: item.state for item in response.context["page"].assignments}
    assert states == {"写一个爬虫": "todo", "逾期作业": "late", "已批改": "passed"}
    page = response.content.decode()
    assert "下周课" in page
    lessons = student_client.get(f"/learn/cohorts/{cohort_a.pk}/lessons/").content.decode()
    assert "上周课" in lessons and "下周课" in lessons
    assert "https://meet.example.com/x" not in lessons  # three days ahead: not open yet


def test_a_student_cannot_see_another_cohort_or_its_assignments(
    other_client, outsider_client, founder_client, cohort_a, assignment
):
    for c in (other_client, outsider_client):
        assert c.get(f"/learn/cohorts/{cohort_a.pk}/").status_code == 404
        assert c.get(f"/learn/assignments/{assignment.pk}/").status_code == 404
        assert c.post(f"/learn/assignments/{assignment.pk}/", {"text": "偷偷交"}).status_code == 404
    assert founder_client.get(f"/learn/cohorts/{cohort_a.pk}/").status_code == 403
    assert not Submission.objects.exists()


def test_submitting_from_the_assignment_page_keeps_every_attempt(student_client, student, assignment):
    url = f"/learn/assignments/{assignment.pk}/"
    page = student_client.get(url).content.decode()
    assert "能抓到 10 条数据" in page
    assert student_client.post(url, {"text": "第一版"}).status_code == 302
    assert (
        student_client.post(
            url, {"link": "https://github.com/x/y", "file": upload("说明.pdf", PDF)}
        ).status_code
        == 302
    )
    assert list(Submission.objects.values_list("attempt", "text")) == [(1, "第一版"), (2, "")]
    page = student_client.get(url)
    assert [s.attempt for s in page.context["attempts"]] == [2, 1]


def test_bad_uploads_on_the_page_show_a_message(student_client, assignment, settings):
    url = f"/learn/assignments/{assignment.pk}/"
    response = student_client.post(url, {"file": upload("homework.pdf", EXE)})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    settings.UPLOAD_MAX_BYTES = 100
    assert student_client.post(url, {"file": upload("a.pdf", PDF * 10)}).status_code == 413
    assert student_client.post(url, {}).status_code == 400
    assert not Submission.objects.exists()


def test_a_closed_assignment_shows_no_form_and_refuses_work(student_client, cohort_a):
    closed = f.make_assignment(cohort_a, due_at=timezone.now() - timedelta(days=1), accepts_late=False)
    url = f"/learn/assignments/{closed.pk}/"
    assert b'id="submit-form"' not in student_client.get(url).content
    assert student_client.post(url, {"text": "x"}).status_code == 400
    assert not Submission.objects.exists()


def test_the_student_reads_feedback_and_score(student_client, student, assignment, founder):
    submission = f.make_submission(assignment, student)
    services.submission_grade(
        submission=submission, score=Decimal("88"), feedback="思路清楚，注意异常处理。", graded_by=founder
    )
    page = student_client.get(f"/learn/assignments/{assignment.pk}/").content.decode()
    assert "思路清楚，注意异常处理。" in page
    assert "88" in page


def test_progress_shows_assessments_and_the_graduate_publishes_and_revokes(
    student_client, other_client, cohort_a, student
):
    f.make_assessment(student, cohort_a, "entry", 40)
    f.make_assessment(student, cohort_a, "graduation", 85, passed=True)
    enrollment = services.enrollment_graduate(enrollment=student.enrollments.get())
    report = enrollment.report
    page = student_client.get("/learn/progress/").content.decode()
    assert "<svg" in page
    assert other_client.post(f"/learn/reports/{report.pk}/publish/", {"publish": "1"}).status_code == 404
    report.refresh_from_db()
    assert report.is_published is False
    student_client.post(f"/learn/reports/{report.pk}/publish/", {"publish": "1"})
    report.refresh_from_db()
    assert report.is_published is True
    student_client.post(f"/learn/reports/{report.pk}/publish/", {"publish": "0"})
    assert GraduationReport.objects.get().is_published is False


def test_a_dropped_student_opens_their_work_but_cannot_hand_in(student_client, student, assignment):
    f.make_submission(assignment, student, text="第一版")
    services.enrollment_end(enrollment=student.enrollments.get(), status="dropped")
    page = student_client.get(f"/learn/assignments/{assignment.pk}/")
    assert page.status_code == 200
    assert "第一版" in page.content.decode()
    assert b'id="submit-form"' not in page.content
    assert student_client.post(f"/learn/assignments/{assignment.pk}/", {"text": "x"}).status_code == 403
    assert list(Submission.objects.values_list("text", flat=True)) == ["第一版"]


def test_a_dropped_student_gets_404_on_an_assignment_they_never_handed_in(
    student_client, student, assignment
):
    services.enrollment_end(enrollment=student.enrollments.get(), status="dropped")
    assert student_client.get(f"/learn/assignments/{assignment.pk}/").status_code == 404
    assert student_client.post(f"/learn/assignments/{assignment.pk}/", {"text": "x"}).status_code == 404
    assert not Submission.objects.exists()
