"""Dates of the timetable pages as the founder reads them: 12月8日 周二 20:00."""

from datetime import date, datetime

from django import template
from django.utils.translation import gettext as _

from cohorts import scheduling

register = template.Library()


@register.filter
def when(moment: datetime) -> str:
    return scheduling.when_text(moment)


@register.filter
def day(value: date) -> str:
    return scheduling.date_text(value)


@register.filter
def days(values: list[date]) -> str:
    return _(", ").join(scheduling.date_text(value) for value in values)
