"""In a real browser at 390 and 1280 px: the pieces page and the dashboard's channel table with
its cost columns (stacked on a phone, never scrolling the page sideways)."""

import pytest

from tests.conftest import ARTIFACTS
from tests.crm.conftest import seed_migration
from tests.dashboard.test_roi import roi_business

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def roi(db):
    return roi_business()


@pytest.fixture
def registry(db):
    from django.apps import apps

    seed_migration.seed(apps, None)  # browser tests flush the seeded channel names


def test_the_pieces_page_and_the_channel_table(
    live_server,
    phone_page,
    desktop_page,
    founder,
    login_browser,
    registry,
    roi,
    screenshot,
):
    week = roi["week"]
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/leads/pieces/")
        assert "AI 入门笔记" in page.locator("#roi-pieces").inner_text()
        assert "2.29×" in page.locator(f"#piece-{roi['a'].pk}").inner_text()
        assert "小红书" in page.locator("#roi-channels").inner_text()
        assert page.evaluate(FITS), "the pieces page must not scroll sideways"
        screenshot(page, f"pieces-{size}")
        page.click(".roi-spans >> text=最近 12 周")
        assert "weeks=12" in page.url and "旧帖" in page.locator("#roi-pieces").inner_text()
        page.goto(f"{live_server.url}/console/dashboard/?week={week.label}")
        table = page.locator("#channels")
        assert "¥700.00" in table.inner_text() and "最佳内容" in table.inner_text()
        assert page.evaluate(FITS), "the dashboard must not scroll sideways"
        screenshot(page, f"dashboard-{size}")
        shots = ARTIFACTS / "screenshots"
        table.screenshot(path=str(shots / f"test_the_pieces_page_and_the_channel_table-channels-{size}.png"))
        page.goto(f"{live_server.url}/console/leads/pieces/{roi['a'].pk}/")
        assert page.evaluate(FITS)
        screenshot(page, f"piece-{size}")
