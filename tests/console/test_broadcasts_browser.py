"""The broadcast composer and a broadcast's page in a browser, on a 390 px phone and a
desktop: the phone preview follows the typing, the count comes before the send button, the
segment's own filters show; the recipients' statuses on the broadcast's page."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from console import broadcasts
from console.models import Broadcast
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def leads():
    for n in range(4):
        f.make_lead(name=f"王小{n}", email=f"wang{n}@example.com", status="contacted", channel="wechat")
    f.make_lead(name="没同意", email="no@example.com", status="contacted", consent_at=None)
    f.make_lead(name="新线索", email="new@example.com", status="new")


def test_the_composer_previews_on_a_phone_and_counts_before_sending(
    live_server, phone_page, desktop_page, founder, login_browser, leads, screenshot, settings
):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    for size, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/broadcasts/new/")
        assert page.locator("h1").inner_text() == "新群发"
        # only the lead filters show for the lead segment; the cohort's for a cohort
        expect(page.locator("fieldset[data-segment='leads']")).to_be_visible()
        expect(page.locator("fieldset[data-segment='graduates']")).to_be_hidden()
        expect(page.locator("#id_send_at")).to_be_hidden()
        page.fill("#id_subject", "第 3 期下周一开课")
        page.fill(
            "#id_body",
            "你好！\n\n**第 3 期** 下周一开始，[报名](https://example.com/c)。\n\n- 8 周\n- 每周两次直播",
        )
        preview = page.locator("#phone-preview")
        expect(preview.locator(".phone-mail-subject")).to_have_text("第 3 期下周一开课")
        expect(preview.locator("strong")).to_have_text("第 3 期")
        expect(preview.locator("li")).to_have_count(2)
        page.select_option("#id_lead_status", "contacted")
        assert page.locator("#send-button").count() == 0  # the count comes first
        page.get_by_role("button", name="查看收件人").click()
        page.wait_for_load_state()
        summary = page.locator("#summary")
        expect(summary).to_contain_text("4 人会收到")
        expect(summary.locator(".summary-sample li")).to_have_count(4)
        assert "wang0@example.com" not in summary.inner_text()  # masked
        assert page.evaluate(FITS), f"{size} page wider than the screen"
        expect(preview.locator("strong")).to_have_text("第 3 期")  # rendered with the page again
        screenshot(page, f"{size}-reviewed")
        if size == "desktop":
            page.locator("label", has_text="某门课程的毕业学员").click()
            expect(page.locator("fieldset[data-segment='graduates']")).to_be_visible()
            expect(page.locator("fieldset[data-segment='leads']")).to_be_hidden()
            page.locator("label", has_text="线索").first.click()
    page = phone_page
    page.locator("#send-button").click()
    page.wait_for_load_state()
    broadcast = Broadcast.objects.get()
    assert page.url.endswith(f"/console/broadcasts/{broadcast.pk}/")
    assert broadcast.recipients.count() == 5
    assert mail.outbox == [] or len(mail.outbox) <= 4  # sent by the worker, not the request
    screenshot(page, "phone-sending")


def test_a_broadcasts_page_shows_each_recipients_status(
    live_server, phone_page, desktop_page, founder, login_browser, leads, screenshot, settings
):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    broadcast = broadcasts.broadcast_create(
        subject="春季班开课", body="你好", segment="leads", filters={}, segment_label="线索",
        send_at=None, created_by=founder,
    )  # fmt: skip
    broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk)
    for size, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/broadcasts/")
        expect(page.locator("table")).to_contain_text("春季班开课")
        assert page.evaluate(FITS), f"{size} list wider than the screen"
        screenshot(page, f"{size}-list")
        page.get_by_role("link", name="春季班开课").click()
        expect(page.locator(".broadcast-stats")).to_contain_text("5")
        expect(page.locator("tbody tr")).to_have_count(6)
        expect(page.locator("tbody")).to_contain_text("未同意接收推广邮件")
        assert page.evaluate(FITS), f"{size} page wider than the screen"
        screenshot(page, f"{size}-detail")


def test_the_composer_in_english_on_a_phone(
    live_server, phone_page, founder, login_browser, leads, screenshot
):
    page = phone_page
    login_browser(page, founder)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/console/broadcasts/new/")
    assert page.locator("h1").inner_text() == "New broadcast"
    page.fill("#id_subject", "Cohort 3 starts on Monday")
    page.fill("#id_body", "Hello! **Cohort 3** starts next Monday.")
    expect(page.locator("#phone-preview strong")).to_have_text("Cohort 3")
    page.locator("label", has_text="A cohort's waitlist").click()
    expect(page.locator("fieldset[data-segment='cohort_students waitlist']")).to_be_visible()
    page.get_by_role("button", name="Check recipients").click()
    page.wait_for_load_state()
    expect(page.locator("#field-cohort .errorlist")).to_have_text("Choose the cohort.")
    assert page.evaluate(FITS)
    screenshot(page, "en-refused")
