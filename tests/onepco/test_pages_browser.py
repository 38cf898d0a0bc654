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
