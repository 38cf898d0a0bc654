"""The weekly review in a browser, at 1280 px and on a 390 px phone: the suggestions with their
evidence, one tap to take one into the actions, last week's actions marked done in place."""

import pytest

from dashboard.models import WeeklyMetrics
from dashboard.services import weekly_actions_save
from tests.conftest import ARTIFACTS
from tests.dashboard.suggestion_data import W47
from tests.dashboard.test_review import every_rule_firing

SHOTS = ARTIFACTS / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_weekly_review_reads_well_and_closes_the_loop(
    live_server, desktop_page, phone_page, founder, login_browser, screenshot
):
    every_rule_firing()
    weekly_actions_save(week=W47.previous(), actions=["小红书每周发 3 条作业案例", "回访两位掉队学员"])
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/dashboard/?week={W47.label}")
        assert page.locator(".suggestion").count() == 5
        assert (
            "前四周" in page.locator('.suggestion[data-rule="follow-up"] .suggestion-evidence').inner_text()
        )
        assert page.locator("#last-actions .last-action").count() == 2
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1, "the page must not scroll sideways"
        screenshot(page, name)
        for part in ("#last-actions", "#actions"):
            page.locator(part).scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"review-{name}-{part.strip('#')}.png"))

    page = phone_page
    # One tap takes a suggestion into the first empty action slot.
    suggestion = page.locator('.suggestion[data-rule="attendance"]')
    action = suggestion.locator(".suggestion-action").inner_text()
    suggestion.locator("button").click()
    page.wait_for_url("**#actions")
    assert page.locator("#id_action_1").input_value() == action
    assert "已在行动中" in page.locator('.suggestion[data-rule="attendance"]').inner_text()
    # Last week's first action marked done in place (htmx), no reload.
    first = page.locator('#last-actions .last-action[data-slot="1"]')
    first.locator("button[value=yes]").click()
    page.locator('#last-actions .last-action.is-done[data-slot="1"]').wait_for()
    page.locator('#last-actions .last-action[data-slot="2"] button[value=no]').click()
    page.locator('#last-actions .last-action.is-not-done[data-slot="2"]').wait_for()
    assert page.url.endswith("#actions"), "marked in place: no page load to #last-actions"
    row = WeeklyMetrics.objects.get(week=W47.previous().label)
    assert (row.action_1_done, row.action_2_done) == (True, False)
    page.locator("#last-actions").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "review-phone-marked.png"))

    # The people behind a suggestion, one tap away.
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        page.goto(f"{live_server.url}/console/dashboard/?week={W47.label}")
        page.locator('.suggestion[data-rule="follow-up"] a').click()
        assert "没有跟进日期" in page.locator("h1").inner_text()
        assert page.locator(".people-list li").count() == 3
        screenshot(page, f"{name}-follow-ups")
        page.go_back()
        page.locator('.suggestion[data-rule="attendance"] a').click()
        assert "缺席" in page.locator("h1").inner_text()
        assert page.locator(".people-list li").count() == 3
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1, "the list must not scroll sideways"
        screenshot(page, f"{name}-absentees")
