"""Look at the waitlist on a phone and a desktop: 加入候补 on a full cohort's sales page, the
join form, and the personal offer page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Order, WaitlistEntry
from billing.services import order_cancel, waitlist_join, waitlist_offers_run
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_waitlist_pages(device, live_server, phone_page, desktop_page, screenshot, signup_ready):
    course = f.make_course(slug="sql-camp", title="SQL 训练营", tagline="8 周学会取数", status="published")
    cohort = f.make_cohort(
        course, slug="sql-camp-3", name="第 3 期", capacity=1, sale_open=True, price=Decimal("999.00"),
        starts_on=timezone.localdate() + timedelta(days=10),
    )  # fmt: skip
    order = f.make_order(
        cohort, status=Order.Status.PENDING, expires_at=timezone.now() + timedelta(minutes=20)
    )
    page = phone_page if device == "phone" else desktop_page
    page.goto(f"{live_server.url}/courses/sql-camp/")
    join = page.locator(f"a[href='/courses/{cohort.slug}/waitlist/']:visible").first
    assert join.inner_text().strip().startswith("加入候补")
    screenshot(page, "sales")
    join.click()
    page.fill("input[name=name]", "小王")
    page.fill("input[name=email]", "wang@example.com")
    page.check("input[name=consent]")
    screenshot(page, "join")
    page.click("button[type=submit]")
    assert "你已加入候补" in page.inner_text("h1")
    screenshot(page, "joined")
    waitlist_join(cohort=cohort, name="小李", email="li@example.com", phone="")
    order_cancel(order=order)
    assert waitlist_offers_run() == 1
    entry = WaitlistEntry.objects.get(email="wang@example.com", status="offered")
    page.goto(f"{live_server.url}/waitlist/{entry.token}/")
    assert "名额为你保留至" in page.inner_text("form")
    screenshot(page, "offer")
    page.click("button[type=submit]")
    assert "/pay/" in page.url
    page.goto(f"{live_server.url}/waitlist/{entry.token}/")
    assert "这个名额已被使用" in page.inner_text("h2")
    screenshot(page, "used")


def test_the_founders_waitlist_page(founder_pages, screenshot):
    course = f.make_course(slug="sql-camp", title="SQL 训练营", status="published")
    cohort = f.make_cohort(course, slug="sql-camp-3", name="第 3 期", capacity=2, sale_open=True)
    f.make_order(cohort, status=Order.Status.PAID)
    for i, name in enumerate(["王小明", "李华", "张伟"]):
        waitlist_join(cohort=cohort, name=name, email=f"w{i}@example.com", phone="")
    waitlist_join(cohort=cohort, name="赵六", email="", phone="13800138000")
    assert waitlist_offers_run() == 1
    for device, page in founder_pages(f"/console/waitlist/{cohort.pk}/"):
        assert page.locator("tbody tr").count() == 4
        assert "已发名额" in page.locator("tbody tr").first.inner_text()
        screenshot(page, device)
