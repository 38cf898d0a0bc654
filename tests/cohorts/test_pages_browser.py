"""Every page of the delivery loop on a 390 px phone and a desktop, and the homework round trip:
a student signs in with an e-mailed code and hands in a file; the founder grades it with a
template; the student reads the feedback."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts import services
from tests import factories as f
from tests.cohorts.files import PDF, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_homework_round_trip_on_a_phone(
    live_server,
    phone_page,
    desktop_page,
    student,
    cohort_a,
    founder,
    login_browser,
    screenshot,
    mailoutbox,
    tmp_path,
):
    assignment = f.make_assignment(
        cohort_a, title="第 3 周：爬取豆瓣电影 Top 250", instructions="用 **requests** 抓取页面，保存为 CSV。\n\n- 至少 50 条\n- 附上代码",
        standard="CSV 至少 50 行；代码能直接运行；有注释。", due_at=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    f.make_feedback_template(title="结构清晰", body="代码结构清晰，命名规范，继续保持！")
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/code/")
    page.fill("input[name=email]", "student@example.com")
    page.click("button[type=submit]")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mailoutbox[-1].body)[1]
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/learn/")
    page.click(f"a[href='/learn/cohorts/{cohort_a.pk}/']")
    page.click(f"a[href='/learn/assignments/{assignment.pk}/']")
    work = tmp_path / "作业.pdf"
    work.write_bytes(PDF)
    page.fill("textarea[name=text]", "代码在附件里，抓了 250 条。")
    page.set_input_files("input[name=file]", str(work))
    screenshot(page, "student-submit")
    page.click("#submit-form button[type=submit]")
    assert "第 1 次" in page.locator(".messages").inner_text()

    login_browser(desktop_page, founder)
    desktop_page.goto(f"{live_server.url}/console/grading/")
    desktop_page.click("text=从最早的开始")
    desktop_page.fill("input[name=score]", "88")
    desktop_page.click(".template-chips button")
    assert "命名规范" in desktop_page.input_value("textarea[name=feedback]")
    screenshot(desktop_page, "founder-grade")
    desktop_page.click("button[name=next]")
    desktop_page.wait_for_url(f"{live_server.url}/console/grading/")

    page.goto(f"{live_server.url}/learn/assignments/{assignment.pk}/")
    assert "命名规范" in page.locator(".feedback").inner_text()
    assert "88" in page.locator(".attempt-head").first.inner_text()
    screenshot(page, "student-feedback")


def real_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 200), (30, 30, 30))
    ImageDraw.Draw(image).text((20, 80), "$ python --version\nPython 3.12.7", fill=(220, 220, 220))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def busy_cohort(student, cohort_a, founder):
    now = timezone.now()
    classmates = []
    for name in ("王小明", "李华", "张伟"):
        learner = f.make_student(f.make_user(name=name))
        f.make_enrollment(learner, cohort_a)
        classmates.append(learner)
    everyone = [student, *classmates]
    held = f.make_lesson(
        cohort_a,
        title="第 1 课：环境搭建",
        starts_at=now - timedelta(days=6),
        recording_url="https://video.example.com/1",
    )
    f.make_lesson(
        cohort_a,
        title="第 2 课：数据抓取",
        starts_at=now + timedelta(days=1),
        meeting_url="https://meeting.example.com/2",
    )
    for learner, status in zip(everyone, ("full", "partial", "full", "absent"), strict=True):
        f.make_attendance(held, learner, status)
    week1 = f.make_assignment(
        cohort_a,
        title="第 1 周：安装 Python",
        due_at=now - timedelta(days=4),
        standard="截图显示 python --version",
    )
    week2 = f.make_assignment(cohort_a, title="第 2 周：写一个函数", due_at=now + timedelta(days=3))
    f.make_assignment(cohort_a, title="结业项目", due_at=now + timedelta(days=30), is_graduation_project=True)
    png = services.submission_submit(
        student=classmates[0],
        assignment=week1,
        text="见截图",
        file=upload("截图.png", real_png()),
        now=now - timedelta(days=5),
    )
    services.submission_grade(
        submission=png, score=Decimal("92"), feedback="很好", graded_by=founder, is_showcase=True
    )
    f.make_submission(week1, student, text="python 3.12", submitted_at=now - timedelta(days=3), late=True)
    f.make_submission(week2, classmates[1], text="def add(a, b): return a + b")
    f.make_feedback_template(title="很好", body="完成得很好，继续保持。")
    f.make_feedback_template(title="格式", body="注意代码格式：用 4 个空格缩进。")
    for learner, entry, grad in zip(everyone, (40, 55, 35, 60), (82, 76, None, 58), strict=True):
        f.make_assessment(learner, cohort_a, "entry", entry, taken_at=now - timedelta(days=13))
        f.make_assessment(learner, cohort_a, "stage", entry + 10, taken_at=now - timedelta(days=5))
        if grad:
            f.make_assessment(learner, cohort_a, "graduation", grad, passed=grad >= 60, taken_at=now)
    enrollment = services.enrollment_graduate(enrollment=student.enrollments.get())
    services.graduation_report_feedback_set(
        report=enrollment.report, closing_feedback="从零基础到独立完成结业项目，进步非常大。继续加油！"
    )
    services.graduation_report_publish(report=enrollment.report, published=True)
    return {"held": held, "week1": week1, "week2": week2, "report": enrollment.report, "png": png}


def test_every_page_on_phone_and_desktop(
    live_server, phone_page, desktop_page, student, founder, cohort_a, busy_cohort, login_browser, screenshot
):
    c = cohort_a.pk
    console = {
        "cohorts": "/console/cohorts/",
        "cohort": f"/console/cohorts/{c}/",
        "lesson-new": f"/console/cohorts/{c}/lessons/new/",
        "attendance": f"/console/lessons/{busy_cohort['held'].pk}/attendance/",
        "assignment": f"/console/cohorts/{c}/assignments/{busy_cohort['week1'].pk}/",
        "assessments": f"/console/cohorts/{c}/assessments/",
        "queue": "/console/grading/",
        "grade": f"/console/submissions/{busy_cohort['png'].pk}/",
        "templates": "/console/feedback-templates/",
        "student": f"/console/students/{student.pk}/",
    }
    learner = {
        "learn-home": "/learn/",
        "learn-cohort": f"/learn/cohorts/{c}/",
        "learn-assignment": f"/learn/assignments/{busy_cohort['week1'].pk}/",
        "learn-progress": "/learn/progress/",
    }
    for size, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        for name, url in console.items():
            page.goto(live_server.url + url)
            assert page.locator("h1").count() >= 1, url
            screenshot(page, f"{name}-{size}")
        page.context.clear_cookies()
        login_browser(page, student.user)
        for name, url in learner.items():
            page.goto(live_server.url + url)
            screenshot(page, f"{name}-{size}")
        page.goto(f"{live_server.url}/graduates/{busy_cohort['report'].token}/")
        assert "进步非常大" in page.content()
        screenshot(page, f"report-{size}")
    phone_page.goto(f"{live_server.url}/graduates/{busy_cohort['report'].token}/card.png")
    screenshot(phone_page, "card")


def test_a_refunded_students_cohort_page_on_phone_and_desktop(
    live_server, phone_page, desktop_page, refunded_student, cohort_a, founder, login_browser, screenshot
):
    now = timezone.now()
    held = f.make_lesson(
        cohort_a,
        title="第 1 课：环境搭建",
        starts_at=now - timedelta(days=6),
        recording_url="https://video.example.com/1",
    )
    f.make_lesson(
        cohort_a,
        title="第 2 课：数据抓取",
        starts_at=now + timedelta(days=1),
        meeting_url="https://meeting.example.com/2",
    )
    f.make_attendance(held, refunded_student, "full")
    week1 = f.make_assignment(cohort_a, title="第 1 周：安装 Python", due_at=now - timedelta(days=4))
    f.make_assignment(cohort_a, title="第 2 周：写一个函数", due_at=now + timedelta(days=3))
    work = f.make_submission(
        week1, refunded_student, text="python 3.12", submitted_at=now - timedelta(days=5)
    )
    services.submission_grade(submission=work, score=Decimal("85"), feedback="很好", graded_by=founder)
    for size, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, refunded_student.user)
        # The cohort itself is closed (404, #16); their own work stays on the progress page.
        assert page.goto(f"{live_server.url}/learn/cohorts/{cohort_a.pk}/").status == 404
        page.goto(f"{live_server.url}/learn/progress/")
        assert "本期已退款" in page.locator(".my-work").inner_text()
        assert page.locator("a[href^='https://meeting.example.com']").count() == 0
        assert page.locator("a[href^='https://video.example.com']").count() == 0
        assert page.locator(f"a[href='/learn/assignments/{week1.pk}/']").count() == 1
        assert "第 2 周：写一个函数" not in page.content()
        # Nothing spills sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"learn-progress-refunded-{size}")
        page.goto(f"{live_server.url}/learn/assignments/{week1.pk}/")
        assert "很好" in page.locator(".feedback").inner_text()
        assert page.locator("#submit-form").count() == 0
        screenshot(page, f"learn-assignment-refunded-{size}")
