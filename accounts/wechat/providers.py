"""The two WeChat providers: allauth's Weixin provider with what the 公众号 flow needs on top.

allauth's own adapter posts the code for the token (WeChat documents a GET), always asks for the
profile (snsapi_base gives no profile: only the openid), and re-decodes the nickname as if it had
been read as Latin-1, which garbles every Chinese name requests now reads as UTF-8.
"""

import json

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.client import WeixinOAuth2Client
from allauth.socialaccount.providers.weixin.provider import WeixinAccount, WeixinProvider
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path

from accounts import wechat
from onepco.access import public

OFFICIAL_AUTHORIZE_PATH = "/connect/oauth2/authorize"


class WeChatClient(WeixinOAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        url = super().get_redirect_url(authorization_url, scope, extra_params)
        # WeChat asks for this fragment on the 公众号's authorisation URL when reached by a redirect.
        if OFFICIAL_AUTHORIZE_PATH in authorization_url:
            url += "#wechat_redirect"
        return url


class _WeChatAdapter(WeixinOAuth2Adapter):
    access_token_method = "GET"  # nosec: WeChat takes the code as query parameters
    client_class = WeChatClient

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        answer = kwargs.get("response") or {}
        openid = answer.get("openid")
        if not openid:
            raise OAuth2Error(f"No openid in WeChat's token answer: {answer}")
        provider = self.get_provider()
        if "snsapi_base" in provider.get_scope():
            data = {"openid": openid}
        else:
            with get_adapter().get_requests_session() as session:
                resp = session.get(
                    self.profile_url, params={"access_token": token.token, "openid": openid, "lang": "zh_CN"}
                )
                resp.raise_for_status()
                # WeChat says "encoding=utf-8", not "charset": read the bytes as what they are.
                data = json.loads(resp.content.decode("utf-8"))
            if data.get("errcode") or data.get("openid") != openid:
                raise OAuth2Error(f"WeChat's profile answer does not fit the token: {data}")
        if answer.get("unionid") and not data.get("unionid"):
            data["unionid"] = answer["unionid"]
        data["appid"] = app.client_id
        return provider.sociallogin_from_response(request, data)


class WeChatWebAdapter(_WeChatAdapter):
    provider_id = wechat.WEB


class WeChatOfficialAdapter(_WeChatAdapter):
    provider_id = wechat.OFFICIAL


class WeChatAccount(WeixinAccount):
    def get_avatar_url(self):
        return None  # WeChat's image host is not in the pages' Content-Security-Policy

    def to_str(self):
        return self.account.extra_data.get("nickname") or "WeChat"


class _WeChatProvider(WeixinProvider):
    account_class = WeChatAccount

    def extract_uid(self, data):
        # allauth's choice, kept: the openid of this app. The unionid, when there is one, is in
        # extra_data with the openid, and links this app's account to the other app's.
        return str(data["openid"])

    def extract_common_fields(self, data):
        return {"name": data.get("nickname") or ""}


class WeChatWebProvider(_WeChatProvider):
    id = wechat.WEB
    name = "WeChat"
    package = "accounts.wechat.web"
    oauth2_adapter_class = WeChatWebAdapter


class WeChatOfficialProvider(_WeChatProvider):
    id = wechat.OFFICIAL
    name = "WeChat Official Account"
    package = "accounts.wechat.official"
    oauth2_adapter_class = WeChatOfficialAdapter

    def get_default_scope(self):
        return ["snsapi_userinfo"]


class WeChatCallbackView(OAuth2CallbackView):
    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if "code" not in request.GET and "error" not in request.GET:
            # WeChat sends a refusal back with the state alone: allauth's "cancelled".
            answer = request.GET.copy()
            answer["error"] = self.adapter.login_cancelled_error
            request.GET = answer  # type: ignore[assignment]  # the mutable copy stands in for it
        return super().dispatch(request, *args, **kwargs)


def _only_when_configured(provider_id: str, view):
    """A provider whose app id / secret are not set has no sign-in: its URLs answer 404."""

    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not wechat.configured(provider_id):
            raise Http404("WeChat sign-in is not configured")
        return view(request, *args, **kwargs)

    return public(guarded)


def urlpatterns_for(provider_id: str, adapter) -> list:
    login = _only_when_configured(provider_id, OAuth2LoginView.adapter_view(adapter))
    callback = _only_when_configured(provider_id, WeChatCallbackView.adapter_view(adapter))
    return [
        path(
            f"{provider_id}/",
            include(
                [
                    path("login/", login, name=f"{provider_id}_login"),
                    path("login/callback/", callback, name=f"{provider_id}_callback"),
                ]
            ),
        )
    ]
