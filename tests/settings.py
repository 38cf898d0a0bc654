"""Test settings: onepco's settings, with what only tests need on top.

Set before the settings load: a throwaway SECRET_KEY and DEBUG=false, so tests behave the same
on a laptop (embedded engines) and in CI (the machine's PostgreSQL and Redis).
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ["DEBUG"] = "false"

from onepco.config import redis_url_with_db
from onepco.settings import *  # noqa: F403
from onepco.settings import CACHES, REDIS_URL, RQ_QUEUES, STORAGES

# Each pytest-xdist worker gets its own Redis database, so flushing it between tests is safe.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
REDIS_URL = redis_url_with_db(REDIS_URL, 1 + int(_worker.removeprefix("gw") or 0) % 15)
# A process started by a reliability test uses that test's own redis-server as it is.
REDIS_URL = os.environ.get("ONEPCO_TEST_REDIS_URL", REDIS_URL)
CACHES["default"]["LOCATION"] = REDIS_URL
RQ_QUEUES["default"]["URL"] = REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_CODE = "zh-hans"
