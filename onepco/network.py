"""Who is asking: the visitor's address, also behind the reverse proxy the README asks for."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = n proxies in front (Caddy, nginx), the address
    the outermost of them saw: the n-th entry from the right of X-Forwarded-For.

    Entries further left are whatever the client claimed and could be forged, so they are
    never used; and gunicorn must be reachable only through the proxy (compose publishes it on
    127.0.0.1), or a client could write the trusted entry itself. Without the setting behind a
    proxy, every visitor would share the proxy's address (and one signup rate limit).
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count and _is_ip(forwarded[-count]):
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
