"""First-run setup in a browser, on a 390 px phone and a 1280 px desktop: the checklist on 今天,
the 设置 page and a step's form fit the screen; a step done in the form ticks on the checklist."""

import pytest

from crm.models import SignupSettings

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

        page.goto(f"{live_server.url}/console/")
        assert page.locator("#setup li.done").count() == 1
        assert page.evaluate(FITS), device
        screenshot(page, f"today-after-{device}")
        SignupSettings.objects.all().delete()
