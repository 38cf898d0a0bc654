"""Look at the download asked for by e-mail: the request page, the code page and a wrong code,
on a desktop and on a phone."""

import pytest

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_prospect_asks_for_their_data_and_types_a_wrong_code(
    device, live_server, phone_page, desktop_page, screenshot
):
    page = phone_page if device == "phone" else desktop_page
    f.make_lead(name="陈静", email="prospect@example.com")
    page.goto(f"{live_server.url}/privacy/")
    page.click("article a[href='/privacy/my-data/']")
    page.wait_for_url("**/privacy/my-data/")
    assert page.locator("h1").inner_text() == "下载我的数据"
    screenshot(page, "0-request")
    page.fill("input[name=email]", "prospect@example.com")
    page.click("button[type=submit]")

    page.wait_for_url("**/privacy/my-data/*/")
    assert page.locator("h1").inner_text() == "输入验证码"
    assert "prospect@example.com" in page.locator("form.card").inner_text()
    screenshot(page, "1-code")
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")

    page.wait_for_selector("#id_code_error")
    assert "验证码不正确" in page.locator("#field-code").inner_text()
    screenshot(page, "2-wrong-code")


def test_the_founder_reads_the_access_log_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, screenshot
):
    from django.utils import timezone

    from console.models import DataAccessRequest

    now = timezone.now()
    later = now + DataAccessRequest.CODE_LIFETIME
    DataAccessRequest.objects.create(email="nobody@example.com", expires_at=later, held_data=False)
    DataAccessRequest.objects.create(
        email="a-rather-long-address.for-a-phone@example.com", expires_at=later, held_data=True,
        code_sent_at=now, downloaded_at=now,
    )  # fmt: skip
    DataAccessRequest.objects.create(email="waiting@example.com", expires_at=later)
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/data-requests/")
        assert "已下载" in page.locator(".card:has(h2:text-is('查阅记录'))").inner_text()
        screenshot(page, name)
