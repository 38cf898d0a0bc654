"""The schedule generator and the copy from a previous cohort as the founder uses them, on a
390 px phone and a 1280 px desktop: fill the pattern by tapping, preview, create."""

from datetime import date
from decimal import Decimal

import pytest

from cohorts.models import Assignment, Lesson
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cohorts():
    course = f.make_course(title="AI 编程实战营")
    autumn = f.make_cohort(
        course,
        name="第 3 期",
        starts_on=date(2026, 10, 13),
        ends_on=date(2026, 12, 6),
        enrollment_instructions="欢迎加入第 3 期！每周二 20:00 直播，周四 20:00 答疑。\n上课链接会在开课前一天发到群里。",
    )
    for week in range(3):
        f.make_lesson(
            autumn, title=f"直播 第{week + 1}讲：从想法到原型", starts_at=f.aware(2026, 10, 13 + 7 * week, 20)
        )
        f.make_lesson(
            autumn,
            title=f"答疑 第{week + 1}周",
            starts_at=f.aware(2026, 10, 15 + 7 * week, 20),
            duration_minutes=60,
        )
    f.make_assignment(
        autumn,
        title="第 1 周：定义产品、定义毕业标准、建表",
        standard="一页纸：用户、问题、三条可衡量的毕业标准。",
        due_at=f.aware(2026, 10, 18, 23, 59),
        pass_mark=Decimal("70"),
    )
    f.make_assignment(
        autumn, title="第 2 周：做出第一个可用的页面", standard="", due_at=f.aware(2026, 10, 25, 23, 59)
    )
    f.make_assignment(
        autumn, title="结业项目", due_at=f.aware(2026, 12, 1, 23, 59), is_graduation_project=True
    )
    f.make_feedback_template(title="结构清晰")
    winter = f.make_cohort(course, name="第 4 期", starts_on=date(2026, 12, 8), ends_on=date(2027, 1, 31))
    return autumn, winter  # fmt: skip


def test_generate_a_schedule_on_phone_and_desktop(
    live_server, phone_page, desktop_page, founder, login_browser, screenshot
):
    _autumn, winter = _cohorts()
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/cohorts/{winter.pk}/")
        page.click("text=生成课表")
        page.fill("input[name=rows-0-title]", "直播 第{n}讲")
        page.click("#field-rows-0-weekdays .day-pick:has-text('周二')")
        page.fill("input[name=rows-1-title]", "答疑 第{week}周")
        page.click("#field-rows-1-weekdays .day-pick:has-text('周四')")
        page.fill("input[name=rows-1-duration_minutes]", "60")
        page.fill("input[name=weeks]", "8")
        page.fill("textarea[name=skip_dates]", "2026-12-31\n2027-01-01")
        page.click("button[value=preview]")
        preview = page.locator("#schedule-preview")
        assert "12月8日 周二 20:00" in preview.inner_text()
        assert "跳过：12月31日 周四" in preview.inner_text()
        assert preview.locator(".plan-list li").count() == 15
        screenshot(page, f"preview-{size}")
        if size == "phone":
            # A mistake: no weekday in the first row, 0 weeks. Errors beside the fields.
            page.click("#field-rows-0-weekdays .day-pick:has-text('周二')")
            page.fill("input[name=weeks]", "0")
            page.fill("textarea[name=skip_dates]", "元旦")
            page.click("button[value=preview]")
            assert "请至少选一天" in page.locator("#field-rows-0-weekdays .errorlist").inner_text()
            assert page.locator("#field-weeks .errorlist").count() == 1
            assert "元旦" in page.locator("#field-skip_dates .errorlist").inner_text()
            screenshot(page, f"errors-{size}")
        else:
            page.click("#schedule-preview button[value=create]")
            page.wait_for_url(f"{live_server.url}/console/cohorts/{winter.pk}/")
            assert "已创建 15 节课" in page.locator(".messages").inner_text()
            screenshot(page, f"created-{size}")
    assert Lesson.objects.filter(cohort=winter).count() == 15


def test_copy_a_previous_cohort_on_phone_and_desktop(
    live_server, phone_page, desktop_page, founder, login_browser, screenshot
):
    _autumn, winter = _cohorts()
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/cohorts/{winter.pk}/")
        page.click("text=从往期复制")
        page.click("#copy-form button[value=preview]")
        preview = page.locator("#copy-preview")
        assert "12月8日 周二 20:00" in preview.inner_text()
        assert "原为 10月13日 周二 20:00" in preview.inner_text()
        screenshot(page, f"copy-preview-{size}")
    desktop_page.click("#copy-create button")
    desktop_page.wait_for_url(f"{live_server.url}/console/cohorts/{winter.pk}/")
    screenshot(desktop_page, "copied-desktop")
    # The phone still shows the old preview; copying from it again is refused.
    phone_page.click("#copy-create button")
    assert "已经有课" in phone_page.locator(".nonfield, #copy-refusal").first.inner_text()
    screenshot(phone_page, "copy-again-phone")
    assert Lesson.objects.filter(cohort=winter).count() == 6
    assert Assignment.objects.filter(cohort=winter).count() == 3
