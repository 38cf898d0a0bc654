"""The lead signup limit: LEAD_RATE_LIMIT ("N/s", "N/m" or "N/h", default 5/m) per client
address, counted by onepco.ratelimit (not enforced while Redis is away)."""

from django.conf import settings
from django.http import HttpRequest

from onepco import ratelimit
from onepco.ratelimit import rate_parse

__all__ = ["rate_limit_exceeded", "rate_parse"]


def rate_limit_exceeded(request: HttpRequest, scope: str, rate: str | None = None) -> bool:
    """Count this request against its address; True when the limit for the window is passed."""
    return ratelimit.rate_limit_exceeded(request, scope, rate or settings.LEAD_RATE_LIMIT)
