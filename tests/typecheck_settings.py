"""The settings django-stubs' mypy plugin loads: the tests' settings with placeholder engine
URLs, so that type checking never starts the embedded PostgreSQL and Redis (a zero-config
`uv run mypy` left a PostgreSQL running under var/pg). Nothing connects to them: the plugin
reads the installed apps and the models, never the database."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://typecheck@127.0.0.1:9/typecheck")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:9/0")

from tests.settings import *  # noqa: F403
