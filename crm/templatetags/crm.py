"""`{% load crm %}{% channel_label lead.channel %}`: a channel's name wherever a code shows.

The registry is read once per request and language however many rows a page shows; without
a request (an e-mail) once per template rendered.
"""

from django import template
from django.utils.translation import get_language

from crm import selectors
from crm.models import SignupSettings

register = template.Library()


def _names(context: template.Context) -> dict[str, str]:
    request = context.get("request")
    if request is not None:
        cache = request.__dict__.setdefault("_crm_channel_names", {})
    else:
        cache = context.render_context.setdefault("_crm_channel_names", {})  # type: ignore[arg-type]
    language = get_language()
    if language not in cache:
        cache[language] = selectors.channel_names()
    return cache[language]


@register.simple_tag(takes_context=True)
def channel_label(context: template.Context, code: str | None) -> str:
    return selectors.channel_label(code or "", _names(context))


@register.simple_tag
def signup_next_step():
    """The founder's WeChat QR code / ID and booking link as set under 设置 → 感谢页的下一步: the
    learner pages show them ("add the assistant") without cohorts reading crm's tables."""
    return SignupSettings.current()
