"""Template filters every page uses: money, rates, safe Markdown, a label's colon."""

from decimal import Decimal

import markdown as md
import nh3
from django import template
from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from onepco.money import money as to_money

register = template.Library()

CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "img", "del",
}  # fmt: skip


@register.filter
def money(value, currency: str | None = None) -> str:
    """¥1,234.50 — or "—" for no value."""
    if value is None or value == "":
        return "—"
    currency = (currency or settings.SITE_CURRENCY).upper()
    sign = CURRENCY_SIGNS.get(currency, currency + " ")
    # Grouped by thousands in every language: how prices are written in China too.
    return f"{sign}{to_money(Decimal(str(value))):,.2f}"


@register.filter
def rate(value, places: int = 1) -> str:
    """0.4567 → 45.7%; None (an undefined rate) → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def colon(label) -> str:
    """`{{ _("Pass mark")|colon }}60`: "Pass mark: 60", "及格线：60" — the colon (and space)
    after a label as each language writes it."""
    return gettext("%(label)s: ") % {"label": label}


@register.filter(name="markdown")
def render_markdown(text: str) -> str:
    """Markdown to HTML with everything executable removed (scripts, handlers, javascript:)."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "*": set()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
