"""The online test in a real browser: a student takes it on a 390 px phone, one question a
screen, loses the connection mid-way without losing an answer, and is handed in by the
countdown; the founder builds the test and grades the written answer at 1280 px; the student
reads the result with before/after."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Assessment, QuizAnswer, QuizAttempt
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stage_test(cohort_a, student):
    f.make_assessment(student, cohort_a, "entry", 45, taken_at=timezone.now() - timedelta(days=20))
    quiz = f.make_quiz(
        cohort_a, title="阶段测评：Python 基础", time_limit_minutes=20, pass_mark=Decimal("60"),
        instructions="共 3 题，限时 20 分钟。**答完每题都会自动保存。**",
    )  # fmt: skip
    f.make_question(
        quiz, "single", 4, prompt="下面哪一个是 Python 的列表？",
        choices=(("[1, 2, 3]", True), ("{1: 2}", False), ("(1, 2)", False), ("'123'", False)),
    )  # fmt: skip
    f.make_question(quiz, "truefalse", 2, prompt="`for` 循环可以遍历字符串。", correct_true=True)
    f.make_question(
        quiz, "short", 4, prompt="用一两句话说说：函数有什么用？", guidance="提到复用、拆分问题即可。"
    )
    return quiz


def test_a_student_takes_a_test_on_a_phone_through_a_dropped_connection(
    live_server, phone_page, desktop_page, student, founder, login_browser, screenshot, stage_test, cohort_a
):
    quiz = stage_test
    page = phone_page
    login_browser(page, student.user)
    page.goto(f"{live_server.url}/learn/cohorts/{cohort_a.pk}/")
    page.click(f"#tests a[href='/learn/tests/{quiz.pk}/']")
    screenshot(page, "test-intro")
    page.click("form[action$='/start/'] button")
    attempt = QuizAttempt.objects.get(quiz=quiz, student=student)
    page.wait_for_url(f"{live_server.url}/learn/test-attempts/{attempt.pk}/**")

    # One question a screen: the first one, with the countdown running.
    assert page.locator(".quiz-step:not(.is-hidden)").count() == 1
    clock = page.locator("#quiz-clock").inner_text()
    assert clock.startswith("19:") or clock == "20:00"
    page.click(".quiz-step:not(.is-hidden) .quiz-option:first-child")
    expect(page.locator("#quiz-status")).to_have_text(re.compile("^已保存"))
    screenshot(page, "test-taking")
    page.click(".quiz-step:not(.is-hidden) .quiz-next")
    page.click(".quiz-step:not(.is-hidden) .quiz-option:first-child")  # 对
    expect(page.locator("#quiz-status")).to_have_text(re.compile("^已保存"))
    page.click(".quiz-step:not(.is-hidden) .quiz-next")

    # The connection drops while the student writes the last answer.
    page.context.set_offline(True)
    page.fill(".quiz-step:not(.is-hidden) textarea", "函数把一段代码包起来，可以反复调用，也能把大问题拆小。")
    expect(page.locator("#quiz-status")).to_have_text(re.compile("^网络断开"))
    screenshot(page, "test-offline")
    assert not QuizAnswer.objects.filter(attempt=attempt, text__startswith="函数").exists()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#quiz-status")).to_have_text(re.compile("^已保存"))
    assert QuizAnswer.objects.filter(attempt=attempt).count() == 3

    # A reload (or another phone) finds every answer and the same question.
    page.reload()
    assert page.locator(".quiz-step:not(.is-hidden) textarea").input_value().startswith("函数")
    assert page.locator("#quiz-progress").inner_text() == "已答 3 / 3"

    # The time runs out: the countdown hands in by itself, the server agrees.
    QuizAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    page.wait_for_url(f"{live_server.url}/learn/test-attempts/{attempt.pk}/result/", timeout=15_000)
    attempt.refresh_from_db()
    assert attempt.status == QuizAttempt.Status.GRADING and attempt.timed_out
    assert "批改中" in page.content()

    # The founder grades the written answer with a template, at 1280 px.
    f.make_feedback_template(title="讲得清楚", body="讲得清楚：复用和拆分都提到了。")
    login_browser(desktop_page, founder)
    desktop_page.goto(f"{live_server.url}/console/grading/")
    desktop_page.click("#test-queue a >> nth=1")
    desktop_page.fill("input[name^=points_]", "3")
    desktop_page.click(".template-chips button")
    screenshot(desktop_page, "founder-grades-test")
    desktop_page.click("button[name=next]")
    desktop_page.wait_for_url(f"{live_server.url}/console/grading/")

    # Final: (4 + 2 + 3) / 10 → 90, the stage assessment; before/after on the phone.
    assessment = Assessment.objects.get(quiz=quiz)
    assert assessment.score == Decimal("90.00") and assessment.kind == "stage"
    page.goto(f"{live_server.url}/learn/test-attempts/{attempt.pk}/result/")
    assert page.locator("#attempt-score").inner_text().startswith("90")
    before_after = page.locator("#before-after").inner_text()
    assert "45" in before_after and "90" in before_after and "+45" in before_after
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "test-result")


def test_the_founder_builds_a_test_at_1280_and_on_a_phone(founder_pages, screenshot, stage_test, student):
    for name, page in founder_pages(f"/console/tests/{stage_test.pk}/"):
        assert page.locator(".quiz-q").count() == 3
        assert "10 分" in page.locator(".quiz-facts").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, f"builder-{name}")
    for name, page in founder_pages(f"/console/tests/{stage_test.pk}/questions/new/?kind=multiple"):
        screenshot(page, f"question-{name}")
    for name, page in founder_pages(f"/console/cohorts/{stage_test.cohort_id}/assessments/"):
        assert "阶段测评：Python 基础" in page.locator("#online-tests").inner_text()
        screenshot(page, f"assessments-{name}")


def test_all_on_one_page_without_a_time_limit(
    live_server, phone_page, student, login_browser, screenshot, cohort_a
):
    quiz = f.make_quiz(cohort_a, title="入学测评", kind="entry", layout="all")
    f.make_question(
        quiz,
        "multiple",
        2,
        prompt="哪些是数据类型？",
        choices=(("列表", True), ("字典", True), ("循环", False)),
    )
    f.make_question(quiz, "truefalse", 1, prompt="Python 区分大小写。", correct_true=True)
    login_browser(phone_page, student.user)
    phone_page.goto(f"{live_server.url}/learn/tests/{quiz.pk}/")
    phone_page.click("form[action$='/start/'] button")
    phone_page.wait_for_selector("#quiz-form")
    assert phone_page.locator(".quiz-step:not(.is-hidden)").count() == 2
    assert phone_page.locator("#quiz-clock").count() == 0
    phone_page.click("text=列表")
    phone_page.click("text=字典")
    phone_page.click(".quiz-tf .quiz-option:first-child")
    screenshot(phone_page, "entry-all-on-one-page")
    phone_page.once("dialog", lambda dialog: dialog.accept())
    phone_page.click("#quiz-handin button[type=submit]")
    phone_page.wait_for_url("**/result/")
    assert phone_page.locator("#attempt-score").inner_text().startswith("100")
    assert Assessment.objects.get(quiz=quiz).score == 100
    screenshot(phone_page, "entry-result")
