"""In a real browser at 390 and 1280 px: making a link, its QR code and the list of links."""

import pytest

from crm.models import TrackedLink
from tests import factories as f
from tests.crm.conftest import seed_migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def shop(db):
    from django.apps import apps

    from crm.models import SignupSettings

    seed_migration.seed(apps, None)
    SignupSettings.objects.create(wechat_id="founder_wx")
    course = f.make_course(slug="ai-coding", title="AI 编程实战营")
    f.make_cohort(course=course, slug="ai-2", name="第 2 期", sale_open=True)
    f.make_lead(channel="xiaohongshu", utm_campaign="双11", utm_content="第 7 篇")


def test_the_link_builder_and_its_list(
    live_server, phone_page, desktop_page, founder, login_browser, shop, screenshot
):
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/leads/links/")
        page.select_option("select[name=channel]", "xiaohongshu")
        page.select_option("select[name=page]", "/courses/ai-coding/")
        page.fill("input[name=campaign]", "双11")
        page.fill("input[name=content]", "第 7 篇")
        page.fill("input[name=label]", "双11 海报")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_selector("#tagged-link")
        assert "ch=xiaohongshu" in page.locator("#tagged-link").inner_text()
        page.wait_for_load_state("load")
        assert page.evaluate("() => document.querySelector('.qr-preview').naturalWidth") >= 1000
        assert page.evaluate(FITS)
        screenshot(page, f"link-made-{size}")
        page.goto(f"{live_server.url}/console/leads/links/all/")
        assert "双11 海报" in page.locator("table").inner_text()
        assert page.evaluate(FITS)
        screenshot(page, f"links-{size}")
    assert TrackedLink.objects.count() == 1


def test_checkout_with_the_number_keypad_and_its_errors(
    live_server, phone_page, desktop_page, shop, screenshot
):
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        page.goto(f"{live_server.url}/courses/ai-2/buy/")
        assert page.get_attribute("input[name=phone]", "inputmode") == "tel"
        page.locator("form.card button[type=submit]").click()
        page.wait_for_selector("#id_phone_error")
        assert "请填写邮箱或手机号" in page.locator("#id_phone_error").inner_text()
        assert page.evaluate(FITS)
        screenshot(page, f"checkout-errors-{size}")
