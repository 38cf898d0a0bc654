"""Look at the sales page of the demo business on a phone and on a desktop: the fixed 咨询 /
购买 bar on the phone only, and it hides nothing at the bottom of the page."""

import pytest

from console.demo import demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_sales_page(device, live_server, phone_page, desktop_page, screenshot):
    demo_load()
    page = phone_page if device == "phone" else desktop_page
    page.goto(f"{live_server.url}/courses/ai-coding/")
    assert page.locator("#syllabus h3").first.inner_text() == "第 1 周"
    assert page.locator("#showcase .showcase-item").count() >= 1
    bar = page.locator(".buy-bar")
    screenshot(page, "course")
    if device == "desktop":
        assert not bar.is_visible()
        return
    assert bar.is_visible()
    assert bar.locator("a:has-text('咨询')").get_attribute("href") == "#signup"
    assert bar.locator("a:has-text('购买')").get_attribute("href") == "/courses/ai-coding-2/buy/"
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = page.locator("footer").bounding_box()
    top = bar.bounding_box()
    assert last and top and last["y"] + last["height"] <= top["y"] + 1
    page.screenshot(
        path=str(screenshot(page, "course").with_name(f"test_the_sales_page[{device}]-bottom.png"))
    )
    # a course with no cohort on sale: 购买 is disabled with the reason
    page.goto(f"{live_server.url}/courses/data-analysis/")
    assert "当前没有在售的班级" in bar.inner_text()
    assert bar.locator("a:has-text('购买')").count() == 0
    page.screenshot(
        path=str(screenshot(page, "data").with_name(f"test_the_sales_page[{device}]-data-bottom.png"))
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_graduate_withdraws_consent_on_the_progress_page(
    device, live_server, phone_page, desktop_page, login_browser, screenshot
):
    from cohorts.models import GraduationReport

    demo_load()
    page = phone_page if device == "phone" else desktop_page
    report = (
        GraduationReport.objects.filter(shares_work=True).select_related("enrollment__student__user").first()
    )
    assert report is not None
    login_browser(page, report.enrollment.student.user)
    page.goto(f"{live_server.url}/learn/progress/")
    screenshot(page, "progress")
    page.click("button:has-text('停止展示我的作品')")
    page.wait_for_selector("text=你的作品已不再在课程页展示。")
    report.refresh_from_db()
    assert report.shares_work is False
    assert page.locator("button:has-text('展示我的作品')").is_visible()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_visitor_who_signed_up_finds_checkout_filled_in(
    device, live_server, phone_page, desktop_page, screenshot, cohort, signup_ready
):
    page = phone_page if device == "phone" else desktop_page
    page.goto(f"{live_server.url}/courses/{cohort.course.slug}/")
    page.fill(".signup input[name=name]", "韩梅梅")
    page.fill(".signup input[name=email]", f"mei-{device}@example.com")
    page.fill(".signup input[name=phone]", "13900001111")
    page.check(".signup input[name=consent]")
    page.click(".signup button[type=submit]")
    page.wait_for_url("**/thanks/**")
    assert "founder_wx" in page.content()  # the next step is there

    page.goto(f"{live_server.url}/courses/{cohort.slug}/buy/")
    assert page.input_value("input[name=name]") == "韩梅梅"
    assert page.input_value("input[name=email]") == f"mei-{device}@example.com"
    assert page.input_value("input[name=phone]") == "13900001111"  # as typed
    assert page.get_attribute("input[name=phone]", "inputmode") == "tel"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "checkout-prefilled")
