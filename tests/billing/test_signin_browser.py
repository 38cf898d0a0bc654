"""Look at the sign-in pages: the login page (code first), the success page in a browser that
did not place the order, and a refused one-time link, on a phone and on a desktop."""

import pytest

from accounts.models import LoginLink
from accounts.services import login_link_create
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_sign_in_pages(device, live_server, phone_page, desktop_page, cohort, screenshot):
    page = phone_page if device == "phone" else desktop_page

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("#code-login").is_visible()
    assert not page.locator("input[name=password]").is_visible()  # folded
    screenshot(page, "login")
    page.click("#password-login summary")
    assert page.locator("input[name=password]").is_visible()
    screenshot(page, "login-password-open")

    user = f.make_user(email=f"buyer-{device}@example.com", name="王小明")
    order = f.make_order(cohort, status="paid", buyer_name="王小明", buyer_email=user.email, user=user)
    page.goto(f"{live_server.url}/pay/{order.number}/return/")
    assert "支付成功" in page.locator("h1").inner_text()
    assert page.locator("a:has-text('用邮箱验证码登录')").is_visible()
    screenshot(page, "paid-other-browser")

    token = login_link_create(user=user)
    LoginLink.objects.update(used_at=f.timezone.now())
    page.goto(f"{live_server.url}/account/link/{token}/")
    assert page.locator("h1").inner_text() == "这个登录链接已失效"
    screenshot(page, "link-used")
    page.click("a:has-text('用邮箱验证码登录')")
    page.wait_for_url("**/accounts/login/code/")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_code_pages(device, live_server, phone_page, desktop_page, student, screenshot):
    page = phone_page if device == "phone" else desktop_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_code_email", "student@example.com")
    page.click("#code-login button[type=submit]")
    page.wait_for_url("**/accounts/login/code/confirm/")
    assert page.locator("h1").inner_text() == "输入登录验证码"
    assert "您" not in page.content()
    screenshot(page, "code-confirm")
    page.goto(f"{live_server.url}/accounts/login/code/")
    assert "您" not in page.content()
    screenshot(page, "code-request")
