"""The numbers are aggregated in PostgreSQL: the query count does not grow with the data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.selectors import weekly_numbers, weekly_numbers_range
from tests import factories as f
from tests.dashboard.conftest import W47
from tests.factories import aware


def grow(times: int) -> None:
    for _ in range(times):
        cohort = f.make_cohort()
        students = [f.make_student() for _ in range(3)]
        for student in students:
            f.make_enrollment(student, cohort, enrolled_at=aware(2026, 11, 1))
            f.make_assessment(student, cohort, "entry", 40, taken_at=aware(2026, 11, 2))
            f.make_assessment(student, cohort, "stage", 60, taken_at=aware(2026, 11, 18))
        lesson = f.make_lesson(cohort, starts_at=aware(2026, 11, 17, 19))
        assignment = f.make_assignment(cohort, due_at=aware(2026, 11, 20, 23))
        for student in students:
            f.make_attendance(lesson, student, "full")
            f.make_submission(assignment, student, score=80, passed=True, graded_at=aware(2026, 11, 21))
        lead = f.make_lead(created_at=aware(2026, 11, 17), channel="bilibili")
        f.make_consultation(lead, status="held", scheduled_at=aware(2026, 11, 18))
        f.make_order(cohort, lead=lead, status="paid", paid_at=aware(2026, 11, 19))


def queries_of(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def test_a_week_takes_seven_queries_however_much_data(business, django_assert_max_num_queries):
    grow(1)
    small = queries_of(lambda: weekly_numbers(W47))
    grow(10)
    with django_assert_max_num_queries(7):
        numbers = weekly_numbers(W47)
    assert numbers.leads == 2 + 11
    assert queries_of(lambda: weekly_numbers(W47)) == small == 7


def test_three_years_of_weeks_take_the_same_seven_queries(business, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        weeks = weekly_numbers_range(W47.shifted(-155), W47)
    assert len(weeks) == 156 and weeks[-1].leads == 2


def test_the_dashboard_page_query_count_does_not_grow(
    business, founder_client, django_assert_max_num_queries
):
    grow(1)
    with CaptureQueriesContext(connection) as small:
        assert founder_client.get("/console/dashboard/?week=2026-W47").status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert founder_client.get("/console/dashboard/?week=2026-W47").status_code == 200


def test_the_api_query_count_does_not_grow(business, founder_client, django_assert_max_num_queries):
    grow(1)
    with CaptureQueriesContext(connection) as small:
        assert founder_client.get("/api/dashboard/weekly", {"week": "2026-W47"}).status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert founder_client.get("/api/dashboard/weekly", {"week": "2026-W47"}).status_code == 200


def test_backfilling_three_years_takes_a_few_queries_per_half_year(business, django_assert_max_num_queries):
    from dashboard.services import weekly_metrics_backfill

    # 156 weeks in chunks of 26: per chunk seven reads and one upsert, plus the savepoints.
    with django_assert_max_num_queries(6 * 10):
        assert weekly_metrics_backfill(first=W47.shifted(-155), last=W47) == 156
