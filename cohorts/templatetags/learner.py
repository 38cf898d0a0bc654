"""The learner pages' clocks: `{% countdown moment now %}` (a duration static/js/learn.js keeps
ticking) and `{% join_button lesson now %}` (进入课堂, live only from 15 minutes before the start
until the end)."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cohorts.models import JOIN_EARLY, Lesson

register = template.Library()


def _formats() -> dict[str, str]:
    # The same three shapes in Python (the first render) and in learn.js (each second after).
    return {
        "days": _("%(d)s d %(h)s h"),
        "hours": _("%(h)s h %(m)s min"),
        "minutes": _("%(m)s min %(s)s s"),
    }


def duration_text(seconds: float, formats: dict[str, str] | None = None) -> str:
    """3 天 4 小时 · 2 小时 5 分 · 4 分 09 秒 (the largest two units; nothing below zero)."""
    formats = formats or _formats()
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return formats["days"] % {"d": days, "h": hours}
    if hours:
        return formats["hours"] % {"h": hours, "m": minutes}
    return formats["minutes"] % {"m": minutes, "s": f"{secs:02d}"}


@register.simple_tag
def countdown(moment: datetime, now: datetime) -> SafeString:
    """The time left until `moment` as text that keeps counting down in the browser."""
    formats = _formats()
    return format_html(
        '<time class="countdown" datetime="{at}" data-countdown="{at}" data-now="{now}" '
        'data-fmt-days="{days}" data-fmt-hours="{hours}" data-fmt-minutes="{minutes}">{text}</time>',
        at=moment.isoformat(),
        now=now.isoformat(),
        text=duration_text((moment - now).total_seconds(), formats),
        **formats,
    )


@register.inclusion_tag("learner/_join.html")
def join_button(lesson: Lesson, now: datetime, large: bool = True) -> dict:
    """The lesson's 进入课堂 control: a live link while open, a disabled button with the time
    until it opens before that, nothing once the lesson is over. The page reloads itself when
    the state changes (data-reload-at), so the link never sits in a page before its time."""
    state = lesson.join_state(now)
    if state == "soon":
        reload_at = lesson.join_opens_at
    elif state == "open":
        reload_at = lesson.ends_at
    else:
        reload_at = None
    return {
        "lesson": lesson,
        "now": now,
        "state": state,
        "started": now >= lesson.starts_at,
        "reload_at": timezone.localtime(reload_at).isoformat() if reload_at else "",
        "early_minutes": int(JOIN_EARLY.total_seconds() // 60),
        "large": large,
    }
