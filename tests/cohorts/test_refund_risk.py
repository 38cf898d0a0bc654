"""Refund-risk early warning on hand-built students: the rule (inside the refund window, and
missed the last lesson, handed nothing in for the last assignment due, or never signed in since
paying), dismissed flags staying dismissed, and where the flags show (今天, the cohort page, the
weekly report) with their one-tap actions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.models import RefundRiskAction
from cohorts.refund_risk import refund_risks
from dashboard.services import weekly_report_render
from onepco.models import SiteSettings
from onepco.site import site_settings_save
from onepco.weeks import Week
from tests import factories as f


@pytest.fixture
def world(db):
    """A 7-day refund period; a cohort with a lesson and an assignment already behind it."""
    row = SiteSettings.objects.first() or SiteSettings()
    row.refund_days = 7
    site_settings_save(row, step="policies")
    now = timezone.now()
    cohort = f.make_cohort(name="第 5 期", starts_on=timezone.localdate() - timedelta(days=5))
    lesson = f.make_lesson(cohort, starts_at=now - timedelta(days=1), duration_minutes=90)
    assignment = f.make_assignment(cohort, due_at=now - timedelta(hours=3))

    def student(name: str, *, paid_days_ago: float = 3, signed_in: bool = True, present: bool | None = True,
                handed_in: bool = True):  # fmt: skip
        user = f.make_user(name=name)
        if signed_in:
            user.last_login = now - timedelta(hours=1)
            user.save(update_fields=["last_login"])
        enrollment = f.make_enrollment(
            f.make_student(user), cohort, enrolled_at=now - timedelta(days=paid_days_ago)
        )
        if present is not None:
            f.make_attendance(lesson, enrollment.student, "full" if present else "absent")
        if handed_in:
            f.make_submission(assignment, enrollment.student)
        return enrollment

    return cohort, lesson, assignment, student, now


def flagged(**kwargs) -> dict[str, list[str]]:
    return {risk.enrollment.student.user.name: risk.reasons for risk in refund_risks(**kwargs)}


def test_the_rule_on_hand_built_students(world):
    _cohort, _lesson, _assignment, student, _now = world
    student("好学生")
    student("缺课", present=False)
    student("没交作业", handed_in=False)
    student("没登录", signed_in=False)
    student("什么都没做", present=False, handed_in=False, signed_in=False)
    student("没点名", present=None)  # a lesson nobody took attendance of says nothing
    student("退款期已过", paid_days_ago=8, present=False)
    refunded = student("已退款", present=False)
    refunded.status = "refunded"
    refunded.save(update_fields=["status"])

    assert flagged() == {
        "缺课": ["missed_lesson"],
        "没交作业": ["no_submission"],
        "没登录": ["never_signed_in"],
        "什么都没做": ["missed_lesson", "no_submission", "never_signed_in"],
    }


def test_only_what_came_after_they_joined_counts(world):
    _cohort, _lesson, assignment, student, _now = world
    late = student("后来加入", paid_days_ago=0.05, present=None, handed_in=False)  # joined after both
    assert late.enrolled_at > assignment.due_at
    assert flagged() == {}


def test_the_days_left_and_the_window(world):
    _cohort, _lesson, _assignment, student, now = world
    student("缺课", paid_days_ago=6.5, present=False)
    (risk,) = refund_risks()
    assert risk.days_left in (0, 1) and risk.window_ends == timezone.localdate(
        risk.enrollment.enrolled_at
    ) + timedelta(days=7)
    assert refund_risks(at=now + timedelta(days=1)) == []  # the window has closed


def test_without_a_refund_period_nothing_is_flagged(world):
    _cohort, _lesson, _assignment, student, _now = world
    student("缺课", present=False)
    row = SiteSettings.objects.get()
    row.refund_days = None
    site_settings_save(row, step="policies")
    assert refund_risks() == []


def test_a_dismissed_flag_stays_dismissed_and_a_call_is_shown(founder_client, world):
    cohort, _lesson, _assignment, student, now = world
    missed = student("缺课", present=False)
    called = student("没交作业", handed_in=False)
    url = f"/console/enrollments/{missed.pk}/refund-risk/"

    refused = founder_client.post(url, {"kind": "dismissed", "note": "  "})
    assert refused.status_code == 400 and "为什么可以忽略" in refused.content.decode()
    response = founder_client.post(url, {"kind": "dismissed", "note": "说好看回放补课", "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    founder_client.post(
        f"/console/enrollments/{called.pk}/refund-risk/", {"kind": "called", "note": "这周出差"}
    )

    # A new reason later does not bring the dismissed flag back.
    later = f.make_assignment(cohort, due_at=now - timedelta(minutes=5))
    assert later
    risks = {risk.enrollment.pk: risk for risk in refund_risks()}
    assert missed.pk not in risks
    assert risks[called.pk].last_action.kind == "called" and risks[called.pk].last_action.note == "这周出差"
    assert RefundRiskAction.objects.filter(enrollment=missed, kind="dismissed").count() == 1


def test_an_outside_next_is_not_followed(founder_client, world):
    cohort, _lesson, _assignment, student, _now = world
    missed = student("缺课", present=False)
    response = founder_client.post(
        f"/console/enrollments/{missed.pk}/refund-risk/",
        {"kind": "messaged", "note": "", "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/console/cohorts/{cohort.pk}/"


def test_students_and_strangers_cannot_act(client, student_client, world):
    _cohort, _lesson, _assignment, student, _now = world
    missed = student("缺课", present=False)
    url = f"/console/enrollments/{missed.pk}/refund-risk/"
    assert student_client.post(url, {"kind": "dismissed", "note": "x"}).status_code == 403
    assert client.post(url, {"kind": "dismissed", "note": "x"}).status_code == 302
    assert not RefundRiskAction.objects.exists()


def test_the_flags_show_on_today_the_cohort_page_and_the_weekly_report(founder_client, world):
    cohort, _lesson, _assignment, student, _now = world
    student("缺课", present=False)
    home = founder_client.get("/console/").content.decode()
    assert 'id="refund-risk"' in home and "缺课" in home and "缺席了上一节课" in home
    page = founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()
    assert 'id="refund-risk"' in page and "退款期还剩" in page
    _subject, text, html = weekly_report_render(week=Week.current())
    assert "可能申请退款" in text and "缺课" in text and "缺席了上一节课" in html


def test_the_rule_takes_the_same_queries_for_many_students(world, django_assert_max_num_queries):
    _cohort, _lesson, _assignment, student, _now = world
    for n in range(30):
        student(f"学员{n}", present=n % 2 == 0, handed_in=n % 3 == 0)
    with django_assert_max_num_queries(3):
        risks = refund_risks()
        assert all(risk.enrollment.student.user.name for risk in risks)
    assert len(risks) > 10
