"""The course editor and the cohort form in a browser, at 390 px and 1280 px (#15): the live
Markdown preview follows the typing (htmx, nothing inline), the forms save, the cohort page
lists what is missing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cohorts.models import Cohort, Course, CourseFAQ
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course(db):
    course = f.make_course(
        slug="ai-coding", title="AI 编程实战营", tagline="8 周，从零做出并上线你的第一个 AI 应用",
        audience="- 想用 AI 提效的**职场人**\n- 想转行做开发的大学生", outcomes="- 一个上线的 AI 应用\n- 一份作品集",
        graduation_standard="交付一个能公开访问、解决真实问题的应用。", teacher_name="王老师",
        teacher_bio="十年全栈开发，带过 500+ 学员。", status="draft",
    )  # fmt: skip
    CourseFAQ.objects.create(
        course=course, question="零基础能学吗？", answer="能，第一周从安装开始。", position=1
    )
    return course


def test_the_course_editor_with_live_preview(founder_pages, screenshot, course):
    for name, page in founder_pages(f"/console/courses/{course.pk}/"):
        assert page.locator("h1").inner_text() == "AI 编程实战营"
        box = page.locator("textarea[name=outcomes]")
        box.fill("- 一个上线的 AI 应用\n- **作品集** 一份")
        preview = page.locator("#id_outcomes-preview")
        preview.locator("strong", has_text="作品集").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name}: the page scrolls sideways ({width}px)"
        page.fill("input[name=tagline]", f"8 周上线你的 AI 应用（{name}）")
        page.check("input[name=status][value=published]")
        page.click(".course-editor button[type=submit]")
        page.locator(".messages").wait_for()
        assert "课程已保存" in page.locator(".messages").inner_text()
    course.refresh_from_db()
    assert course.tagline == "8 周上线你的 AI 应用（phone）" and course.is_published


def test_a_new_course_from_the_list(founder_pages, screenshot, db):
    for name, page in founder_pages("/console/courses/"):
        page.click("text=新建课程")
        page.fill("input[name=title]", f"数据分析训练营 {name}")
        page.fill("input[name=slug]", f"data-{name}")
        page.fill("textarea[name=audience]", "- 每天和 Excel 打交道的运营")
        page.fill("input[name=faq-0-question]", "要会编程吗？")
        page.fill("textarea[name=faq-0-answer]", "不用，从零开始。")
        if name == "phone":
            page.evaluate("window.scrollTo(0, 0)")
            screenshot(page, "new-course-phone")
        page.click(".course-editor button[type=submit]")
        page.locator(".messages").wait_for()
    assert set(Course.objects.values_list("slug", flat=True)) == {"data-desktop", "data-phone"}
    assert CourseFAQ.objects.filter(question="要会编程吗？").count() == 2


def test_the_cohort_form_and_the_missing_list(founder_pages, screenshot, course):
    start = timezone.localdate() + timedelta(days=14)
    for name, page in founder_pages(f"/console/courses/{course.pk}/cohorts/new/"):
        page.fill("input[name=name]", f"第 2 期 {name}")
        page.fill("input[name=starts_on]", start.isoformat())
        page.fill("input[name=ends_on]", (start + timedelta(weeks=8)).isoformat())
        page.fill("input[name=capacity]", "30")
        page.fill("input[name=price]", "3299")
        page.check("input[name=sale_open]")
        page.fill("textarea[name=enrollment_instructions]", "欢迎加入！\n\n1. 扫码进**学员群**")
        page.locator("#id_enrollment_instructions-preview strong", has_text="学员群").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"form-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name}: the page scrolls sideways ({width}px)"
        page.click(".cohort-editor button[type=submit]")
        page.locator(".missing").wait_for()
        assert "还没有直播的上课链接" in page.locator(".missing").inner_text()
        screenshot(page, f"missing-{name}")
        page.click(".missing a[href$='#id_meeting_url']")
        page.fill("input[name=meeting_url]", "https://meeting.tencent.com/dm/ai2")
        page.click(".cohort-editor button[type=submit]")
        page.locator(".missing").wait_for()
        assert "还没有直播的上课链接" not in page.locator(".missing").inner_text()
    assert Cohort.objects.filter(course=course, meeting_url="https://meeting.tencent.com/dm/ai2").count() == 2


def test_bad_cohort_input_on_a_phone(phone_page, live_server, login_browser, founder, screenshot, course):
    login_browser(phone_page, founder)
    phone_page.goto(f"{live_server.url}/console/courses/{course.pk}/cohorts/new/")
    phone_page.fill("input[name=name]", "第 3 期")
    phone_page.fill("input[name=starts_on]", "2027-03-10")
    phone_page.fill("input[name=ends_on]", "2027-03-01")
    phone_page.fill("input[name=capacity]", "0")
    phone_page.fill("input[name=price]", "1999")
    phone_page.click(".cohort-editor button[type=submit]")
    assert "结束日期不能早于开始日期" in phone_page.locator("#field-ends_on .errorlist").inner_text()
    assert phone_page.locator("#field-capacity .errorlist").count() == 1
    screenshot(phone_page, "errors")


def test_the_demo_course_page_on_a_phone(phone_page, desktop_page, live_server, screenshot, db):
    call_command("seed_demo")
    for name, page in (("phone", phone_page), ("desktop", desktop_page)):
        page.goto(f"{live_server.url}/courses/data-analysis/")
        page.locator("summary", has_text="需要会编程吗？").click()
        assert "从零讲起" in page.locator(".faq").inner_text()
        screenshot(page, name)


def test_the_course_list(founder_pages, screenshot, course):
    f.make_cohort(course=course, name="第 1 期", starts_on=timezone.localdate() + timedelta(days=7))
    f.make_course(slug="data", title="数据分析训练营", tagline="用 Python 和 SQL 做出老板看得懂的分析报告")
    for name, page in founder_pages("/console/courses/"):
        assert page.locator(".course-list > li").count() == 2
        assert "草稿" in page.locator(".course-list").inner_text()
        screenshot(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name}: the page scrolls sideways ({width}px)"
