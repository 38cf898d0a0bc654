"""WeChat sign-in: allauth's Weixin provider, twice.

- `weixin`: the QR login of a 网站应用 on the WeChat Open Platform (open.weixin.qq.com/connect/
  qrconnect), for browsers outside WeChat.
- `weixin_mp`: the web authorisation of a 公众号 (open.weixin.qq.com/connect/oauth2/authorize),
  inside WeChat's own browser, where the QR page cannot be scanned.

Each app gives the same person another openid; the unionid (when both apps are bound to one
Open Platform account) is the same, and is what joins the two (accounts.adapters).
"""

from django.conf import settings
from django.http import HttpRequest

from onepco.notify import WECHAT_OFFICIAL_PROVIDER

WEB = "weixin"
OFFICIAL = WECHAT_OFFICIAL_PROVIDER  # the openid template messages go to (onepco.notify)
PROVIDERS = (WEB, OFFICIAL)


def in_wechat(request: HttpRequest) -> bool:
    """WeChat's in-app browser says so in its User-Agent."""
    return "micromessenger" in request.headers.get("User-Agent", "").lower()


def configured(provider_id: str) -> bool:
    """The app of a provider has its id and secret (settings.SOCIALACCOUNT_PROVIDERS)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get(provider_id, {}).get("APPS") or []
    return any(app.get("client_id") and app.get("secret") for app in apps)


def provider_for(request: HttpRequest) -> str | None:
    """The WeChat sign-in this browser can use: the 公众号's inside WeChat, the QR elsewhere."""
    wanted = OFFICIAL if in_wechat(request) else WEB
    return wanted if configured(wanted) else None


def any_configured() -> bool:
    return any(configured(provider_id) for provider_id in PROVIDERS)
