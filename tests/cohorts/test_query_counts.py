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


def _more_of_everything(cohort, student, founder, n: int = 5) -> None:
    """Lessons held and to come (with materials), homework to do, waiting, graded and seen."""
    from cohorts import services
    from tests.cohorts.files import PDF, upload

    for i in range(n):
        held = f.make_lesson(cohort, starts_at=timezone.now() - timedelta(days=i + 1))
        f.make_attendance(held, student, "full")
        services.lesson_material_add(lesson=held, file=upload(f"第{i}讲.pdf", PDF))
        services.lesson_material_add(lesson=held, url=f"https://docs.example.com/{i}")
        f.make_lesson(cohort, starts_at=timezone.now() + timedelta(days=i + 1))
        f.make_assignment(cohort, due_at=timezone.now() + timedelta(days=i + 1))
        f.make_assignment(cohort, due_at=timezone.now() - timedelta(days=i + 1))
        graded = f.make_submission(f.make_assignment(cohort), student)
        services.submission_grade(submission=graded, score=80, feedback="好", graded_by=founder)
        f.make_submission(f.make_assignment(cohort), student)


def test_the_learner_pages_do_not_grow_with_lessons_homework_or_feedback(
    student_client, student, cohort_a, founder, django_assert_max_num_queries
):
    upcoming = f.make_cohort(starts_on=timezone.localdate() + timedelta(days=9))
    f.make_enrollment(student, upcoming)
    urls = ("/learn/", f"/learn/cohorts/{cohort_a.pk}/", f"/learn/cohorts/{cohort_a.pk}/lessons/")
    _more_of_everything(cohort_a, student, founder, n=1)
    small = {url: count(student_client, url) for url in urls}
    _more_of_everything(cohort_a, student, founder, n=6)
    for url in urls:
        with django_assert_max_num_queries(12):
            assert student_client.get(url).status_code == 200
        assert count(student_client, url) == small[url], url
