"""Uploaded files reach only their owner and staff; graduation reports only when published."""

import io

import pytest
from django.utils import timezone
from PIL import Image

from cohorts import services
from tests import factories as f
from tests.cohorts.files import PDF, PNG, upload


@pytest.fixture
def pdf_submission(student, cohort_a):
    assignment = f.make_assignment(cohort_a)
    return services.submission_submit(student=student, assignment=assignment, file=upload("报告.pdf", PDF))


def test_the_owner_and_staff_download_as_attachment_with_nosniff(
    student_client, founder_client, pdf_submission
):
    for c in (student_client, founder_client):
        response = c.get(f"/files/submissions/{pdf_submission.pk}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF


def test_student_cannot_download_another_students_file(other_client, outsider_client, client, pdf_submission):
    assert other_client.get(f"/files/submissions/{pdf_submission.pk}/").status_code == 404
    assert outsider_client.get(f"/files/submissions/{pdf_submission.pk}/").status_code == 404
    response = client.get(f"/files/submissions/{pdf_submission.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_images_may_show_inline_but_never_as_anything_else(student_client, student, cohort_a):
    submission = services.submission_submit(
        student=student, assignment=f.make_assignment(cohort_a), file=upload("图.png", PNG, "text/html")
    )
    response = student_client.get(f"/files/submissions/{submission.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert student_client.get(f"/files/submissions/{submission.pk}/?download=1")[
        "Content-Disposition"
    ].startswith("attachment")


def test_a_submission_without_a_file_has_nothing_to_download(student_client, student, cohort_a):
    submission = f.make_submission(f.make_assignment(cohort_a), student)
    assert student_client.get(f"/files/submissions/{submission.pk}/").status_code == 404


@pytest.fixture
def graduate(student, cohort_a, founder):
    f.make_assessment(student, cohort_a, "entry", 42)
    f.make_assessment(student, cohort_a, "graduation", 86, passed=True)
    lesson = f.make_lesson(cohort_a)
    f.make_attendance(lesson, student, "full")
    assignment = f.make_assignment(
        cohort_a, title="毕业项目", is_graduation_project=True, due_at=timezone.now()
    )
    submission = f.make_submission(assignment, student, link="https://github.com/xuesheng/project")
    services.submission_grade(
        submission=submission, score=90, feedback="好", graded_by=founder, is_showcase=True
    )
    enrollment = services.enrollment_graduate(enrollment=student.enrollments.get())
    services.graduation_report_feedback_set(
        report=enrollment.report, closing_feedback="从零到能独立做项目，进步非常明显。"
    )
    return enrollment


def test_a_report_is_private_until_the_student_publishes_it(client, graduate):
    token = graduate.report.token
    assert client.get(f"/graduates/{token}/").status_code == 404
    assert client.get(f"/graduates/{token}/card.png").status_code == 404
    services.graduation_report_publish(report=graduate.report, published=True)
    page = client.get(f"/graduates/{token}/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("42", "86", "从零到能独立做项目", "毕业项目", "https://github.com/xuesheng/project"):
        assert expected in text
    services.graduation_report_publish(report=graduate.report, published=False)
    assert client.get(f"/graduates/{token}/").status_code == 404


def test_the_share_card_is_a_1080_wide_png(client, graduate):
    services.graduation_report_publish(report=graduate.report, published=True)
    response = client.get(f"/graduates/{graduate.report.token}/card.png")
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size[0] == 1080


def test_the_card_falls_back_when_no_font_is_found(client, graduate, settings):
    from cohorts import cards

    cards.card_font_path.cache_clear()
    settings.REPORT_CARD_FONT = "/nonexistent/font.ttc"
    services.graduation_report_publish(report=graduate.report, published=True)
    try:
        assert client.get(f"/graduates/{graduate.report.token}/card.png").status_code == 200
    finally:
        cards.card_font_path.cache_clear()


def test_an_unknown_token_is_404(client, db):
    assert client.get("/graduates/nope/").status_code == 404
