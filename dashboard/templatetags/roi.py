"""`{% load roi %}{{ figures.roi|times }}`: a return as a multiple, 2.5 → "2.50×"; None → "—"."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def times(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{number_format(value, 2)}×"
