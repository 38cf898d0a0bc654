"""List pages run a fixed number of queries, however many students and submissions there are."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onepco.site import site_settings
from tests import factories as f


def grow(cohort, n: int) -> None:
    assignments = [f.make_assignment(cohort, due_at=timezone.now() - timedelta(days=1)) for _ in range(2)]
    lesson = f.make_lesson(cohort)
    for _ in range(n):
        learner = f.make_student()
        f.make_enrollment(learner, cohort)
        f.make_attendance(lesson, learner, "full")
        f.make_assessment(learner, cohort, "entry", 50)
        for assignment in assignments:
            f.make_submission(assignment, learner)
    f.make_lesson(cohort, starts_at=timezone.now() + timedelta(days=2))


def count(client, url: str) -> int:
    site_settings()  # the site settings row in the cache, as after any first page of the hour
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_roster_page_does_not_grow_with_the_cohort(
    founder_client, cohort_a, django_assert_max_num_queries
):
    grow(cohort_a, 2)
    url = f"/console/cohorts/{cohort_a.pk}/"
    small = count(founder_client, url)
    grow(cohort_a, 8)
    with django_assert_max_num_queries(20):
        assert founder_client.get(url).status_code == 200
    assert count(founder_client, url) == small


def test_the_grading_queue_does_not_grow(founder_client, cohort_a, django_assert_max_num_queries):
    grow(cohort_a, 2)
    small = count(founder_client, "/console/grading/")
    grow(cohort_a, 8)
    with django_assert_max_num_queries(10):
        assert founder_client.get("/console/grading/").status_code == 200
    assert count(founder_client, "/console/grading/") == small


def test_the_learner_cohort_page_does_not_grow(
    student_client, student, cohort_a, django_assert_max_num_queries
):
    url = f"/learn/cohorts/{cohort_a.pk}/"
    grow(cohort_a, 1)
    small = count(student_client, url)
    for _ in range(6):
        assignment = f.make_assignment(cohort_a)
        f.make_submission(assignment, student)
        f.make_lesson(cohort_a)
    with django_assert_max_num_queries(12):
        assert student_client.get(url).status_code == 200
    assert count(student_client, url) == small


def test_the_assessment_table_does_not_grow(founder_client, cohort_a, django_assert_max_num_queries):
    url = f"/console/cohorts/{cohort_a.pk}/assessments/"
    grow(cohort_a, 2)
    small = count(founder_client, url)
    grow(cohort_a, 6)
    with django_assert_max_num_queries(12):
        assert founder_client.get(url).status_code == 200
    assert count(founder_client, url) == small


def test_the_learner_home_and_progress_do_not_grow(
    student_client, student, cohort_a, django_assert_max_num_queries
):
    for url in ("/learn/", "/learn/progress/"):
        small = count(student_client, url)
        cohort = f.make_cohort()
        f.make_enrollment(student, cohort)
        f.make_lesson(cohort, starts_at=timezone.now() + timedelta(days=1))
        f.make_assessment(student, cohort, "entry", 50)
        with django_assert_max_num_queries(10):
            assert student_client.get(url).status_code == 200
        assert count(student_client, url) == small


def test_the_cohort_list_does_not_grow(founder_client, cohort_a, django_assert_max_num_queries):
    grow(cohort_a, 2)
    small = count(founder_client, "/console/cohorts/")
    for _ in range(4):
        grow(f.make_cohort(), 2)
    with django_assert_max_num_queries(8):
        assert founder_client.get("/console/cohorts/").status_code == 200
    assert count(founder_client, "/console/cohorts/") == small
