"""A fixed-window rate limit per client address, counted in Redis.

LEAD_RATE_LIMIT is "N/s", "N/m" or "N/h" (default 5/m). When Redis is away the limit is not
enforced: a lost signup costs more than a few extra spam rows.
"""

import logging
import time

import redis
from django.conf import settings
from django.http import HttpRequest

from onepco.network import client_ip
from onepco.outbox import redis_connection

log = logging.getLogger(__name__)
PERIODS = {"s": 1, "m": 60, "h": 3600}


def rate_parse(rate: str) -> tuple[int, int]:
    """'5/m' → (5, 60). Raises ValueError for anything else."""
    count, _, period = rate.strip().partition("/")
    if period not in PERIODS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"a rate looks like 5/m, 100/h or 2/s (got {rate!r})")
    return int(count), PERIODS[period]


def rate_limit_exceeded(request: HttpRequest, scope: str, rate: str | None = None) -> bool:
    """Count this request against its address; True when the limit for the window is passed."""
    limit, period = rate_parse(rate or settings.LEAD_RATE_LIMIT)
    window = int(time.time() // period)
    key = f"onepco:ratelimit:{scope}:{client_ip(request)}:{window}"
    try:
        # One round trip: the count, and an expiry so that old windows clean themselves up.
        count, _expiry_set = (
            redis_connection().pipeline(transaction=False).incr(key).expire(key, period + 1).execute()
        )
    except redis.RedisError as exc:
        log.warning("rate limit not enforced, Redis unavailable: %s", exc)
        return False
    return count > limit
