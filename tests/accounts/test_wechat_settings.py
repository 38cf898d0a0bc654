"""The WeChat apps come from the environment: set, they are allauth's apps and the sign-in form
may lead on to WeChat; a scope WeChat does not know stops the start with one line."""

import pytest

from tests.onepco.test_settings import PRODUCTION, _manage, _server_urls

PROBE = (
    "from django.conf import settings\n"
    "from allauth.socialaccount.adapter import get_adapter\n"
    "print(sorted((a.provider, a.client_id) for a in get_adapter().list_apps(None)),"
    " 'open.weixin.qq.com' in settings.CONTENT_SECURITY_POLICY.split('form-action')[1].split(';')[0],"
    " settings.SOCIALACCOUNT_PROVIDERS['weixin_mp']['SCOPE'])"
)


@pytest.mark.django_db
def test_the_wechat_apps_come_from_the_environment():
    unset = _manage("shell", "-c", PROBE, **PRODUCTION, **_server_urls())
    assert unset.stdout.splitlines()[-1] == "[] False ['snsapi_userinfo']", unset.stderr
    wechat = {"WECHAT_MP_APPID": "wxmp1", "WECHAT_MP_APP_SECRET": "s1", "WECHAT_MP_SCOPE": "snsapi_base",
              "WECHAT_WEB_APPID": "wxweb1", "WECHAT_WEB_APP_SECRET": "s2"}  # fmt: skip
    configured = _manage("shell", "-c", PROBE, **PRODUCTION, **_server_urls(), **wechat)
    assert configured.stdout.splitlines()[-1] == (
        "[('weixin', 'wxweb1'), ('weixin_mp', 'wxmp1')] True ['snsapi_base']"
    ), configured.stderr
    # An app id without its secret offers nothing.
    half = _manage("shell", "-c", PROBE, **PRODUCTION, **_server_urls(), WECHAT_WEB_APPID="wxweb1")
    assert half.stdout.splitlines()[-1].startswith("[] False "), half.stderr


def test_a_scope_wechat_does_not_know_stops_the_start():
    result = _manage("check", **PRODUCTION, WECHAT_MP_SCOPE="snsapi_login")
    assert result.returncode != 0
    assert "WECHAT_MP_SCOPE is snsapi_userinfo or snsapi_base" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_template_messages_come_from_the_environment_one_per_kind():
    probe = "from django.conf import settings\nprint(sorted(settings.WECHAT_MP_TEMPLATES.items()))"
    env = {"WECHAT_MP_TEMPLATE_FEEDBACK": "TPL-1 thing1 phrase2 time3", "WECHAT_MP_TEMPLATE_DUE_REMINDER": ""}
    result = _manage("shell", "-c", probe, **PRODUCTION, **_server_urls(), **env)
    assert result.stdout.splitlines()[-1] == "[('feedback', ('TPL-1', ('thing1', 'phrase2', 'time3')))]", (
        result.stderr
    )


def test_a_template_without_its_field_keys_stops_the_start():
    result = _manage("check", **PRODUCTION, WECHAT_MP_TEMPLATE_FEEDBACK="TPL-1")
    assert result.returncode != 0
    assert "WECHAT_MP_TEMPLATE_FEEDBACK is a template id and its field keys" in result.stderr
    assert "Traceback" not in result.stderr
