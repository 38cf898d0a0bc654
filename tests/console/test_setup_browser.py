"""First-run setup in a browser, on a 390 px phone and a 1280 px desktop: the checklist on 今天,
the 设置 page and a step's form fit the screen; a step done in the form ticks on the checklist."""

import pytest

from crm.models import SignupSettings
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_checklist_and_the_settings_pages_fit_a_phone_and_a_desktop(
    live_server, founder_pages, screenshot, settings
):
    settings.SITE_URL = "http://localhost:8000"  # not the address in use: the warning shows
    for device, page in founder_pages("/console/"):
        checklist = page.locator("#setup")
        assert checklist.is_visible()
        assert checklist.locator("li").count() == 5
        assert page.evaluate(FITS), device
        screenshot(page, f"today-{device}")

        page.click("#setup a.see-all")
        page.wait_for_url("**/console/settings/")
        assert page.locator(".setup-steps > li").count() == 5
        assert page.locator(".setup-warning").is_visible()
        assert page.evaluate(FITS), device
        screenshot(page, f"settings-{device}")

        page.click("#step-next-step a.btn")
        page.wait_for_url("**/console/settings/next-step/")
        page.click(".setup-form button[type=submit]")  # nothing given: the form says why, next to it
        assert page.locator(".errorlist").first.is_visible()
        screenshot(page, f"next-step-error-{device}")
        page.fill("input[name=wechat_id]", f"founder_{device}")
        page.fill("input[name=trial_booking_url]", "https://cal.example.com/trial")
        page.click(".setup-form button[type=submit]")
        page.wait_for_url("**/console/settings/")
        assert page.locator("#step-next-step .badge-ok").is_visible()
        screenshot(page, f"settings-after-{device}")

        page.goto(f"{live_server.url}/console/settings/money/")
        assert page.locator("#method-alipay code").first.is_visible()
        assert page.evaluate(FITS), device
        screenshot(page, f"money-{device}")

        for step in ("brand", "email", "policies"):
            page.goto(f"{live_server.url}/console/settings/{step}/")
            assert page.evaluate(FITS), (device, step)
            screenshot(page, f"{step}-{device}")

        page.goto(f"{live_server.url}/console/")
        assert page.locator("#setup li.done").count() == 1
        assert page.evaluate(FITS), device
        screenshot(page, f"today-after-{device}")
        SignupSettings.objects.all().delete()


def test_without_a_next_step_a_prospect_reads_signup_is_not_open_and_the_founder_reads_why(
    live_server, phone_page, desktop_page, founder, login_browser, screenshot
):
    course = f.make_course(slug="sql", title="SQL 训练营", tagline="四周写出第一份报表")
    f.make_cohort(course, slug="sql-1", sale_open=True, capacity=10)
    phone_page.goto(f"{live_server.url}/courses/sql/")
    signup = phone_page.locator("#signup")
    assert "报名暂未开放" in signup.inner_text() and signup.locator("input").count() == 0
    assert phone_page.locator("a[href='#signup']").count() == 0  # no link to a form that is not there
    assert phone_page.evaluate(FITS)
    screenshot(phone_page, "prospect-phone")
    login_browser(desktop_page, founder)
    desktop_page.goto(f"{live_server.url}/courses/sql/")
    assert "报名表单尚未上线" in desktop_page.locator("#signup").inner_text()
    screenshot(desktop_page, "founder-desktop")
    desktop_page.click("#signup a.btn")
    desktop_page.wait_for_url("**/console/settings/next-step/")
