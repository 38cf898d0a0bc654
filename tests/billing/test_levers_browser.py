"""Look at the selling levers together: on a phone, the sales page of a link carrying a coupon
(one cohort full: 加入候补 and its form), checkout and the payment page with 花呗分期; in the
console, at 1280 and 390 px, the price pages and the waitlist's "recommend the next cohort"."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Coupon, EarlyBird, InstalmentPlan, Order, WaitlistEntry
from billing.services import waitlist_join, waitlist_next_cohort_offer
from onepco.models import MarketingOptOut
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _course():
    course = f.make_course(slug="sql-camp", title="SQL 训练营", tagline="8 周学会取数", status="published")
    full = f.make_cohort(
        course, slug="sql-camp-3", name="第 3 期", capacity=1, sale_open=True, price=Decimal("999.00"),
        starts_on=timezone.localdate() + timedelta(days=10),
    )  # fmt: skip
    f.make_order(full, status=Order.Status.PAID)
    following = f.make_cohort(
        course, slug="sql-camp-4", name="第 4 期", capacity=20, sale_open=True, price=Decimal("1299.00"),
        starts_on=timezone.localdate() + timedelta(days=60),
    )  # fmt: skip
    return full, following


def test_the_sales_page_with_a_coupon_a_full_cohort_and_instalments_on_a_phone(
    live_server, phone_page, screenshot, signup_ready, alipay_on
):
    alipay_on.ALIPAY_PRODUCT = "page"
    full, following = _course()
    last = timezone.localdate() + timedelta(days=7)
    EarlyBird.objects.create(cohort=following, price=Decimal("1099.00"), last_day=last)
    InstalmentPlan.objects.create(cohort=following, periods=[3, 6, 12], fee_payer="seller")
    Coupon.objects.create(code="FRIEND100", kind="fixed", value=Decimal("100"), cohort=following)
    page = phone_page

    page.goto(f"{live_server.url}/courses/sql-camp/?coupon=friend100")
    offer = page.locator("#cohort-sql-camp-4").inner_text()
    assert "999.00" in offer and "优惠码 FRIEND100" in offer
    assert f"早鸟价，{last.month} 月 {last.day} 日截止" in offer and "支持花呗分期 3/6/12 期" in offer
    assert "加入候补" in page.locator("#cohort-sql-camp-3").inner_text()
    assert "999.00" in page.locator(".buy-bar").inner_text()
    screenshot(page, "sales-coupon")
    page.locator("#cohort-sql-camp-4").scroll_into_view_if_needed()
    screenshot(page, "sales-coupon-cohorts")

    page.locator(f"#cohort-sql-camp-3 a[href='/courses/{full.slug}/waitlist/']").click()
    page.fill("input[name=name]", "小王")
    page.fill("input[name=email]", "wang@example.com")
    page.check("input[name=consent]")
    screenshot(page, "waitlist-form")
    page.click("button[type=submit]")
    assert "你已加入候补" in page.inner_text("h1")
    screenshot(page, "waitlist-joined")

    page.goto(f"{live_server.url}/courses/sql-camp/?coupon=friend100")
    page.locator(".buy-bar a.btn-primary").click()
    page.wait_for_url("**/buy/?coupon=friend100")
    assert "FRIEND100" in page.locator(".coupon-line").inner_text()
    assert "支持花呗分期 3/6/12 期" in page.inner_text(".card")
    screenshot(page, "checkout-coupon")
    page.fill("input[name=name]", "李雷")
    page.fill("input[name=email]", "lilei@example.com")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_url("**/pay/**")
    assert page.locator("input[value='alipay:6']").count() == 1
    assert "花呗分期 · 6 期（免手续费）" in page.inner_text(".methods")
    screenshot(page, "pay-instalments")


def test_the_price_pages_of_the_console(founder_pages, screenshot, alipay_on):
    _full, following = _course()
    today = timezone.localdate()
    EarlyBird.objects.create(cohort=following, price=Decimal("999.00"), last_day=today + timedelta(days=3))
    later = EarlyBird.objects.create(
        cohort=following,
        price=Decimal("1099.00"),
        first_day=today + timedelta(4),
        last_day=today + timedelta(20),
    )
    InstalmentPlan.objects.create(cohort=following, periods=[3, 12], fee_payer="buyer")
    for device, page in founder_pages(f"/console/cohorts/{following.pk}/"):
        base = page.url.split("/console/")[0]
        screenshot(page, f"cohort-console-{device}")
        page.click(".page-head >> text=早鸟价与花呗分期")
        assert page.url.endswith(f"/console/prices/{following.pk}/")
        page.goto(f"{base}/console/coupons/")
        screenshot(page, f"coupons-{device}")
        page.click("text=早鸟价与花呗分期")
        assert "早鸟价，" in page.inner_text("table") and "3/12 期" in page.inner_text("table")
        screenshot(page, f"list-{device}")
        page.click(f"a[href='/console/prices/{following.pk}/'] >> nth=0")
        assert "正在生效" in page.inner_text("table") and "当面付" in page.inner_text("body")
        screenshot(page, f"cohort-{device}")
        page.fill("input[name=eb-price]", "1500")
        page.fill("input[name=eb-last_day]", (today + timedelta(days=10)).isoformat())
        page.locator("form.card").first.locator("button[type=submit]").click()
        assert "早鸟价必须低于原价" in page.inner_text("form.card >> nth=0")
        screenshot(page, f"cohort-errors-{device}")
        page.goto(f"{base}/console/prices/{following.pk}/early-bird/{later.pk}/")
        screenshot(page, f"edit-{device}")


def test_the_waitlist_page_recommends_the_next_cohort(founder_pages, screenshot):
    full, following = _course()
    for i, name in enumerate(["王小明", "李华", "张伟"]):
        waitlist_join(cohort=full, name=name, email=f"w{i}@example.com", phone="")
    waitlist_join(cohort=full, name="赵六", email="", phone="13800138000")
    for device, page in founder_pages(f"/console/waitlist/{full.pk}/"):
        assert "把下一期推荐给所有候补的人" in page.inner_text("body")
        screenshot(page, f"before-{device}")
    waitlist_join(cohort=full, name="退订者", email="gone@example.com", phone="")
    MarketingOptOut.objects.create(email="gone@example.com")
    for device, page in founder_pages(f"/console/waitlist/{full.pk}/"):
        page.select_option("select[name=cohort]", str(following.pk))
        page.click("text=把下一期推荐给所有候补的人")
        body = page.inner_text("body")
        assert "需要手动联系" in body and "13800138000" in body
        screenshot(page, f"after-{device}")
    assert WaitlistEntry.objects.filter(next_cohort=following).count() == 4
    assert waitlist_next_cohort_offer(cohort=full, next_cohort=following)["emailed"] == 0
