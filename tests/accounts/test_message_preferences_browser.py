"""Look at the account page's message preferences on a phone (390 px) and a desktop: the
table fits, a box unticked and saved stays unticked, the enrollment row cannot be unticked."""

import pytest
from allauth.socialaccount.models import SocialAccount

from onepco.models import MarketingOptOut, MessagePreference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wechat_templates(settings):
    settings.WECHAT_MP_APPID, settings.WECHAT_MP_APP_SECRET = "wxmp000000000001", "mp-secret"
    settings.WECHAT_MP_TEMPLATES = {
        kind: (f"TPL-{kind}", ("thing1",))
        for kind in ("enrollment", "feedback", "lesson_reminder", "due_reminder")
    }


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_student_turns_a_kind_off_on_the_account_page(
    size, live_server, wechat_templates, student, phone_page, desktop_page, login_browser, screenshot
):
    SocialAccount.objects.create(user=student.user, provider="weixin_mp", uid="o-1", extra_data={})
    page = phone_page if size == "phone" else desktop_page
    login_browser(page, student.user)
    page.goto(f"{live_server.url}/account/#messages")
    card = page.locator("#messages")
    assert card.locator("h2").inner_text() == "消息通知"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert card.locator("input[name=email-enrollment]").is_disabled()
    screenshot(page, "before")

    card.locator("input[name=wechat-feedback]").uncheck()
    card.locator("input[name=email-due_reminder]").uncheck()
    card.locator("input[name=marketing]").uncheck()
    card.locator("button[type=submit]").click()
    page.wait_for_url("**/account/#messages")
    assert "已保存" in page.locator(".messages, .flash, body").first.inner_text()
    assert not page.locator("input[name=wechat-feedback]").is_checked()
    assert page.locator("input[name=email-feedback]").is_checked()
    assert not page.locator("input[name=email-due_reminder]").is_checked()
    prefs = {p.kind: (p.email, p.wechat) for p in MessagePreference.objects.filter(user=student.user)}
    assert prefs == {"feedback": (True, False), "due_reminder": (False, True)}
    assert MarketingOptOut.objects.filter(email=student.user.email.lower()).exists()
    screenshot(page, "saved")
