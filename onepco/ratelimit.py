"""Fixed-window rate limits counted in Redis, in one round trip however many limits apply.

A rate is "N/s", "N/m" or "N/h". When Redis is away the limits are not enforced: a lost
signup or sale costs more than a few extra rows.
"""

import hashlib
import logging
import time

import redis
from django.conf import settings
from django.core.checks import Error
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


def rate_settings_errors(names: tuple[str, ...], check_id: str) -> list[Error]:
    """System-check errors for rate settings that do not parse: a typo must stop the start,
    not turn every request it limits into a 500."""
    errors = []
    for name in names:
        try:
            rate_parse(getattr(settings, name))
        except ValueError as exc:
            errors.append(Error(f"{name}: {exc}", id=check_id))
    return errors


def rate_limited(*counters: tuple[str, str, str]) -> bool:
    """Count one hit for each (scope, who, rate); True when any of them is past its limit.

    `who` (an address, an e-mail) is hashed into the key: Redis never holds it in clear.
    """
    now = time.time()
    pipeline = redis_connection().pipeline(transaction=False)
    limits = []
    for scope, who, rate in counters:
        limit, period = rate_parse(rate)
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]
        key = f"onepco:ratelimit:{scope}:{digest}:{int(now // period)}"
        # The count, and an expiry so that old windows clean themselves up.
        pipeline.incr(key)
        pipeline.expire(key, period + 1)
        limits.append(limit)
    try:
        results = pipeline.execute()
    except (redis.RedisError, OSError, ValueError) as exc:
        # OSError / ValueError: a socket closed under this thread ("Bad file descriptor", "I/O
        # operation on closed file"). That was a bug of ours (clients built twice, see
        # onepco.outbox.redis_connection), fixed; should anything else close one, the signup
        # still goes through, unlimited, rather than answer 500.
        log.warning("rate limit not enforced, Redis unavailable: %s", exc)
        return False
    return any(count > limit for count, limit in zip(results[::2], limits, strict=True))


def rate_limit_exceeded(request: HttpRequest, scope: str, rate: str) -> bool:
    """Count this request against its client address; True when the limit is passed."""
    return rate_limited((scope, client_ip(request), rate))
