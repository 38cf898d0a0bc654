"""In the browser: the graduation report's invitation, followed from a phone to a signup that is
credited to the graduate; the share card; the calendar subscribe page; the founder's cohort
calendar. Screenshots in artifacts/screenshots/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts import services
from cohorts.models import Cohort
from crm.models import Lead
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_report(student, cohort_a, founder, settings, live_server):
    settings.SITE_URL = live_server.url  # the links the pages make point at this server
    course = cohort_a.course
    course.slug, course.title = "ai-coding", "AI 编程实战营"
    course.save()
    f.make_cohort(course=course, slug="ai-coding-3", name="第 3 期", sale_open=True)
    f.make_assessment(student, cohort_a, "entry", 42)
    f.make_assessment(student, cohort_a, "graduation", 88, passed=True)
    lesson = f.make_lesson(cohort_a)
    f.make_attendance(lesson, student, "full")
    project = f.make_assignment(
        cohort_a, title="用 AI 做一个自动整理发票的小工具", is_graduation_project=True
    )
    services.submission_grade(
        submission=f.make_submission(project, student, link="https://github.com/xuesheng/invoice"),
        score=92, feedback="好", graded_by=founder, is_showcase=True,
    )  # fmt: skip
    enrollment = services.enrollment_graduate(enrollment=student.enrollments.get())
    services.graduation_report_feedback_set(
        report=enrollment.report, closing_feedback="从零基础到独立完成结业项目，进步非常大。继续加油！"
    )
    services.graduation_report_publish(report=enrollment.report, published=True)
    return enrollment.report


def test_a_friend_follows_the_report_from_a_phone_and_signs_up_credited_to_the_graduate(
    live_server, phone_page, desktop_page, published_report, student, signup_ready, screenshot
):
    desktop_page.goto(f"{live_server.url}/graduates/{published_report.token}/")
    screenshot(desktop_page, "report-desktop")
    page = phone_page
    page.goto(f"{live_server.url}/graduates/{published_report.token}/")
    invite = page.locator("#invite-link")
    assert invite.is_visible() and invite.inner_text() == "我也想报名"
    qr = page.locator(".invite-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    box = invite.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone, no side scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "report-phone")

    page.context.clear_cookies()  # the friend's phone, not the graduate's
    invite.click()
    page.wait_for_url("**/courses/ai-coding/?channel=referral&ref=*")
    page.fill("input[name=name]", "新同学")
    page.fill("input[name=phone]", "13700137000")
    page.check("input[name=consent]")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/thanks/**")
    lead = Lead.objects.get(name="新同学")
    assert (lead.channel, lead.referred_by_id) == ("referral", student.pk)


def test_the_share_card_in_the_browser(live_server, phone_page, published_report, screenshot):
    phone_page.goto(f"{live_server.url}/graduates/{published_report.token}/card.png")
    size = phone_page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [1080, 1350]
    screenshot(phone_page, "card")


def test_the_calendar_subscribe_page_on_phone_and_desktop(
    live_server, phone_page, desktop_page, student, cohort_a, login_browser, screenshot
):
    f.make_lesson(cohort_a, title="第 5 课：接口调用", starts_at=timezone.now() + timedelta(days=2))
    f.make_lesson(cohort_a, title="第 6 课：部署上线", starts_at=timezone.now() + timedelta(days=9))
    for size, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, student.user)
        page.goto(f"{live_server.url}/learn/calendar/")
        feed = page.locator("#feed-url").input_value()
        assert feed.endswith(f"/calendar/s/{student.calendar_token}.ics")
        assert page.locator("#lessons li").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, f"subscribe-{size}")
    # A new link, confirmed, and the page shows it.
    phone_page.once("dialog", lambda dialog: dialog.accept())
    phone_page.locator("#reset button[type=submit]").click()
    phone_page.wait_for_load_state()
    student.refresh_from_db()
    assert phone_page.locator("#feed-url").input_value().endswith(f"/calendar/s/{student.calendar_token}.ics")
    assert "新链接" in phone_page.content()


def test_the_founders_cohort_calendar_card(
    live_server, desktop_page, founder, cohort_a, login_browser, screenshot
):
    Cohort.objects.filter(pk=cohort_a.pk).update(meeting_url="https://meeting.tencent.com/dm/a")
    login_browser(desktop_page, founder)
    desktop_page.goto(f"{live_server.url}/console/cohorts/{cohort_a.pk}/")
    card = desktop_page.locator("#cohort-calendar")
    assert (
        card.locator("#cohort-feed-url").input_value().endswith(f"/calendar/c/{cohort_a.calendar_token}.ics")
    )
    screenshot(desktop_page, "console-cohort")
