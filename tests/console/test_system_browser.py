"""The system page as the founder sees it when one row says look soon: the badge says so too."""

import pytest

from console.models import Backup
from tests.console.test_doctor import everything_running, smtp_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_system_page_badge_follows_its_worst_row_on_desktop_and_phone(
    founder_pages,
    screenshot,
    everything_running,  # noqa: F811
):
    Backup.objects.update(offsite=False)  # the backup is on this machine only: look soon
    for name, page in founder_pages("/console/system/"):
        head = page.locator(".page-head")
        assert head.locator(".badge-warn", has_text="有些地方需要尽快查看").count() == 1
        assert page.get_by_text("一切正常").count() == 0
        assert page.locator("td .badge-warn", has_text="尽快查看").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], "no sideways scrolling"
        screenshot(page, name)
