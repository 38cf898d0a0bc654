"""One course across its cohorts: repurchase, revenue per student and the per-assignment gain,
on a hand-built course whose figures are worked out by hand below."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.models import Course
from dashboard.selectors.courses import (
    course_across,
    course_assignment_gains,
    course_lifetime_value,
    course_repurchase,
)
from tests import factories as f
from tests.dashboard.conftest import refund
from tests.factories import aware


def page(course: Course) -> str:
    return f"/console/dashboard/courses/{course.pk}/"


@pytest.fixture
def across(db):
    return build_across()


def build_across() -> dict:
    """Course 数据分析 with two cohorts (一期 Jan, 二期 Apr) and a later empty one (三期), and
    another course 可视化 with an earlier cohort (早期, Feb) and a later one (晚期, May).

    students   enrolled      graduated         paid orders (net)                        net
    g1         一期, 二期     一期               一期 1000, 二期 2000                        3000
    g2         一期          一期               一期 1000, 晚期 1500 fully refunded          1000
    g3         二期          二期               二期 1000 less 200 (a failed 100 ignored),
                                                早期 500 (starts before 二期: not later)    1300
    n1         一期, 二期     no (failed)        一期 1000, 二期 1000                        2000
    r1         二期 refunded  passed, refunded   二期 1000 refunded                            0
    s6         二期          no                 none (enrolled by hand)                      0
    z          晚期 only      —                  晚期 1500: not a student of this course      —

    Graduates g1, g2, g3: g1 bought again (1 of 3). Revenue per student over 6 students:
    7300 in all, mean 1216.67, median (1000 + 1300) / 2 = 1150.00.
    """
    course = f.make_course(title="数据分析")
    one = f.make_cohort(course, name="一期", starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 1))
    two = f.make_cohort(course, name="二期", starts_on=date(2026, 4, 6), ends_on=date(2026, 6, 1))
    three = f.make_cohort(course, name="三期", starts_on=date(2026, 9, 7), ends_on=date(2026, 11, 1))
    other = f.make_course(title="可视化")
    early = f.make_cohort(other, name="早期", starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 1))
    late = f.make_cohort(other, name="晚期", starts_on=date(2026, 5, 4), ends_on=date(2026, 7, 1))

    people = {}
    for key in ("g1", "g2", "g3", "n1", "r1", "s6", "z"):
        people[key] = f.make_student(user=f.make_user(name=f"学员{key}"))
    g1, g2, g3, n1, r1, s6, z = people.values()
    enrol = {}
    for student, cohort, status in (
        (g1, one, "graduated"),
        (g1, two, "active"),
        (g2, one, "graduated"),
        (g3, two, "graduated"),
        (n1, one, "active"),
        (n1, two, "active"),
        (r1, two, "refunded"),
        (s6, two, "active"),
        (z, late, "active"),
    ):
        enrol[(student.pk, cohort.pk)] = f.make_enrollment(
            student, cohort, status=status, enrolled_at=aware(2026, 1, 1)
        )

    def paid(student, cohort, amount: str, status: str = "paid", *, via_enrollment: bool = False):
        # An order belongs to a student through its enrollment or through the buyer account.
        link = {"enrollment": enrol[(student.pk, cohort.pk)]} if via_enrollment else {"user": student.user}
        return f.make_order(cohort, status=status, amount=Decimal(amount), paid_at=aware(2026, 1, 2), **link)

    paid(g1, one, "1000")
    paid(g1, two, "2000", via_enrollment=True)
    f.make_order(two, user=g1.user, status="pending", amount=Decimal("999"))  # never paid
    paid(g2, one, "1000")
    refund(paid(g2, late, "1500", "refunded"), "1500", "succeeded", aware(2026, 5, 5))
    o = paid(g3, two, "1000", "partially_refunded")
    refund(o, "200", "succeeded", aware(2026, 4, 10))
    refund(o, "100", "failed")
    paid(g3, early, "500")
    paid(n1, one, "1000")
    paid(n1, two, "1000")
    refund(paid(r1, two, "1000", "refunded"), "1000", "succeeded", aware(2026, 4, 8))
    paid(z, late, "1500")

    # --- assessments: the gain is the latest graduation score less the earliest entry ---------
    def scores(student, cohort, entry, graduation, passed):
        f.make_assessment(student, cohort, "entry", entry, taken_at=aware(2026, 1, 6))
        f.make_assessment(student, cohort, "stage", 99, taken_at=aware(2026, 2, 1))  # not an after
        f.make_assessment(
            student, cohort, "graduation", graduation, passed=passed, taken_at=aware(2026, 6, 1)
        )

    scores(g1, one, 40, 70, True)  # +30
    scores(g2, one, 50, 60, True)  # +10
    scores(n1, one, 30, 35, False)  # +5
    f.make_assessment(n1, one, "entry", 90, taken_at=aware(2026, 1, 20))  # not the earliest entry
    scores(g3, two, 20, 80, True)  # +60
    scores(s6, two, 50, 45, False)  # −5
    # A refunded enrollment's passed graduation: not a graduate; no entry, so no gain either.
    f.make_assessment(r1, two, "graduation", 90, passed=True, taken_at=aware(2026, 6, 1))
    # A graduation taken before the entry measures nothing.
    f.make_assessment(g1, two, "graduation", 10, passed=False, taken_at=aware(2026, 4, 7))
    f.make_assessment(g1, two, "entry", 90, taken_at=aware(2026, 4, 8))

    # --- assignments: 项目一 in both cohorts (copied: same title), one only in 一期, one in 三期 --
    p1 = f.make_assignment(one, title="项目一", due_at=aware(2026, 1, 20))
    p2 = f.make_assignment(two, title="项目一", due_at=aware(2026, 4, 20))
    only = f.make_assignment(one, title="只在一期", due_at=aware(2026, 2, 10), is_graduation_project=True)
    f.make_assignment(three, title="新作业", due_at=aware(2026, 10, 20))
    graded = {"graded_at": aware(2026, 2, 20)}
    f.make_submission(p1, g1, attempt=1, passed=False, score=40, **graded)
    f.make_submission(p1, g1, attempt=2, passed=True, score=80, **graded)  # latest graded: passed
    f.make_submission(p1, g2, attempt=1, passed=True, score=80, **graded)
    f.make_submission(p1, g2, attempt=2, passed=False, score=50, **graded)  # latest graded: failed
    f.make_submission(p2, g3, attempt=1, passed=True, score=90, **graded)
    f.make_submission(p2, s6, attempt=1, passed=True, score=70, **graded)
    f.make_submission(p2, s6, attempt=2)  # not graded: the graded attempt 1 stands
    f.make_submission(only, g1, attempt=1)  # handed in, never graded: not passed
    return {"course": course, **people}


def test_repurchase_counts_graduates_who_bought_a_later_cohort(across):
    figures = course_repurchase(across["course"])
    assert figures.graduates == 3
    assert [p.student_id for p in figures.repurchasers] == [across["g1"].pk]
    assert figures.repurchasers[0].bought == "数据分析 · 二期"
    assert figures.count == 1 and figures.share == pytest.approx(1 / 3)


def test_revenue_per_student_is_net_of_refunds_over_every_student_of_the_course(across):
    figures = course_lifetime_value(across["course"])
    assert figures.students == 6
    assert figures.total == Decimal("7300.00")
    assert figures.mean == Decimal("1216.67")
    assert figures.median == Decimal("1150.00")


def test_the_gain_of_those_who_passed_each_assignment_against_the_others(across):
    rows = {row.title: row for row in course_assignment_gains(across["course"])}
    assert list(rows) == ["项目一", "只在一期", "新作业"]  # by due time within the cohort
    first = rows["项目一"]
    assert first.cohorts == 2
    # Passed: g1 +30, g3 +60, s6 −5 → 85 / 3; not passed: g2 +10, n1 +5 → 7.5.
    assert (first.passed, first.passed_gain) == (3, Decimal("28.3"))
    assert (first.not_passed, first.not_passed_gain) == (2, Decimal("7.5"))
    assert first.difference_text == "+20.8"
    only = rows["只在一期"]
    assert only.is_graduation_project and only.cohorts == 1
    assert (only.passed, only.passed_gain, only.passed_gain_text) == (0, None, "—")
    assert (only.not_passed, only.not_passed_gain) == (3, Decimal("15.0"))
    assert only.difference_text == "—"
    new = rows["新作业"]
    assert (new.passed, new.not_passed, new.passed_gain_text, new.not_passed_gain_text) == (0, 0, "—", "—")


def test_a_course_without_students_shows_dashes(founder_client):
    course = f.make_course(title="空课程")
    html = founder_client.get(page(course)).content.decode()
    assert course_lifetime_value(course).mean is None
    assert course_repurchase(course).share is None
    assert html.count("—") >= 3


def test_the_page_shows_the_figures_the_people_and_the_causal_warning(across, founder_client):
    response = founder_client.get(page(across["course"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "33.3%" in html and "¥1,216.67" in html and "¥1,150.00" in html
    assert f'href="/console/students/{across["g1"].pk}/"' in html and "学员g1" in html
    assert "学员g2" not in html  # a graduate who did not buy again is not listed
    assert "描述性对比，不代表因果" in html
    assert "+28.3" in html and "+7.5" in html


def test_the_page_is_reachable_from_the_dashboard_and_from_the_course(across, founder_client):
    course = across["course"]
    dashboard = founder_client.get("/console/dashboard/").content.decode()
    assert 'href="/console/dashboard/courses/"' in dashboard
    index = founder_client.get("/console/dashboard/courses/").content.decode()
    assert f'href="{page(course)}"' in index
    course_page = founder_client.get(f"/console/courses/{course.pk}/").content.decode()
    assert f'href="{page(course)}"' in course_page


def test_only_the_founder_sees_a_course_across_cohorts(across, client, student_client, outsider_client):
    for path in (page(across["course"]), "/console/dashboard/courses/"):
        assert client.get(path).status_code == 302
        assert student_client.get(path).status_code == 403
        assert outsider_client.get(path).status_code == 403


def test_an_unknown_course_is_a_404(founder_client):
    assert founder_client.get("/console/dashboard/courses/999999/").status_code == 404


def grow(course: Course, cohorts: int) -> None:
    """More cohorts of the course, each with students who graduate, pay, buy again, hand in."""
    for n in range(cohorts):
        cohort = f.make_cohort(course, starts_on=date(2025, 1, 1 + n), ends_on=date(2025, 3, 1))
        assignment = f.make_assignment(cohort, title=f"增长作业 {n % 3}")
        for _ in range(3):
            student = f.make_student()
            f.make_enrollment(student, cohort, enrolled_at=aware(2025, 1, 1))
            f.make_order(cohort, user=student.user, status="paid", paid_at=aware(2025, 1, 1))
            f.make_order(
                cohort.course.cohorts.order_by("-starts_on").first(), user=student.user, status="paid"
            )
            f.make_assessment(student, cohort, "entry", 40, taken_at=aware(2025, 1, 2))
            f.make_assessment(student, cohort, "graduation", 70, passed=True, taken_at=aware(2025, 2, 2))
            f.make_submission(assignment, student, passed=True, score=80, graded_at=aware(2025, 2, 1))


def test_the_page_query_count_does_not_grow_with_the_data(
    across, founder_client, django_assert_max_num_queries
):
    course = across["course"]
    grow(course, 1)
    with CaptureQueriesContext(connection) as small:
        assert founder_client.get(page(course)).status_code == 200
    grow(course, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = founder_client.get(page(course))
    assert response.status_code == 200
    with django_assert_max_num_queries(4):  # the cohorts' span, then one statement per figure
        figures = course_across(course)
    assert figures.repurchase.graduates == 3 + 33 and figures.cohorts == 3 + 11
