"""The four journeys once more, on the small profile's data stores (docker-compose.small.yml,
read by bench.profiles as the benchmark reads it): a PostgreSQL of this test's own with the
profile's settings (shared_buffers 32MB, max_connections 20, work_mem 2MB, no parallel workers,
no JIT), a redis-server of its own with the profile's memory cap and noeviction, and glibc's two
arenas. The journeys run in a child pytest pointed at them, so that nothing of this process's
database or Redis is shared. Under load the same profile is the benchmark's (bench/RESULTS.md)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench import profiles
from tests.processes import free_port, wait_until

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
JOURNEYS = "tests/e2e/test_four_journeys.py"


@pytest.fixture
def small_postgres(tmp_path):
    import pgserver

    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        for key, value in profiles.postgres_settings("small").items():
            conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
    server.cleanup()  # stopped, then started again with the settings that need a restart
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        applied = dict(conn.execute("SELECT name, setting || coalesce(unit, '') FROM pg_settings").fetchall())
    yield server.get_uri(), applied
    server.cleanup()


@pytest.fixture
def small_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    options = [
        item for key, value in profiles.redis_settings("small").items() for item in (f"--{key}", value)
    ]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    wait_until(lambda: _answers(client), what="redis-server")
    yield f"redis://127.0.0.1:{port}/0", client
    process.kill()
    process.wait()


def _answers(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_the_four_journeys_pass_on_the_small_profile(small_postgres, small_redis, tmp_path):
    database_url, applied = small_postgres
    redis_url, redis_client = small_redis
    assert applied["shared_buffers"] == "4096" + "8kB" and applied["max_connections"] == "20"  # 32 MB
    assert applied["jit"] == "off" and applied["max_parallel_workers_per_gather"] == "0"
    assert redis_client.config_get("maxmemory")["maxmemory"] == str(32 * 1024 * 1024)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(profiles.app_env("small"))
    env.update(
        DATABASE_URL=database_url,
        ONEPCO_TEST_REDIS_URL=redis_url,
        REDIS_URL=redis_url,
        PYTEST_DEBUG_TEMPROOT=str(tmp_path),
    )
    assert env["MALLOC_ARENA_MAX"] == "2"
    result = subprocess.run(
        # --reuse-db keeps the child's test database, to show where the journeys ran.
        [sys.executable, "-m", "pytest", JOURNEYS, "-n", "0", "-q", "-p", "no:cacheprovider", "--reuse-db"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b1 passed\b", result.stdout), result.stdout
    with psycopg.connect(database_url, autocommit=True) as conn:
        names = [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_%'")
        ]
    assert len(names) == 1, names
    with psycopg.connect(database_url.replace("/postgres?", f"/{names[0]}?"), autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('billing_order')").fetchone()[0] == "billing_order"
