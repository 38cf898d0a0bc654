"""A cohort is named with its course everywhere the founder meets it (AI 编程实战营 · 第 2 期):
two courses both have a 第 1 期, and "第 2 期" alone says nothing in a list of work to grade."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.services import emails
from tests import factories as f

FULL_NAME = "AI 编程实战营 · 第 2 期"


@pytest.fixture
def cohort(db):
    return f.make_cohort(course=f.make_course(title="AI 编程实战营"), name="第 2 期")


@pytest.fixture
def learner(cohort):
    learner = f.make_student(f.make_user(email="learner@example.com", name="学员丙"))
    f.make_enrollment(learner, cohort)
    return learner


def test_every_console_page_of_a_cohort_names_it_with_its_course(founder_client, cohort, learner):
    lesson = f.make_lesson(cohort)
    f.make_attendance(lesson, learner)
    assignment = f.make_assignment(cohort)
    submission = f.make_submission(assignment, learner)
    f.make_assessment(learner, cohort, "entry", 50)
    pages = {
        "cohort": f"/console/cohorts/{cohort.pk}/",
        "attendance": f"/console/lessons/{lesson.pk}/attendance/",
        "assessments": f"/console/cohorts/{cohort.pk}/assessments/",
        "lesson": f"/console/cohorts/{cohort.pk}/lessons/{lesson.pk}/",
        "assignment": f"/console/cohorts/{cohort.pk}/assignments/{assignment.pk}/",
        "grading queue": "/console/grading/",
        "grade": f"/console/submissions/{submission.pk}/",
    }
    for what, url in pages.items():
        response = founder_client.get(url)
        assert response.status_code == 200, what
        assert FULL_NAME in response.content.decode(), what
    student_page = founder_client.get(f"/console/students/{learner.pk}/").content.decode()
    assert student_page.count(FULL_NAME) >= 4  # enrollment, attendance, submission, assessment


def test_the_grading_queue_names_cohorts_in_a_constant_number_of_queries(
    founder_client, cohort, learner, django_assert_max_num_queries
):
    for _ in range(5):
        other = f.make_cohort()
        f.make_enrollment(learner, other)
        f.make_submission(f.make_assignment(other), learner)
    founder_client.get("/console/grading/")
    with django_assert_max_num_queries(5):
        html = founder_client.get("/console/grading/").content.decode()
    assert html.count(" · 第 ") == 5


def test_the_enrollment_email_names_the_cohort_with_its_course(cohort, learner):
    order = f.make_order(cohort, buyer_email="buyer@example.com", buyer_name="买家", status="paid")
    emails.order_enrollment_email_send(order=order)
    assert FULL_NAME in mail.outbox[0].subject and FULL_NAME in mail.outbox[0].body


def _assessments_kind(founder_client, cohort) -> str:
    return founder_client.get(f"/console/cohorts/{cohort.pk}/assessments/").context["form"]["kind"].value()


def test_the_assessments_form_offers_an_entry_round_while_someone_has_none(founder_client, cohort, learner):
    second = f.make_student()
    f.make_enrollment(second, cohort)
    assert _assessments_kind(founder_client, cohort) == "entry"
    f.make_assessment(learner, cohort, "entry", 40)
    assert _assessments_kind(founder_client, cohort) == "entry"


def test_the_assessments_form_does_not_default_to_entry_when_everyone_has_one(
    founder_client, cohort, learner
):
    refunded = f.make_student()
    f.make_enrollment(refunded, cohort, status="refunded", ended_at=timezone.now())
    f.make_assessment(learner, cohort, "entry", 40)
    assert _assessments_kind(founder_client, cohort) == "stage"


def test_the_assessments_form_offers_graduation_in_the_cohorts_last_week(founder_client, cohort, learner):
    f.make_assessment(learner, cohort, "entry", 40)
    cohort.ends_on = timezone.localdate() + timedelta(days=3)
    cohort.save()
    assert _assessments_kind(founder_client, cohort) == "graduation"
    f.make_assessment(learner, cohort, "graduation", 80)
    assert _assessments_kind(founder_client, cohort) == "stage"
