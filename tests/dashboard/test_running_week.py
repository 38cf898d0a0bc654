"""The running week (本周至今): only what has already happened is expected; the page opens on
the last complete week; changes are compared with the same weekdays of last week."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.selectors import weekly_numbers, weekly_numbers_until
from dashboard.services import weekly_metrics_snapshot
from onepco.weeks import Week
from tests import factories as f
from tests.dashboard.conftest import W46, W47
from tests.factories import aware

PAGE = "/console/dashboard/"
API = "/api/dashboard/weekly"
MONDAY_MORNING = aware(2026, 11, 16, 9, 0)  # W47 has just begun


@pytest.fixture
def monday_morning(db, monkeypatch):
    """Now is Monday 09:00 of W47. One cohort, two students: Monday's 08:00 lesson has been
    held (both came) and its homework was due at 08:30 (both handed in); Wednesday's and
    Friday's lessons and Thursday's homework are still to come."""
    cohort = f.make_cohort(starts_on=aware(2026, 11, 2).date(), ends_on=aware(2026, 12, 20).date())
    students = [f.make_student() for _ in range(2)]
    for student in students:
        f.make_enrollment(student, cohort, enrolled_at=aware(2026, 11, 1))
    monday = f.make_lesson(cohort, starts_at=aware(2026, 11, 16, 8))
    f.make_lesson(cohort, starts_at=aware(2026, 11, 18, 19))
    f.make_lesson(cohort, starts_at=aware(2026, 11, 20, 19))
    due_monday = f.make_assignment(cohort, due_at=aware(2026, 11, 16, 8, 30))
    f.make_assignment(cohort, due_at=aware(2026, 11, 19, 23))
    for student in students:
        f.make_attendance(monday, student, "full")
        f.make_submission(due_monday, student, submitted_at=aware(2026, 11, 16, 8, 20))
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_MORNING)
    return {"cohort": cohort, "students": students}


def test_a_running_week_expects_only_the_lessons_and_homework_already_past(monday_morning):
    n = weekly_numbers(W47)
    assert n.partial and n.as_of == MONDAY_MORNING
    assert (n.attendance_expected, n.attendance_full) == (2, 2)  # not 6: two lessons are to come
    assert n.attendance_rate == 1.0 and n.completion_rate == 1.0
    assert (n.submission_expected, n.submission_submitted) == (2, 2)  # not 4
    assert n.submission_rate == 1.0
    # Once the week has ended it counts everything in it.
    ended = weekly_numbers(W47, as_of=W47.end)
    assert not ended.partial
    assert (ended.attendance_expected, ended.submission_expected) == (6, 4)


def test_the_api_answers_the_running_week_live_and_partial(monday_morning, founder_client):
    body = founder_client.get(API).json()
    assert body["week"] == "2026-W47"
    assert body["source"] == "live" and body["partial"] is True
    assert body["as_of"] == timezone.localtime(MONDAY_MORNING).isoformat()
    assert body["counts"]["attendance_expected"] == 2 and body["counts"]["submission_expected"] == 2
    assert body["metrics"]["attendance_rate"] == 1.0 and body["metrics"]["submission_rate"] == 1.0
    # A week that has ended is not partial, live or frozen.
    assert founder_client.get(API, {"week": "2026-W46"}).json()["partial"] is False


def test_an_ended_week_is_not_partial_live_or_from_its_snapshot(business, founder_client):
    live = founder_client.get(API, {"week": "2026-W47"}).json()
    assert (live["source"], live["partial"]) == ("live", False)
    weekly_metrics_snapshot(week=W47)
    frozen = founder_client.get(API, {"week": "2026-W47"}).json()
    assert (frozen["source"], frozen["partial"]) == ("snapshot", False)
    assert frozen["as_of"] == frozen["computed_at"]


def test_the_running_week_page_shows_only_past_lessons_and_says_so(monday_morning, founder_client):
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    assert "running-note" in html and "2026-11-16 09:00" in html
    attendance = stat_of(html, "attendance_rate")
    assert "100.0%" in attendance and "2 / 2" in attendance
    assert "100.0%" in stat_of(html, "submission_rate")
    assert 'class="bar last partial"' in html  # the trend's last bar is only so far
    assert "partial" not in founder_client.get(PAGE).content.decode().split('class="charts"')[1]


def test_the_page_opens_on_the_last_complete_week(monday_morning, founder_client):
    html = founder_client.get(PAGE).content.decode()
    assert "<title>" in html and re.search(r"<title>[^<]*2026-W46", html)
    assert "running-note" not in html  # the last complete week is not partial
    tabs = re.search(r'<nav class="chips week-tabs".*?</nav>', html, re.S)[0]
    assert 'class="chip active" href="?week=2026-W46"' in tabs
    assert 'href="?week=2026-W47"' in tabs and "09:00" in tabs  # 本周至今, with its as-of time


def test_the_running_week_page_is_labelled_this_week_so_far(monday_morning, founder_client):
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    assert "本周至今" in html
    english = founder_client.get(PAGE, {"week": "2026-W47"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This week so far" in english and "本周至今" not in english


def test_the_running_week_compares_with_the_same_weekdays_of_last_week(monday_morning, founder_client):
    # Last week: a lead on Monday 08:00 and one on Tuesday. This week so far: one on Monday 07:00.
    f.make_lead(created_at=aware(2026, 11, 9, 8))
    f.make_lead(created_at=aware(2026, 11, 10, 12))
    f.make_lead(created_at=aware(2026, 11, 16, 7))
    # Last Monday's lesson: one of the two came; Thursday's lesson of last week is not compared.
    cohort, (first, second) = monday_morning["cohort"], monday_morning["students"]
    f.make_attendance(f.make_lesson(cohort, starts_at=aware(2026, 11, 9, 8)), first, "full")
    f.make_attendance(f.make_lesson(cohort, starts_at=aware(2026, 11, 12, 19)), second, "full")
    cut = weekly_numbers_until(W46, aware(2026, 11, 9, 9))
    assert cut.leads == 1 and cut.partial  # the week as it stood at Monday 09:00
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    leads = stat_of(html, "leads")
    assert "±0" in leads and "delta-neutral" in leads  # not "−1" against all of last week
    attendance = stat_of(html, "attendance_rate")
    assert "+50.0" in attendance and "delta-good" in attendance  # 100 % against Monday's 50 %
    # Homework of last week had more time for late work and grading: not compared yet.
    assert "delta flat" in stat_of(html, "submission_rate")
    assert "delta flat" in stat_of(html, "pass_rate")


def test_a_spam_leads_paid_order_counts_but_not_its_consultation(db):
    spam = f.make_lead(created_at=aware(2026, 11, 17), is_spam=True)
    f.make_consultation(spam, status="held", scheduled_at=aware(2026, 11, 17, 10))
    f.make_order(
        f.make_cohort(), lead=spam, status="paid", paid_at=aware(2026, 11, 18), amount=Decimal("10.00")
    )
    n = weekly_numbers(W47)
    assert (n.leads, n.consultations, n.deals, n.revenue) == (0, 0, 1, Decimal("10.00"))


def test_an_entry_assessment_after_the_stage_one_is_no_baseline(db):
    cohort = f.make_cohort()
    late, early = f.make_student(), f.make_student()
    f.make_assessment(late, cohort, "stage", 80, taken_at=aware(2026, 11, 17))
    f.make_assessment(late, cohort, "entry", 50, taken_at=aware(2026, 11, 18))  # after it
    f.make_assessment(early, cohort, "entry", 50, taken_at=aware(2026, 11, 10))
    f.make_assessment(early, cohort, "stage", 80, taken_at=aware(2026, 11, 17))
    n = weekly_numbers(W47)
    assert (n.improvement_measured, n.improvement_improved) == (1, 1)


def stat_of(html: str, key: str) -> str:
    match = re.search(rf'<div class="stat[^"]*" data-metric="{key}">(.*?)</details>', html, re.S)
    assert match, key
    return match[1]


def test_the_page_query_count_is_bounded_and_does_not_grow(
    monday_morning, founder_client, django_assert_max_num_queries
):
    # The last complete week and its history live (no snapshots here): numbers, comparison,
    # history 7 each at most, the rest one or a few each (37 today, the channel table's refunds
    # and the pieces of the weeks included; tests/dashboard/test_roi.py counts them with pieces).
    with django_assert_max_num_queries(38):
        assert founder_client.get(PAGE).status_code == 200
    with django_assert_max_num_queries(38):
        assert founder_client.get(PAGE, {"week": "2026-W47"}).status_code == 200
    cohort = monday_morning["cohort"]

    def grow(times: int) -> None:
        for _ in range(times):  # more students, more lessons, more leads: the same queries
            student = f.make_student()
            f.make_enrollment(student, cohort, enrolled_at=aware(2026, 11, 1))
            f.make_attendance(f.make_lesson(cohort, starts_at=aware(2026, 11, 16, 7)), student, "full")
            lead = f.make_lead(created_at=aware(2026, 11, 16, 8), channel="zhihu")
            f.make_consultation(lead, status="held", scheduled_at=aware(2026, 11, 16, 8))
            f.make_order(cohort, lead=lead, status="paid", paid_at=aware(2026, 11, 16, 8, 30))

    # A channel table to name (the registry is read once for a whole table) and students who
    # missed two of the last three lessons (the falling-behind list, skipped when empty).
    grow(3)
    with CaptureQueriesContext(connection) as small:
        founder_client.get(PAGE, {"week": "2026-W47"})
    grow(15)  # more students, lessons, leads, orders: the same queries
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert founder_client.get(PAGE, {"week": "2026-W47"}).status_code == 200


def test_the_as_of_moves_with_now(monday_morning, monkeypatch):
    later = MONDAY_MORNING + timedelta(days=3, hours=11)  # Thursday 20:00: Wednesday's lesson is past
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert Week.current() == W47
    assert weekly_numbers(W47).attendance_expected == 4
