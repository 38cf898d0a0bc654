"""/learn/ in a browser at 390 and 1280 px (#16): before a cohort starts (the checklist, 即将开课)
and during one (进入课堂 with its countdown, the next homework, new feedback), the cohort page and
the lesson list with replays and materials. Screenshots in artifacts/screenshots/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts import services
from crm.models import SignupSettings
from tests import factories as f
from tests.cohorts.files import PDF, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running(cohort_a, student, founder):
    """Cohort A under way: a lesson in 40 minutes, lessons held with replays and materials,
    homework in every state."""
    now = timezone.now()
    cohort_a.meeting_url = "https://meeting.tencent.com/dm/live"
    cohort_a.save()
    f.make_lesson(cohort_a, title="第 5 课：RAG 入门", starts_at=now + timedelta(minutes=40))
    f.make_lesson(cohort_a, title="第 6 课：部署上线", starts_at=now + timedelta(days=7))
    for week in (1, 2, 3, 4):
        held = f.make_lesson(
            cohort_a,
            title=f"第 {week} 课：提示词与工具调用",
            starts_at=now - timedelta(days=7 * (5 - week)),
            recording_url=f"https://video.example.com/replay-{week}",
        )
        f.make_attendance(held, student, "full" if week != 2 else "absent")
        services.lesson_material_add(lesson=held, title=f"第 {week} 课课件", file=upload("slides.pdf", PDF))
        services.lesson_material_add(lesson=held, title="示例代码仓库", url="https://github.com/example/demo")
    f.make_assignment(cohort_a, title="第 5 周：做一个问答机器人", due_at=now + timedelta(days=1, hours=3))
    f.make_assignment(cohort_a, title="第 4 周：写一份提示词模板", due_at=now - timedelta(days=1))
    waiting = f.make_assignment(cohort_a, title="第 3 周：调用一个 API", due_at=now - timedelta(days=8))
    f.make_submission(waiting, student)
    again = f.make_assignment(cohort_a, title="第 2 周：整理数据集", due_at=now - timedelta(days=15))
    services.submission_grade(
        submission=f.make_submission(again, student),
        score=Decimal("52"),
        feedback="缺少清洗步骤",
        graded_by=founder,
    )
    passed = f.make_assignment(cohort_a, title="第 1 周：环境搭建", due_at=now - timedelta(days=22))
    services.submission_grade(
        submission=f.make_submission(passed, student, late=True),
        score=Decimal("95"),
        feedback="很好",
        graded_by=founder,
    )
    return cohort_a


def _visit(page, live_server, login_browser, user, path):
    login_browser(page, user)
    page.goto(f"{live_server.url}{path}")


def test_learn_during_a_cohort(
    live_server, phone_page, desktop_page, student, running, login_browser, screenshot
):
    for name, page in (("phone", phone_page), ("desktop", desktop_page)):
        _visit(page, live_server, login_browser, student.user, "/learn/")
        next_lesson = page.locator("#next-lesson")
        assert "第 5 课：RAG 入门" in next_lesson.inner_text()
        assert next_lesson.locator("button.btn-join").is_disabled()  # opens 15 minutes before
        first = next_lesson.locator(".countdown").first.inner_text()
        page.wait_for_timeout(1300)
        assert next_lesson.locator(".countdown").first.inner_text() != first  # learn.js ticks
        assert "新反馈" in page.locator("#new-feedback").inner_text()
        assert "作业 1/5 达标" in page.inner_text("body") and "出勤 3/4" in page.inner_text("body")
        screenshot(page, f"home-{name}")
        page.goto(f"{live_server.url}/learn/cohorts/{running.pk}/")
        assert page.locator("#group-passed").inner_text().count("已过截止时间") == 0
        screenshot(page, f"cohort-{name}")
        page.goto(f"{live_server.url}/learn/cohorts/{running.pk}/lessons/")
        assert page.locator("#past-lessons .btn-replay").count() == 4
        screenshot(page, f"lessons-{name}")


def test_learn_before_the_cohort_starts(
    live_server, phone_page, desktop_page, outsider, login_browser, screenshot, tmp_path
):
    SignupSettings.objects.create(wechat_id="onepco_helper")
    cohort = f.make_cohort(
        name="2027 春季班",
        starts_on=timezone.localdate() + timedelta(days=12),
        entry_assessment_at=timezone.now() + timedelta(days=10),
    )
    f.make_enrollment(outsider, cohort)
    f.make_lesson(cohort, title="开营直播", starts_at=timezone.now() + timedelta(days=12))
    for name, page in (("phone", phone_page), ("desktop", desktop_page)):
        _visit(page, live_server, login_browser, outsider.user, "/learn/")
        checklist = page.locator(f"#checklist-{cohort.pk}").inner_text()
        assert "添加助教微信" in checklist and "onepco_helper" in checklist
        assert "参加入学测评" in checklist and "设置密码（可选）" in checklist
        assert "即将开课" in page.inner_text("body") and "在读" not in page.inner_text("body")
        screenshot(page, f"home-before-start-{name}")


def test_the_founder_adds_materials_to_a_lesson(
    live_server, phone_page, desktop_page, founder, running, login_browser, screenshot, tmp_path
):
    lesson = running.lessons.order_by("starts_at").first()
    slides = tmp_path / "第一课讲义.pdf"
    slides.write_bytes(PDF)
    for name, page in (("phone", phone_page), ("desktop", desktop_page)):
        _visit(
            page, live_server, login_browser, founder, f"/console/cohorts/{running.pk}/lessons/{lesson.pk}/"
        )
        page.set_input_files("input[name=material-file]", str(slides))
        page.click("#materials button:has-text('添加')")
        assert "资料已添加" in page.locator(".messages").inner_text()
        assert "第一课讲义.pdf" in page.locator("#materials").inner_text()
        page.evaluate("window.scrollTo(0, 0)")  # the redirect lands on #materials
        screenshot(page, f"lesson-form-{name}")
