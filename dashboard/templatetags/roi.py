"""`{% load roi %}{{ figures.roi|times }}`: a return as a multiple, 2.5 → "2.50×"; None → "—"."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def times(value) -> str:
    if value is None or value == "":
        return "—"
    # number_format cuts the digits off; the return is rounded half up like money.
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{number_format(rounded, 2)}×"
