"""Look at a course across its cohorts on a desktop and on a 390 px phone."""

import pytest

from tests.dashboard.test_across_cohorts import build_across

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_course_across_cohorts_reads_well_on_desktop_and_phone(founder_pages, screenshot):
    data = build_across()
    course = data["course"]
    for name, page in founder_pages(f"/console/dashboard/courses/{course.pk}/"):
        assert page.locator("h1").inner_text() == "数据分析"
        assert page.locator('[data-figure="repurchase"] .value').inner_text() == "33.3%"
        assert page.locator('[data-figure="ltv-median"] .value').inner_text() == "¥1,150.00"
        assert "描述性对比，不代表因果" in page.locator(".causal-note").inner_text()
        assert page.locator(".gain-table tbody tr").count() == 3
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1, "the page must not scroll sideways"
        page.locator(".across-def summary").click()
        screenshot(page, name)
        # The person who bought again opens on their student page.
        page.click("#repurchasers a:text('学员g1')")
        assert f"/console/students/{data['g1'].pk}/" in page.url
