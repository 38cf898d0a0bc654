import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_renders_in_chinese_on_a_phone(live_server, phone_page, screenshot):
    phone_page.goto(f"{live_server.url}/accounts/login/")
    assert phone_page.locator("h1").inner_text() == "登录"
    screenshot(phone_page, "login-phone")


def test_console_home_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, screenshot
):
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/")
        assert page.locator("h1").inner_text() == "今天"
        screenshot(page, name)


def test_data_requests_pages_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, screenshot
):
    from tests import factories as f

    lead = f.make_lead(name="王小明", email="xiaoming@example.com", phone="13800138000")
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/data-requests/?q=13800138000")
        assert page.locator("h1").inner_text() == "个人信息请求"
        screenshot(page, f"find-{name}")
        page.click(f"a[href$='/erase/lead/{lead.pk}/']")
        page.click("button.btn-danger")
        assert page.locator(".errorlist").count() == 2
        screenshot(page, f"confirm-{name}")
    page = desktop_page
    page.fill("input[name=reason]", "微信里要求删除")
    page.check("input[name=confirm]")
    page.click("button.btn-danger")
    assert "已删除" in page.locator(".messages, [role=status], body").first.inner_text()
    screenshot(page, "after")
