from django import template
from django.urls import reverse

from accounts import wechat

register = template.Library()


@register.simple_tag(takes_context=True)
def wechat_signin(context) -> dict:
    """The WeChat sign-in this browser can use: the 公众号's inside WeChat, the QR login
    elsewhere, each only when its app is configured (`provider` is empty otherwise)."""
    request = context["request"]
    provider = wechat.provider_for(request)
    return {
        "provider": provider or "",
        "action": reverse(f"{provider}_login") if provider else "",
        "qr": provider == wechat.WEB,
        "in_wechat": wechat.in_wechat(request),
    }
