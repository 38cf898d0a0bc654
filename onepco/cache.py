"""The cache: Redis, and a miss instead of an error when Redis is away or hangs.

Everything onepco keeps in the cache can be done without for a while: the payment page's QR
code (the buyer picks the method again), the throttle on asking a provider about an order,
allauth's rate-limit counters. Django's RedisCache raises on a Redis error, which made those
pages 500s. Here reads miss and writes are dropped, with a warning in the log. `add` answers
False (nothing stored), so a lock or a throttle built on it holds back rather than lets
through: allauth then refuses a sign-in attempt (429) until Redis answers again.
"""

import logging
from collections.abc import Callable
from functools import wraps

import redis
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)


def _or_else(name: str, fallback: Callable) -> Callable:
    """RedisCache's `name`, answering `fallback(*its arguments)` when Redis fails."""
    method = getattr(RedisCache, name)

    @wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as exc:
            log.warning("cache %s skipped, Redis unavailable: %s", name, exc)
            return fallback(*args, **kwargs)

    return guarded


def _nothing(*args, **kwargs) -> None:
    return None


def _false(*args, **kwargs) -> bool:
    return False


class RedisCacheOrMiss(RedisCache):
    get = _or_else("get", lambda key, default=None, version=None: default)
    get_many = _or_else("get_many", lambda *args, **kwargs: {})
    has_key = _or_else("has_key", _false)
    set = _or_else("set", _nothing)
    # The keys that were not stored: all of them.
    set_many = _or_else("set_many", lambda data, *args, **kwargs: list(data))
    add = _or_else("add", _false)
    touch = _or_else("touch", _false)
    delete = _or_else("delete", _false)
    delete_many = _or_else("delete_many", _nothing)
