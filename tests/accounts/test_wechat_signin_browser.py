"""Look at WeChat sign-in in a browser: the login page inside WeChat (a WeChat User-Agent, phone
size) and on a desktop, the whole 公众号 sign-in with WeChat's authorisation page stood in for by
a route that sends the browser back with a code, the ask-for-an-e-mail step, and the account
page's WeChat block, at 390 and 1280 px."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount

from onepco.config import content_security_policy
from tests.accounts.wechat_fakes import (
    DESKTOP_UA,
    MP_APPID,
    WECHAT_UA,
    install,
    mailed_code,
    providers_setting,
)
from tests.conftest import _close, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "wechat": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True, "user_agent": WECHAT_UA},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "user_agent": DESKTOP_UA},
    "desktop-narrow": {"viewport": {"width": 390, "height": 844}, "user_agent": DESKTOP_UA},
}  # fmt: skip


@pytest.fixture
def wechat(settings, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting()
    # As onepco/settings.py makes it when a WeChat app id is set (the sign-in form redirects there).
    settings.CONTENT_SECURITY_POLICY = content_security_policy(form_action=["https://open.weixin.qq.com"])
    return install(monkeypatch)


@pytest.fixture
def pages(browser):
    opened = []

    def open_page(kind: str):
        context, page = _page(browser, **SIZES[kind])
        opened.append((context, page))
        return page

    yield open_page
    for context, page in opened:
        _close(context, page)


def _wechat_answers(page, fake, appid: str, code: str = "BROWSER-CODE") -> None:
    """WeChat's authorisation page, stood in for: it sends the browser back with a code."""
    fake.codes[code] = appid

    def answer(route):
        query = parse_qs(urlsplit(route.request.url).query)
        back = f"{query['redirect_uri'][0]}?{urlencode({'code': code, 'state': query['state'][0]})}"
        route.fulfill(status=302, headers={"Location": back})

    page.route("https://open.weixin.qq.com/**", answer)


@pytest.mark.parametrize("kind", ["wechat", "desktop", "desktop-narrow"])
def test_the_login_page_offers_the_wechat_sign_in_this_browser_can_use(
    kind, live_server, wechat, pages, screenshot
):
    page = pages(kind)
    page.goto(f"{live_server.url}/accounts/login/")
    button = page.locator("button.btn-wechat")
    assert button.is_visible()
    assert button.inner_text() == ("微信登录" if kind == "wechat" else "微信扫码登录")
    box = button.bounding_box()
    assert box is not None and box["width"] > 250  # a full-width button, not a squeezed one
    screenshot(page, "login")


def test_without_wechat_apps_the_login_page_has_no_wechat_button(live_server, settings, pages, screenshot):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp=False, web=False)
    page = pages("wechat")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("button.btn-wechat").count() == 0
    screenshot(page, "login")


def test_a_first_wechat_sign_in_asks_an_email_and_a_code_then_joins_the_student(
    live_server, wechat, pages, student, mailoutbox, screenshot
):
    wechat.person(MP_APPID, openid="o-mp-1", unionid="u-1", nickname="学员甲的微信")
    page = pages("wechat")
    _wechat_answers(page, wechat, MP_APPID)
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("button.btn-wechat")
    # The browser keeps the "#wechat_redirect" fragment through redirects without one.
    page.wait_for_url(re.compile(r"/accounts/wechat/finish/(#wechat_redirect)?$"))
    assert page.locator("h1").inner_text() == "还差一步"
    assert "学员甲的微信" in page.locator("main, body").first.inner_text()
    screenshot(page, "ask-email")

    page.fill("input[name=email]", "student@example.com")
    page.click("button:has-text('发送验证码')")
    page.wait_for_selector("input[name=code]")
    screenshot(page, "ask-code")
    page.fill("input[name=code]", "WRONG-CODE")
    page.click("button:has-text('绑定并登录')")
    assert page.locator(".errorlist").inner_text() == "验证码不对。"
    screenshot(page, "wrong-code")

    page.fill("input[name=code]", mailed_code(mailoutbox[-1]))
    page.click("button:has-text('绑定并登录')")
    page.wait_for_url("**/learn/**")
    assert SocialAccount.objects.get().user == student.user
    screenshot(page, "signed-in")


@pytest.mark.parametrize("kind", ["wechat", "desktop"])
def test_the_account_page_binds_and_unbinds_wechat(
    kind, live_server, wechat, pages, student, login_browser, screenshot
):
    appid = MP_APPID if kind == "wechat" else "wxweb00000000001"
    wechat.person(appid, openid=f"o-{kind}", nickname="甲")
    page = pages(kind)
    login_browser(page, student.user)
    _wechat_answers(page, wechat, appid)
    page.goto(f"{live_server.url}/account/")
    block = page.locator("#wechat")
    assert block.locator("button.btn-wechat").inner_text() == (
        "绑定微信" if kind == "wechat" else "微信扫码绑定"
    )
    screenshot(page, "unbound")

    block.locator("button.btn-wechat").click()
    page.wait_for_url(re.compile(r"/account/(#wechat_redirect)?$"))
    assert "已绑定微信“甲”" in page.locator("#wechat").inner_text()
    assert "已绑定微信，下次可以用微信登录。" in page.locator("body").inner_text()
    screenshot(page, "bound")

    page.click("#wechat button.btn-danger")
    page.wait_for_url("**/account/")
    assert not SocialAccount.objects.exists()
    assert page.locator("#wechat button.btn-wechat").is_visible()


@pytest.mark.parametrize("kind", ["wechat", "desktop"])
def test_the_continue_and_the_failure_pages(kind, live_server, wechat, pages, screenshot):
    page = pages(kind)
    provider = "weixin_mp" if kind == "wechat" else "weixin"
    page.goto(f"{live_server.url}/accounts/{provider}/login/")  # a GET: asks to continue
    assert page.locator("h1").inner_text() == "微信登录"
    screenshot(page, "continue")
    response = page.goto(f"{live_server.url}/accounts/{provider}/login/callback/?code=x&state=forged")
    assert response is not None and response.status == 401
    assert page.locator("h1").inner_text() == "微信登录没有成功"
    screenshot(page, "failed")
    page.goto(f"{live_server.url}/accounts/3rdparty/login/cancelled/")
    assert page.locator("h1").inner_text() == "已取消微信登录"
    screenshot(page, "cancelled")
