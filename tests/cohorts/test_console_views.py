"""The founder console: staff only; every form saves what it says and nothing else."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Enrollment,
    FeedbackTemplate,
    Lesson,
    Submission,
)
from tests import factories as f


@pytest.fixture
def world(student, other_student, cohort_a):
    lesson = f.make_lesson(cohort_a)
    assignment = f.make_assignment(cohort_a)
    submission = f.make_submission(assignment, student)
    template = f.make_feedback_template(title="很好", body="结构清晰，继续保持。")
    return {"lesson": lesson, "assignment": assignment, "submission": submission, "template": template}


def console_urls(cohort_a, world, student):
    return [
        "/console/cohorts/",
        f"/console/cohorts/{cohort_a.pk}/",
        f"/console/cohorts/{cohort_a.pk}/lessons/new/",
        f"/console/cohorts/{cohort_a.pk}/lessons/{world['lesson'].pk}/",
        f"/console/lessons/{world['lesson'].pk}/attendance/",
        f"/console/cohorts/{cohort_a.pk}/assignments/new/",
        f"/console/cohorts/{cohort_a.pk}/assignments/{world['assignment'].pk}/",
        f"/console/cohorts/{cohort_a.pk}/assessments/",
        "/console/grading/",
        f"/console/submissions/{world['submission'].pk}/",
        "/console/feedback-templates/",
        f"/console/feedback-templates/{world['template'].pk}/",
        f"/console/students/{student.pk}/",
    ]


def test_every_console_page_is_for_staff_only(
    client, student_client, outsider_client, founder_client, cohort_a, world, student
):
    for url in console_urls(cohort_a, world, student):
        assert client.get(url).status_code == 302, url
        assert client.get(url)["Location"].startswith("/accounts/login/")
        assert student_client.get(url).status_code == 403, url
        assert outsider_client.get(url).status_code == 403, url
        assert founder_client.get(url).status_code == 200, url


def test_students_cannot_post_to_console_forms(student_client, cohort_a, world, student):
    submission = world["submission"]
    student_client.post(f"/console/submissions/{submission.pk}/", {"score": "100", "feedback": "满分"})
    student_client.post(f"/console/lessons/{world['lesson'].pk}/attendance/", {f"s{student.pk}": "full"})
    student_client.post(f"/console/cohorts/{cohort_a.pk}/graduate/")
    student_client.post(f"/console/submissions/{submission.pk}/showcase/", {"on": "1"})
    submission.refresh_from_db()
    assert (submission.graded_at, submission.score, submission.is_showcase) == (None, None, False)
    assert not Attendance.objects.exists()


def test_attendance_of_a_whole_lesson_is_saved_in_one_request(founder_client, cohort_a, student):
    others = [f.make_student() for _ in range(2)]
    for learner in others:
        f.make_enrollment(learner, cohort_a)
    lesson = f.make_lesson(cohort_a)
    page = founder_client.get(f"/console/lessons/{lesson.pk}/attendance/")
    assert len(page.context["form"].rows) == 3
    response = founder_client.post(
        f"/console/lessons/{lesson.pk}/attendance/",
        {f"s{student.pk}": "full", f"s{others[0].pk}": "partial", f"s{others[1].pk}": "absent"},
    )
    assert response.status_code == 302
    assert dict(lesson.attendances.values_list("student_id", "status")) == {
        student.pk: "full", others[0].pk: "partial", others[1].pk: "absent",
    }  # fmt: skip


def test_attendance_with_a_missing_student_is_refused_and_saves_nothing(founder_client, cohort_a, student):
    f.make_enrollment(f.make_student(), cohort_a)
    lesson = f.make_lesson(cohort_a)
    response = founder_client.post(f"/console/lessons/{lesson.pk}/attendance/", {f"s{student.pk}": "full"})
    assert response.status_code == 200
    assert not Attendance.objects.exists()


def test_the_founder_schedules_a_lesson_and_an_assignment(founder_client, cohort_a):
    response = founder_client.post(
        f"/console/cohorts/{cohort_a.pk}/lessons/new/",
        {
            "title": "第一课",
            "starts_at": "2026-12-01T20:00",
            "duration_minutes": "90",
            "meeting_url": "https://meeting.example.com/1",
        },
    )
    assert response.status_code == 302
    assert Lesson.objects.get().meeting_url == "https://meeting.example.com/1"
    response = founder_client.post(
        f"/console/cohorts/{cohort_a.pk}/assignments/new/",
        {"title": "作业一", "instructions": "**写**一个函数", "standard": "能运行", "due_at": "2026-12-03T23:59",
         "pass_mark": "70", "accepts_late": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.pass_mark, assignment.accepts_late, assignment.is_graduation_project) == (
        Decimal("70"),
        True,
        False,
    )
    assert (
        founder_client.post(f"/console/cohorts/{cohort_a.pk}/assignments/new/", {"title": ""}).status_code
        == 200
    )


def test_an_assignment_of_one_cohort_cannot_be_edited_under_another(founder_client, cohort_b, world):
    url = f"/console/cohorts/{cohort_b.pk}/assignments/{world['assignment'].pk}/"
    assert founder_client.get(url).status_code == 404


def test_grading_with_a_template_and_save_and_next(founder_client, cohort_a, student, world):
    first = world["submission"]
    second = f.make_submission(f.make_assignment(cohort_a), student, submitted_at=timezone.now())
    Submission.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(hours=1))
    queue = founder_client.get("/console/grading/").content.decode()
    assert queue.index(f"/console/submissions/{first.pk}/") < queue.index(
        f"/console/submissions/{second.pk}/"
    )
    page = founder_client.get(f"/console/submissions/{first.pk}/").content.decode()
    assert "结构清晰，继续保持。" in page  # the template chip carries its text
    response = founder_client.post(
        f"/console/submissions/{first.pk}/",
        {"score": "85", "passed": "", "feedback": "结构清晰，继续保持。", "is_showcase": "on", "next": "1"},
    )
    assert response["Location"] == f"/console/submissions/{second.pk}/"
    first.refresh_from_db()
    assert (first.score, first.passed, first.is_showcase) == (Decimal("85"), True, True)
    response = founder_client.post(
        f"/console/submissions/{second.pk}/", {"score": "40", "feedback": "再试", "next": "1"}
    )
    assert response["Location"] == "/console/grading/"
    assert list(founder_client.get("/console/grading/").context["submissions"]) == []


def test_a_bad_score_is_refused(founder_client, world):
    submission = world["submission"]
    response = founder_client.post(
        f"/console/submissions/{submission.pk}/", {"score": "120", "feedback": "x"}
    )
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.graded_at is None


def test_the_grading_queue_shows_only_the_latest_ungraded_attempt(founder_client, cohort_a, student, world):
    newer = f.make_submission(world["assignment"], student, attempt=2)
    page = founder_client.get("/console/grading/").content.decode()
    assert f"/console/submissions/{newer.pk}/" in page
    assert f"/console/submissions/{world['submission'].pk}/" not in page


def test_feedback_templates_are_managed_by_the_founder(founder_client, world):
    founder_client.post(
        "/console/feedback-templates/",
        {"title": "格式", "body": "请注意代码格式。", "position": "1", "is_active": "on"},
    )
    assert FeedbackTemplate.objects.filter(title="格式").exists()
    template = world["template"]
    founder_client.post(
        f"/console/feedback-templates/{template.pk}/", {"title": "很好", "body": "改了", "position": "0"}
    )
    template.refresh_from_db()
    assert (template.body, template.is_active) == ("改了", False)


def test_assessment_scores_for_the_whole_cohort_in_one_form(founder_client, cohort_a, student):
    second = f.make_student()
    f.make_enrollment(second, cohort_a)
    url = f"/console/cohorts/{cohort_a.pk}/assessments/"
    response = founder_client.post(
        url,
        {
            "kind": "entry",
            "taken_at": "2026-11-01T10:00",
            "pass_mark": "",
            f"score_{student.pk}": "40",
            f"score_{second.pk}": "55.5",
        },
    )
    assert response.status_code == 302
    assert dict(Assessment.objects.values_list("student_id", "score")) == {
        student.pk: Decimal("40"),
        second.pk: Decimal("55.5"),
    }
    response = founder_client.post(
        url,
        {
            "kind": "graduation",
            "taken_at": "2026-12-20T10:00",
            "pass_mark": "60",
            f"score_{student.pk}": "75",
        },
    )
    assert Assessment.objects.get(kind="graduation").passed is True
    assert founder_client.post(url, {"kind": "stage", "taken_at": "2026-12-01T10:00"}).status_code == 200
    assert (
        founder_client.post(
            url, {"kind": "stage", "taken_at": "2026-12-01T10:00", f"score_{student.pk}": "101"}
        ).status_code
        == 200
    )
    assert Assessment.objects.count() == 3
    founder_client.post(f"/console/cohorts/{cohort_a.pk}/graduate/")
    assert Enrollment.objects.get(student=student).status == "graduated"
    assert Enrollment.objects.get(student=second).status == "active"


def test_closing_feedback_on_the_student_page(founder_client, student_client, cohort_a, student):
    f.make_assessment(student, cohort_a, "graduation", 90, passed=True)
    from cohorts.services import enrollment_graduate

    enrollment = enrollment_graduate(enrollment=student.enrollments.get())
    url = f"/console/reports/{enrollment.report.pk}/feedback/"
    student_client.post(url, {f"r{enrollment.pk}-closing_feedback": "我写的"})
    founder_client.post(url, {f"r{enrollment.pk}-closing_feedback": "进步很大！"})
    enrollment.report.refresh_from_db()
    assert enrollment.report.closing_feedback == "进步很大！"
    assert "进步很大！" in founder_client.get(f"/console/students/{student.pk}/").content.decode()


def test_the_console_home_counts_the_grading_queue(founder_client, student, world):
    f.make_submission(world["assignment"], student, attempt=2)
    response = founder_client.get("/console/")
    assert response.context["grading"].count == 1


def test_the_founder_marks_and_unmarks_a_showcase(founder_client, world):
    submission = world["submission"]
    founder_client.post(f"/console/submissions/{submission.pk}/showcase/", {"on": "1"})
    submission.refresh_from_db()
    assert submission.is_showcase is True
    founder_client.post(f"/console/submissions/{submission.pk}/showcase/", {"on": "0"})
    submission.refresh_from_db()
    assert submission.is_showcase is False
    assert founder_client.get(f"/console/submissions/{submission.pk}/showcase/").status_code == 405
