"""Money is Decimal with two places, rounded half up; never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_minor_units(value: Decimal) -> int:
    """Yuan → fen (cents): what WeChat Pay and Stripe take."""
    return int((money(value) * 100).to_integral_value())


def from_minor_units(value: int) -> Decimal:
    return money(Decimal(value) / 100)
