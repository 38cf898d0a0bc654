"""Turning environment values into Django settings, with errors a person can act on."""

from collections.abc import Sequence
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from onepco.bootstrap import StartupError

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
REDIS_SCHEMES = {"redis", "rediss", "unix"}


def database_from_url(url: str, *, connect_timeout: int = 0, statement_timeout: float = 0) -> dict:
    """`postgres://user:password@host:port/name?sslmode=require` → a DATABASES entry.

    A unix socket folder goes in the query (`?host=/run/postgresql`), as libpq accepts it.
    `connect_timeout` (seconds) and `statement_timeout` (seconds, sent as a startup option, so
    no extra round trip) are set unless 0 or already in the URL's query.
    """
    example = "postgres://user:password@host:5432/dbname"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise StartupError(f"DATABASE_URL is not a valid URL ({exc}); expected {example}") from exc
    if parts.scheme not in POSTGRES_SCHEMES:
        raise StartupError(
            f"DATABASE_URL must be a PostgreSQL URL like {example} "
            f"(got the scheme '{parts.scheme or 'none'}')"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise StartupError(f"DATABASE_URL names no database; expected {example}")
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", None) or unquote(parts.hostname or "")
    if connect_timeout:
        options.setdefault("connect_timeout", str(connect_timeout))
    if statement_timeout and "statement_timeout" not in options.get("options", ""):
        startup = f"-c statement_timeout={round(statement_timeout * 1000)}"
        options["options"] = f"{options['options']} {startup}" if options.get("options") else startup
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": options,
        # Persistent connections with a health check: cheap on a small VPS and they survive
        # a database restart (the dead connection is dropped, not reused).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def database_url(entry: dict, *, name: str) -> str:
    """The URL of another database on the server a DATABASES entry points at (the inverse of
    `database_from_url`), for a process of its own, e.g. a restore drill's scratch database."""
    auth = quote(entry["USER"], safe="")
    if entry.get("PASSWORD"):
        auth += ":" + quote(entry["PASSWORD"], safe="")
    host = entry.get("HOST") or "127.0.0.1"
    query = {
        k: str(v) for k, v in (entry.get("OPTIONS") or {}).items() if k in ("sslmode", "connect_timeout")
    }
    if host.startswith("/"):  # a unix socket folder (the embedded PostgreSQL)
        query["host"] = host
        return f"postgresql://{auth}@/{quote(name)}?{urlencode(query)}"
    port = entry.get("PORT") or "5432"
    return f"postgresql://{auth}@{host}:{port}/{quote(name)}" + (f"?{urlencode(query)}" if query else "")


def check_redis_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise StartupError(
            "REDIS_URL must look like redis://host:6379/0 or unix:///path/redis.sock "
            f"(got the scheme '{scheme or 'none'}')"
        )
    return url


def redis_url_with_db(url: str, db: int) -> str:
    """The same server, another logical database (tests give each xdist worker its own)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        # geturl() would drop the empty host and give "unix:/path", which redis-py refuses.
        return f"unix://{parts.path}?" + "&".join(f"{k}={v}" for k, v in query)
    return parts._replace(path=f"/{db}").geturl()


def payment_gateway_origins(
    *, alipay: bool = False, alipay_sandbox: bool = False, stripe: bool = False, wechat_h5: bool = False
) -> list[str]:
    """Where the payment page's form may send the buyer on to: the pay form's answer is a
    redirect to the provider's page, and browsers hold a redirect after a form submission to
    the form-action directive too."""
    origins = []
    if alipay:  # page / wap pay: the gateway URL with the signed query
        origins.append(
            "https://openapi-sandbox.dl.alipaydev.com" if alipay_sandbox else "https://openapi.alipay.com"
        )
    if stripe:  # Stripe Checkout
        origins.append("https://checkout.stripe.com")
    if wechat_h5:  # WeChat Pay's h5_url
        origins.append("https://wx.tenpay.com")
    return origins


def content_security_policy(*, form_action: Sequence[str] = (), inline: bool = False) -> str:
    """The policy of onepco's HTML pages: everything from this site, nothing inline, no plugins,
    no framing. `inline` allows inline scripts and styles (third-party pages that need them)."""
    scripts = "'self' 'unsafe-inline'" if inline else "'self'"
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": scripts,
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": " ".join(["'self'", *form_action]),
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())
