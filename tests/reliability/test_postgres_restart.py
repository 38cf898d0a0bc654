"""PostgreSQL restarted under load: clean 503s during the outage, recovery without a restart of
the web processes, and every lead that was answered 201 is in the database afterwards.

The test runs its own PostgreSQL (pgserver) and its own gunicorn; the machine's are untouched.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.processes import free_port, wait_until
from tests.reliability.conftest import Gunicorn, RedisServer, site_answers
from tests.reliability.conftest import http_call as call

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("processes")


@pytest.fixture
def own_postgres():
    pgserver = pytest.importorskip("pgserver")
    from pgserver._commands import pg_ctl

    # Run as root, pgserver starts PostgreSQL as an unprivileged user, who must be able to
    # reach the data folder: pytest's own temporary folders are private to root.
    folder = Path(tempfile.mkdtemp(prefix="onepco-pg-"))
    folder.chmod(0o755)
    server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
    server.psql("CREATE DATABASE onepco;")
    server.stop = lambda: pg_ctl(["-w", "stop", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)
    server.start = server.ensure_postgres_running
    yield server, f"postgresql://postgres@/onepco?host={server.pgdata}"
    server._cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def site(own_postgres, tmp_path):
    """gunicorn serving onepco (production settings) on the test's own engines."""
    server, database_url = own_postgres
    redis = RedisServer(free_port())
    redis.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        SECRET_KEY="reliability-test-only",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        LEAD_RATE_LIMIT="100000/m",
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    try:
        web = Gunicorn(env)
        try:
            yield server, web.url
        finally:
            web.stop()
    finally:
        redis.stop()


def test_a_postgres_restart_gives_clean_503s_and_loses_no_accepted_lead(site):
    server, url = site
    answers: list[tuple[int, str, str, dict]] = []
    stop = threading.Event()

    def sign_up(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            email = f"load-{worker}-{n}@example.com"
            status, body, headers = call(
                f"{url}/api/leads", {"name": "压力测试", "email": email, "consent": True}
            )
            answers.append((status, email, body, headers))
            time.sleep(0.02)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    server.stop()
    # Waits on what happened, not on the clock: a loaded machine answers late, not wrongly.
    wait_until(lambda: any(a[0] == 503 for a in answers), timeout=30, what="a signup during the outage")
    during = call(f"{url}/healthz")
    page = call(f"{url}/courses/")
    server.start()
    wait_until(lambda: site_answers(url), timeout=30, what="recovery without restarting gunicorn")
    restarted = len(answers)
    wait_until(lambda: any(a[0] == 201 for a in answers[restarted:]), timeout=30, what="a signup after it")
    stop.set()
    for thread in threads:
        thread.join()

    statuses = {status for status, *_ in answers}
    assert statuses <= {201, 503}, statuses
    assert 503 in statuses and answers[-1][0] == 201
    outage = next(a for a in answers if a[0] == 503)
    assert json.loads(outage[2])["detail"] and outage[3].get("Retry-After")
    assert during[0] == 503 and json.loads(during[1])["database"] == "unreachable"
    assert page[0] == 503 and "<html" in page[1].lower(), page
    accepted = {email for status, email, *_ in answers if status == 201}
    import psycopg

    with psycopg.connect(f"postgresql://postgres@/onepco?host={server.pgdata}") as conn:
        stored = {row[0] for row in conn.execute("SELECT email FROM crm_lead")}
    assert accepted and accepted <= stored
