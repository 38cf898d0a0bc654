"""Look at the 经营看板 with the demo business, on a desktop and on a 390 px phone."""

import pytest

from console.demo import demo_load
from onepco.weeks import Week
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_reads_well_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, screenshot
):
    demo_load()
    last = Week.current().previous()
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/dashboard/")  # opens on the last complete week
        assert last.label in page.title()
        assert page.locator("h1").inner_text() == "经营看板"
        assert page.locator(".stat").count() == 12
        assert page.locator("svg.chart").count() == 8
        assert "快照" in page.locator(".source-note").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1, "the page must not scroll sideways"
        screenshot(page, name)
        # The running week is one tap away, labelled 本周至今, and says what it counts.
        page.click(".week-tabs >> text=本周至今")
        assert Week.current().label in page.url
        assert "截至" in page.locator(".running-note").inner_text()
        assert page.locator(".stat .delta").count() == 12
        page.locator('[data-metric="conversion_rate"] summary').click()
        assert "可能超过 100%" in page.locator('[data-metric="conversion_rate"] details p').inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1, "the running week must not scroll sideways"
        screenshot(page, f"{name}-running-week")
        page.goto(f"{live_server.url}/console/dashboard/?week={last.label}")
    # The phone's page is long: look at its parts at readable size too.
    for part in (".stats-north", ".charts", ".funnel", "table"):
        phone_page.locator(part).first.scroll_into_view_if_needed()
        phone_page.screenshot(path=str(ARTIFACTS / "screenshots" / f"dashboard-phone-{part.strip('.')}.png"))
    page = phone_page
    page.fill("#id_action_1", "小红书每周发 3 条作业案例")
    page.click("text=保存行动")
    assert page.locator("#id_action_1").input_value() == "小红书每周发 3 条作业案例"
    page.click("a[rel=prev]")
    assert last.previous().label in page.url
    screenshot(page, "phone-previous-week")


def test_the_running_week_reads_well_in_english_on_a_phone(
    live_server, phone_page, founder, login_browser, screenshot
):
    demo_load()
    page = phone_page
    login_browser(page, founder)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/console/dashboard/")
    page.click(".week-tabs >> text=This week so far")
    assert "only lessons that have started" in page.locator(".running-note").inner_text()
    main = page.locator("main").inner_text()
    assert "本周至今" not in main and "进行中" not in main
    assert "Paid after consulting" in page.locator(".funnel").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, "the page must not scroll sideways"
    screenshot(page, "phone-en-running-week")
    page.locator(".funnel").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "dashboard-phone-en-funnel.png"))
