"""Settings come from the environment, and bad values are explained in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from onepco.bootstrap import StartupError
from onepco.config import database_from_url, redis_url_with_db

ROOT = Path(__file__).resolve().parents[2]


def test_a_postgres_url_becomes_a_database_entry():
    config = database_from_url("postgres://onepco:p%40ss@db.internal:5433/school?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("school", "onepco", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "5433")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_a_unix_socket_folder_goes_in_the_query():
    config = database_from_url("postgresql://postgres@/onepco?host=/run/postgresql")
    assert config["HOST"] == "/run/postgresql"
    assert config["OPTIONS"] == {}


@pytest.mark.parametrize(
    "url, words",
    [
        ("mysql://root@localhost/db", "PostgreSQL URL"),
        ("postgres://localhost:notaport/db", "not a valid URL"),
        ("postgres://localhost:5432/", "names no database"),
        ("just some words", "PostgreSQL URL"),
    ],
)
def test_a_bad_database_url_gives_a_clear_error(url, words):
    with pytest.raises(StartupError, match=words):
        database_from_url(url)


def test_redis_databases_are_picked_per_test_worker():
    assert redis_url_with_db("redis://127.0.0.1:6379/0", 3) == "redis://127.0.0.1:6379/3"
    assert redis_url_with_db("unix:///tmp/r/redis.socket", 2) == "unix:///tmp/r/redis.socket?db=2"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def _server_urls() -> dict[str, str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    host = db["HOST"]
    url = (
        f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
        if host.startswith("/")
        else (f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}")
    )
    return {"DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL}


def test_a_bad_database_url_stops_manage_py_with_one_line():
    result = _manage("check", DATABASE_URL="mysql://root@localhost/db", SECRET_KEY="x" * 50)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "onepco: DATABASE_URL must be a PostgreSQL URL like postgres://user:password@host:5432/dbname "
        "(got the scheme 'mysql')"
    ]


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false", SECRET_KEY="", **_server_urls())
    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-key-7a1f9c3e5b2d8f0a4c6e1b3d5f7a9c2e",
        ALLOWED_HOSTS="school.example.com",
        CSRF_TRUSTED_ORIGINS="https://school.example.com",
        SITE_URL="https://school.example.com",
        **_server_urls(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROBE = (
    "from django.conf import settings; from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SHOW statement_timeout'); statement = cursor.fetchone()[0]\n"
    "print(statement, settings.REDIS_SOCKET_CONNECT_TIMEOUT, settings.REDIS_SOCKET_TIMEOUT,"
    " connection.settings_dict['OPTIONS']['connect_timeout'])"
)
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 50}


@pytest.mark.django_db
def test_web_processes_wait_briefly_on_the_databases_and_commands_may_run_long():
    # The worker, the scheduler, backups and imports are manage.py commands.
    command = _manage("shell", "-c", PROBE, **PRODUCTION, **_server_urls())
    assert command.stdout.splitlines()[-1].split() == ["0", "2.0", "10.0", "5"], command.stderr
    # gunicorn serves onepco.wsgi.
    web = subprocess.run(
        [sys.executable, "-c", f"import onepco.wsgi\n{PROBE}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
             **PRODUCTION, **_server_urls()},
    )  # fmt: skip
    assert web.stdout.split() == ["15s", "0.5", "0.5", "5"], web.stderr


@pytest.mark.parametrize(
    "url, options",
    [
        ("postgres://u@h/db", {"connect_timeout": "5", "options": "-c statement_timeout=1500"}),
        (
            "postgres://u@h/db?connect_timeout=9",
            {"connect_timeout": "9", "options": "-c statement_timeout=1500"},
        ),
        (
            "postgres://u@h/db?options=-c%20search_path%3Dx",
            {"connect_timeout": "5", "options": "-c search_path=x -c statement_timeout=1500"},
        ),
        (
            "postgres://u@h/db?options=-c%20statement_timeout%3D0",
            {"connect_timeout": "5", "options": "-c statement_timeout=0"},
        ),
    ],
)
def test_database_timeouts_join_what_the_url_says_without_overriding_it(url, options):
    assert database_from_url(url, connect_timeout=5, statement_timeout=1.5)["OPTIONS"] == options
