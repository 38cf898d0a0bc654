"""In a real browser, zh and en, phone and desktop: the lead list, the link builder and the
channel page show channel names, fit the screen, and the channel page edits in one tap."""

import pytest

from crm.models import Channel
from tests import factories as f
from tests.crm.conftest import seed_migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def registry(db):
    from django.apps import apps

    seed_migration.seed(apps, None)
    course = f.make_course(slug="ai-coding", title="AI 编程实战营")
    f.make_cohort(course=course, slug="ai-2", name="第 2 期", sale_open=True)
    for i, channel in enumerate(
        ["xiaohongshu", "wechat_mp", "bilibili", "channels", "weibo_ads", "", "zhihu"]
    ):
        f.make_lead(name=f"线索{i}", channel=channel, utm_campaign="spring", utm_content=f"post-{i}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_channel_names_on_the_lead_list_link_builder_and_channel_page(
    language, live_server, phone_page, desktop_page, founder, login_browser, registry, screenshot
):
    names = {"zh-hans": ("小红书", "视频号"), "en": ("Xiaohongshu", "WeChat Channels")}[language]
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/leads/")
        body = page.locator("table").inner_text()
        assert names[0] in body and names[1] in body and "weibo_ads" in body
        assert page.evaluate(FITS)
        screenshot(page, f"lead-list-{language}-{size}")

        page.goto(f"{live_server.url}/console/leads/links/")
        page.select_option("select[name=channel]", "channels")
        page.locator("form.card button[type=submit]").click()
        assert "ch=channels" in page.locator("#tagged-link").inner_text()
        assert page.evaluate(FITS)
        screenshot(page, f"link-builder-{language}-{size}")

        page.locator(".page-head a[href='/console/leads/channels/']").click()
        page.wait_for_url("**/console/leads/channels/")
        assert page.evaluate(FITS)
        screenshot(page, f"channels-{language}-{size}")
    # Naming a code that leads brought: one tap from the list of codes without a name.
    page = phone_page
    page.get_by_role("link", name={"zh-hans": "起个名字", "en": "Name it"}[language]).click()
    page.fill("input[name=name_zh_hans]", "微博广告")
    page.locator("#add-channel button[type=submit]").click()
    page.wait_for_selector(".messages li.success")
    assert Channel.objects.get(code="weibo_ads").name_zh_hans == "微博广告"
    screenshot(page, f"channel-added-{language}-phone")
