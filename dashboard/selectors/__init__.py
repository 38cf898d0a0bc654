"""Reads of the dashboard: the weekly numbers and everything the page shows around them."""

from dashboard.selectors.numbers import (
    COUNT_FIELDS,
    METRIC_KEYS,
    RATE_FIELDS,
    WeeklyNumbers,
    weekly_numbers,
    weekly_numbers_range,
    weekly_numbers_until,
)

__all__ = [
    "COUNT_FIELDS",
    "METRIC_KEYS",
    "RATE_FIELDS",
    "WeeklyNumbers",
    "weekly_numbers",
    "weekly_numbers_range",
    "weekly_numbers_until",
]
