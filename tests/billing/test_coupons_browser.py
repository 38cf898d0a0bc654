"""Look at a coupon at checkout and an early-bird price on the sales page, on a phone and a desktop."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Coupon, EarlyBird, Order
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_checkout_with_a_coupon_link_and_the_early_bird_sales_page(
    device, live_server, phone_page, desktop_page, screenshot
):
    cohort = f.make_cohort(
        course=f.make_course(slug="python-bootcamp", title="Python 实战营"), slug="py-7", name="第 7 期",
        capacity=20, price=Decimal("1999.00"), sale_open=True, starts_on=timezone.localdate() + timedelta(days=20),
    )  # fmt: skip
    last = timezone.localdate() + timedelta(days=7)
    EarlyBird.objects.create(cohort=cohort, price=Decimal("1499.00"), last_day=last)
    Coupon.objects.create(code="EARLY20", kind="percent", value=Decimal("20"))
    page = phone_page if device == "phone" else desktop_page

    page.goto(f"{live_server.url}/courses/python-bootcamp/")
    assert f"早鸟价，{last.month} 月 {last.day} 日截止" in page.locator("#cohort-py-7").inner_text()
    screenshot(page, "sales-early-bird")

    page.goto(f"{live_server.url}/courses/py-7/buy/?coupon=early20")
    summary = page.locator(".pay-summary").inner_text()
    assert "1,499.00" in summary and "1,199.20" in summary
    coupon_line = page.locator(".coupon-line").inner_text()
    assert "EARLY20" in coupon_line and "299.80" in coupon_line
    screenshot(page, "checkout-coupon")
    page.fill("input[name=name]", "李雷")
    page.fill("input[name=email]", "lilei@example.com")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_url("**/pay/**")
    order = Order.objects.get(buyer_email="lilei@example.com")
    assert order.amount == Decimal("1199.20") and order.coupon.code == "EARLY20"
    screenshot(page, "pay-coupon")

    page.goto(f"{live_server.url}/courses/py-7/buy/?coupon=NOPE")
    page.fill("input[name=name]", "韩梅梅")
    page.fill("input[name=email]", "han@example.com")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    assert "没有这个优惠码。" in page.inner_text("body")
    screenshot(page, "checkout-bad-coupon")


def test_the_coupon_pages_of_the_console(founder_pages, screenshot):
    cohort = f.make_cohort(course=f.make_course(slug="python-bootcamp", title="Python 实战营"), slug="py-7")
    made = Coupon.objects.create(
        code="LAUNCH50", kind="fixed", value=Decimal("50"), cohort=cohort, max_uses=30
    )
    Coupon.objects.create(code="EARLY20", kind="percent", value=Decimal("20"), is_active=False)
    paid = f.make_order(cohort, status="paid", amount=Decimal("1949.00"))
    Order.objects.filter(pk=paid.pk).update(coupon=made, list_price=cohort.price + 50, discount=Decimal("50"))
    for _device, page in founder_pages("/console/coupons/"):
        assert "LAUNCH50" in page.inner_text("table") and "1 / 30" in page.inner_text("table")
        screenshot(page, f"list-{_device}")
        page.goto(page.url + f"{made.pk}/")
        assert "?coupon=LAUNCH50" in page.inner_text("body")
        screenshot(page, f"edit-{_device}")
