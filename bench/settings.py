"""The settings the benchmark's gunicorn runs with: production's, plus two reference views
(bench.urls) and the lead form's rate limit raised for the run. Never used outside bench/."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# 50 clients from one address would be throttled after five signups otherwise.
os.environ.setdefault("LEAD_RATE_LIMIT", "1000000/m")

from onepco.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Production's logging at WARNING: Django's server errors (with their traceback) reach
# gunicorn's stderr, which the benchmark keeps beside the results; INFO would only add noise.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}  # noqa: F405
# Static files are not what is measured; no collectstatic manifest needed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
