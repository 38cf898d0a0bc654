"""WeChat sign-in through allauth's real flow: the test client presses the button, follows the
redirect to WeChat's authorisation URL, comes back with a code and our state; only WeChat's two
HTTP answers (token, profile) are faked (tests/accounts/wechat_fakes.py)."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from cohorts.models import Student
from tests.accounts.wechat_fakes import (
    DESKTOP_UA,
    MP_APPID,
    MP_SECRET,
    WEB_APPID,
    WECHAT_UA,
    authorize,
    come_back,
    install,
    mailed_code,
    providers_setting,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat(settings, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting()
    return install(monkeypatch)


def in_wechat() -> Client:
    return Client(HTTP_USER_AGENT=WECHAT_UA)


def on_desktop() -> Client:
    return Client(HTTP_USER_AGENT=DESKTOP_UA)


def signed_in_as(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def new_wechat_at_the_finish(wechat) -> Client:
    """Someone whose WeChat nobody bound, back from WeChat, on the ask-for-an-e-mail page."""
    wechat.person(MP_APPID, openid="o-mp-1")
    client = in_wechat()
    _url, query = authorize(client, "weixin_mp")
    assert (
        come_back(client, "weixin_mp", wechat, MP_APPID, query["state"])["Location"]
        == "/accounts/wechat/finish/"
    )
    return client


def _finish_with_code(client: Client, email: str, mailoutbox) -> object:
    response = client.post("/accounts/wechat/finish/", {"step": "email", "email": email})
    assert response.status_code == 302 and response["Location"] == "/accounts/wechat/finish/"
    page = client.get("/accounts/wechat/finish/").content.decode()
    assert email.lower() in page
    code = mailed_code(mailoutbox[-1])
    assert mailoutbox[-1].to == [email.lower()]
    return client.post("/accounts/wechat/finish/", {"step": "code", "code": code.lower()})


# --- the login page ---------------------------------------------------------------------------


def test_inside_wechat_the_login_page_offers_the_official_account_sign_in_first(wechat):
    body = in_wechat().get("/accounts/login/").content.decode()
    assert 'action="/accounts/weixin_mp/login/"' in body and "/accounts/weixin/login/" not in body
    assert body.index("weixin_mp/login") < body.index('id="code-login"')
    assert "微信登录" in body


def test_on_a_desktop_the_login_page_offers_the_qr_login_after_the_code(wechat):
    body = on_desktop().get("/accounts/login/").content.decode()
    assert 'action="/accounts/weixin/login/"' in body and "weixin_mp" not in body
    assert body.index('id="code-login"') < body.index("/accounts/weixin/login/")
    assert "微信扫码登录" in body


@pytest.mark.parametrize(
    ("mp", "web", "ua"), [(False, True, WECHAT_UA), (True, False, DESKTOP_UA), (False, False, DESKTOP_UA)]
)
def test_without_the_app_for_this_browser_there_is_no_button(settings, mp, web, ua):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp=mp, web=web)
    body = Client(HTTP_USER_AGENT=ua).get("/accounts/login/").content.decode()
    assert "/accounts/weixin" not in body and "btn-wechat" not in body


def test_a_provider_not_configured_answers_404(settings):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp=False, web=False)
    client = in_wechat()
    for provider in ("weixin", "weixin_mp"):
        assert client.post(f"/accounts/{provider}/login/", {"process": "login"}).status_code == 404
        assert (
            client.get(f"/accounts/{provider}/login/callback/", {"code": "x", "state": "y"}).status_code
            == 404
        )


def test_an_app_typed_into_the_admin_is_not_used(settings):
    from allauth.socialaccount.models import SocialApp

    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp=False, web=False)
    SocialApp.objects.create(provider="weixin", name="x", client_id="wxadmin", secret="s")
    # The URL is closed (settings say no app); and allauth itself sees no app either.
    assert on_desktop().post("/accounts/weixin/login/", {"process": "login"}).status_code == 404
    from allauth.socialaccount.adapter import get_adapter

    assert get_adapter().list_apps(None, provider="weixin") == []


# --- the two flows ----------------------------------------------------------------------------


def test_official_account_flow_in_wechat_joins_the_existing_student_by_a_mailed_code(
    wechat, student, mailoutbox
):
    wechat.person(MP_APPID, openid="o-mp-1", unionid="u-1", nickname="学员甲的微信")
    client = in_wechat()
    users, students = User.objects.count(), Student.objects.count()

    url, query = authorize(client, "weixin_mp")
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert url.endswith("#wechat_redirect")
    assert query["appid"] == MP_APPID and query["scope"] == "snsapi_userinfo"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/accounts/weixin_mp/login/callback/"
    state = query["state"]

    response = come_back(client, "weixin_mp", wechat, MP_APPID, state)
    assert response.status_code == 302 and response["Location"] == "/accounts/wechat/finish/"
    assert signed_in_as(client) is None  # a WeChat nobody bound does not sign in by itself
    page = client.get("/accounts/wechat/finish/").content.decode()
    assert "学员甲的微信" in page and "您" not in page

    response = _finish_with_code(client, "Student@Example.com", mailoutbox)
    assert response.status_code == 302
    assert signed_in_as(client) == student.user
    assert (User.objects.count(), Student.objects.count()) == (users, students)
    account = SocialAccount.objects.get(user=student.user)
    assert account.provider == "weixin_mp" and account.uid == "o-mp-1"
    assert account.extra_data["openid"] == "o-mp-1" and account.extra_data["unionid"] == "u-1"
    assert account.extra_data["nickname"] == "学员甲的微信"  # not garbled
    assert account.extra_data["appid"] == MP_APPID
    token_call = wechat.calls[0]
    assert token_call["method"] == "GET" and token_call["params"]["secret"] == MP_SECRET

    # Next time WeChat alone signs them in, straight away.
    again = in_wechat()
    _url, query = authorize(again, "weixin_mp")
    response = come_back(again, "weixin_mp", wechat, MP_APPID, query["state"], code="CODE2")
    assert response.status_code == 302 and response["Location"] != "/accounts/wechat/finish/"
    assert signed_in_as(again) == student.user
    assert SocialAccount.objects.count() == 1


def test_qr_flow_on_a_desktop_makes_an_account_for_a_new_address(wechat, mailoutbox):
    wechat.person(WEB_APPID, openid="o-web-9", nickname="新同学")
    client = on_desktop()

    url, query = authorize(client, "weixin")
    assert url.startswith("https://open.weixin.qq.com/connect/qrconnect?") and "#" not in url
    assert query["appid"] == WEB_APPID and query["scope"] == "snsapi_login"
    response = come_back(client, "weixin", wechat, WEB_APPID, query["state"])
    assert response["Location"] == "/accounts/wechat/finish/"

    response = _finish_with_code(client, "new@example.com", mailoutbox)
    assert response.status_code == 302
    user = signed_in_as(client)
    assert user is not None and user.email == "new@example.com" and user.name == "新同学"
    assert not user.has_usable_password() and not user.is_staff
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("weixin", "o-web-9")
    assert "unionid" not in account.extra_data


def test_the_same_person_through_the_other_app_is_joined_by_unionid(wechat, student):
    wechat.person(WEB_APPID, openid="o-web-1", unionid="u-1")
    wechat.person(MP_APPID, openid="o-mp-1", unionid="u-1")
    SocialAccount.objects.create(
        user=student.user,
        provider="weixin",
        uid="o-web-1",
        extra_data={"openid": "o-web-1", "unionid": "u-1"},
    )
    client = in_wechat()
    _url, query = authorize(client, "weixin_mp")
    response = come_back(client, "weixin_mp", wechat, MP_APPID, query["state"])

    assert response.status_code == 302 and response["Location"] != "/accounts/wechat/finish/"
    assert signed_in_as(client) == student.user
    assert sorted(SocialAccount.objects.filter(user=student.user).values_list("provider", "uid")) == [
        ("weixin", "o-web-1"),
        ("weixin_mp", "o-mp-1"),
    ]
    assert User.objects.count() == 1


def test_snsapi_base_asks_no_profile_and_keeps_the_openid(settings, monkeypatch, student, mailoutbox):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp_scope="snsapi_base")
    fake = install(monkeypatch)
    fake.person(MP_APPID, openid="o-base-1")
    client = in_wechat()
    _url, query = authorize(client, "weixin_mp")
    assert query["scope"] == "snsapi_base"
    come_back(client, "weixin_mp", fake, MP_APPID, query["state"])
    _finish_with_code(client, "student@example.com", mailoutbox)

    assert [call["url"] for call in fake.calls] == ["https://api.weixin.qq.com/sns/oauth2/access_token"]
    account = SocialAccount.objects.get(user=student.user)
    assert account.extra_data["openid"] == "o-base-1" and "nickname" not in account.extra_data


# --- refused ----------------------------------------------------------------------------------


def test_a_state_that_is_not_ours_is_refused(wechat):
    wechat.person(WEB_APPID, openid="o-web-1")
    client = on_desktop()
    authorize(client, "weixin")
    response = come_back(client, "weixin", wechat, WEB_APPID, state="forged-state")
    assert response.status_code == 401
    assert "微信登录没有成功" in response.content.decode()
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()
    assert wechat.calls == []  # the code was never even exchanged


def test_a_state_from_another_browser_is_refused(wechat):
    wechat.person(WEB_APPID, openid="o-web-1")
    _url, query = authorize(on_desktop(), "weixin")
    victim = on_desktop()
    response = come_back(victim, "weixin", wechat, WEB_APPID, query["state"])
    assert response.status_code == 401 and signed_in_as(victim) is None


def test_a_code_wechat_refuses_signs_nobody_in(wechat):
    wechat.person(WEB_APPID, openid="o-web-1")
    client = on_desktop()
    _url, query = authorize(client, "weixin")
    response = client.get("/accounts/weixin/login/callback/", {"code": "not-issued", "state": query["state"]})
    assert response.status_code == 401 and signed_in_as(client) is None


def test_the_login_button_is_a_post(wechat):
    # A GET only shows a page asking to continue (a link elsewhere must not start a sign-in).
    response = in_wechat().get("/accounts/weixin_mp/login/")
    assert response.status_code == 200 and b"btn-wechat" in response.content


def test_a_wrong_code_is_told_next_to_the_field_and_the_third_ends_it(wechat, student, mailoutbox):
    client = new_wechat_at_the_finish(wechat)
    client.post("/accounts/wechat/finish/", {"step": "email", "email": "student@example.com"})
    response = client.post("/accounts/wechat/finish/", {"step": "code", "code": "AAAA-AAAA"})
    assert response.status_code == 400 and "验证码不对。" in response.content.decode()
    client.post("/accounts/wechat/finish/", {"step": "code", "code": "AAAA-AAAA"})
    response = client.post("/accounts/wechat/finish/", {"step": "code", "code": mailed_code(mailoutbox[-1])})
    # Three tries in all: the right code after two wrong ones is the third and still works…
    assert response.status_code == 302 and signed_in_as(client) == student.user


def test_after_three_wrong_codes_a_new_one_is_needed(wechat, student, mailoutbox):
    client = new_wechat_at_the_finish(wechat)
    client.post("/accounts/wechat/finish/", {"step": "email", "email": "student@example.com"})
    code = mailed_code(mailoutbox[-1])
    for _ in range(3):
        client.post("/accounts/wechat/finish/", {"step": "code", "code": "AAAA-AAAA"})
    response = client.post("/accounts/wechat/finish/", {"step": "code", "code": code})
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()
    assert response.status_code in (302, 400)


def test_a_bad_email_is_told_next_to_the_field(wechat):
    client = new_wechat_at_the_finish(wechat)
    response = client.post("/accounts/wechat/finish/", {"step": "email", "email": "not-an-address"})
    assert response.status_code == 400 and "有效的 Email 地址" in response.content.decode()


def test_the_finish_page_without_a_wechat_sign_in_sends_to_the_login(client):
    response = client.get("/accounts/wechat/finish/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    response = client.post("/accounts/wechat/finish/", {"step": "code", "code": "AAAA-AAAA"})
    assert response.status_code == 302 and not SocialAccount.objects.exists()


def test_a_switched_off_account_is_not_joined(wechat, student, mailoutbox):
    User.objects.filter(pk=student.user.pk).update(is_active=False)
    client = new_wechat_at_the_finish(wechat)
    _finish_with_code(client, "student@example.com", mailoutbox)
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()


# --- binding from the account page ---------------------------------------------------------------


def test_a_student_binds_wechat_from_the_account_page_and_unbinds_it(wechat, student):
    wechat.person(WEB_APPID, openid="o-web-7", unionid="u-7", nickname="甲")
    client = on_desktop()
    client.force_login(student.user)
    page = client.get("/account/").content.decode()
    assert 'action="/accounts/weixin/login/"' in page and 'name="process" value="connect"' in page

    _url, query = authorize(client, "weixin", process="connect", next_url="/account/")
    response = come_back(client, "weixin", wechat, WEB_APPID, query["state"])
    assert response.status_code == 302 and response["Location"] == "/account/"
    account = SocialAccount.objects.get(user=student.user)
    assert account.uid == "o-web-7" and account.extra_data["unionid"] == "u-7"
    page = client.get("/account/").content.decode()
    assert "已绑定微信“甲”" in page and "解除绑定" in page and "您" not in page

    response = client.post("/account/wechat/unbind/")
    assert response.status_code == 302 and not SocialAccount.objects.exists()
    assert signed_in_as(client) == student.user  # still signed in; e-mail codes from now on


def test_a_wechat_bound_to_someone_else_is_not_bound_again(wechat, student, other_student):
    wechat.person(WEB_APPID, openid="o-web-7")
    SocialAccount.objects.create(user=other_student.user, provider="weixin", uid="o-web-7", extra_data={})
    client = on_desktop()
    client.force_login(student.user)
    _url, query = authorize(client, "weixin", process="connect", next_url="/account/")
    come_back(client, "weixin", wechat, WEB_APPID, query["state"])
    assert SocialAccount.objects.get().user == other_student.user
    assert "此微信已绑定另一个账号" in client.get("/account/").content.decode()


def test_the_same_person_bound_elsewhere_through_the_other_app_is_refused(wechat, student, other_student):
    wechat.person(MP_APPID, openid="o-mp-7", unionid="u-7")
    SocialAccount.objects.create(
        user=other_student.user, provider="weixin", uid="o-web-7", extra_data={"unionid": "u-7"}
    )
    client = in_wechat()
    client.force_login(student.user)
    _url, query = authorize(client, "weixin_mp", process="connect", next_url="/account/")
    response = come_back(client, "weixin_mp", wechat, MP_APPID, query["state"])
    assert response["Location"] == "/account/"
    assert not SocialAccount.objects.filter(user=student.user).exists()


def test_the_account_page_has_no_wechat_block_when_nothing_is_configured(settings, student_client):
    settings.SOCIALACCOUNT_PROVIDERS = providers_setting(mp=False, web=False)
    assert 'id="wechat"' not in student_client.get("/account/").content.decode()


def test_unbind_needs_a_post_and_a_sign_in(client, student_client):
    assert client.post("/account/wechat/unbind/").status_code == 302  # to the login page
    assert student_client.get("/account/wechat/unbind/").status_code == 405


def test_allauths_connections_page_leads_to_the_account_page(student_client):
    response = student_client.get("/accounts/3rdparty/")
    assert response.status_code == 302 and response["Location"] == "/account/"


# --- personal data --------------------------------------------------------------------------------


def test_the_download_lists_the_wechat_bindings_and_the_erasure_deletes_them(student):
    from accounts.personal import user_anonymise, user_personal_data

    SocialAccount.objects.create(
        user=student.user,
        provider="weixin_mp",
        uid="o-mp-1",
        extra_data={"openid": "o-mp-1", "nickname": "甲"},
    )
    [binding] = user_personal_data(user=student.user)["wechat"]
    assert binding["uid"] == "o-mp-1" and binding["profile"]["nickname"] == "甲"
    user_anonymise(user=student.user)
    assert not SocialAccount.objects.exists()


def test_a_refusal_in_wechat_comes_back_as_cancelled(wechat):
    # WeChat sends someone who refused back with the state and no code.
    client = in_wechat()
    _url, query = authorize(client, "weixin_mp")
    response = client.get("/accounts/weixin_mp/login/callback/", {"state": query["state"]})
    assert response.status_code == 302 and response["Location"] == "/accounts/3rdparty/login/cancelled/"
    assert "已取消微信登录" in client.get(response["Location"]).content.decode()
    assert signed_in_as(client) is None and wechat.calls == []


def test_too_many_codes_are_refused_next_to_the_field(wechat, settings, mailoutbox):
    settings.WECHAT_CODE_EMAIL_RATE_LIMIT = "1/h"
    client = new_wechat_at_the_finish(wechat)
    client.post("/accounts/wechat/finish/", {"step": "email", "email": "a@example.com"})
    response = client.post("/accounts/wechat/finish/", {"step": "email", "email": "a@example.com"})
    assert response.status_code == 429 and "请求太频繁" in response.content.decode()
    assert len(mailoutbox) == 1


def test_the_sign_in_goes_on_to_the_page_asked_for(wechat, student):
    wechat.person(MP_APPID, openid="o-mp-1")
    SocialAccount.objects.create(user=student.user, provider="weixin_mp", uid="o-mp-1", extra_data={})
    client = in_wechat()
    body = client.get("/accounts/login/", {"next": "/account/"}).content.decode()
    assert '<input type="hidden" name="next" value="/account/">' in body
    _url, query = authorize(client, "weixin_mp", next_url="/account/")
    response = come_back(client, "weixin_mp", wechat, MP_APPID, query["state"])
    assert response["Location"] == "/account/" and signed_in_as(client) == student.user


def test_a_mail_server_that_is_down_is_told_next_to_the_field(wechat, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    client = new_wechat_at_the_finish(wechat)
    response = client.post("/accounts/wechat/finish/", {"step": "email", "email": "a@example.com"})
    assert response.status_code == 503 and "邮件没能发出" in response.content.decode()
    assert 'name="code"' not in response.content.decode()
