"""Processes the reliability tests start, stop and kill themselves.

The machine's shared PostgreSQL and Redis are never touched: a test that stops Redis stops its
own `redis-server` on a spare port; a test that restarts PostgreSQL restarts its own pgserver.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from onepco import outbox
from tests.billing.conftest import cohort, keys, order, wechat_on  # noqa: F401 - fixtures used here too
from tests.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A redis-server of this test's own, on a spare port; stop() and start() keep the port."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, what="redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(settings):
    """onepco pointed at a Redis this test may stop; the connection cache follows."""
    server = RedisServer(free_port())
    server.start()
    settings.REDIS_URL = server.url
    settings.RQ_QUEUES = {
        **settings.RQ_QUEUES,
        "default": {**settings.RQ_QUEUES["default"], "URL": server.url},
    }
    settings.REDIS_SOCKET_CONNECT_TIMEOUT = 0.3
    outbox.redis_connection.cache_clear()
    yield server
    server.stop()
    outbox.redis_connection.cache_clear()


def child_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker process that shares this test's database and Redis."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):  # the embedded PostgreSQL listens on a unix socket in this folder
        database_url = f"postgresql://{auth}@/{db['NAME']}?host={quote(host, safe='')}"
    else:
        database_url = f"postgresql://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url,
        PYTEST_XDIST_WORKER=os.environ.get("PYTEST_XDIST_WORKER", "gw0"),
        **extra,
    )
    env["ONEPCO_TEST_REDIS_URL"] = redis_url
    return env


class Worker:
    """`manage.py rqworker` as its own process, to be killed in the middle of a job."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default", "--burst", "--with-scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout: float = 60) -> str:
        out, _ = self.process.communicate(timeout=timeout)
        return out.decode(errors="replace")


class Gunicorn:
    """gunicorn serving onepco with production's settings file, on a spare port."""

    def __init__(self, env: dict[str, str]):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "onepco.wsgi",
                "-c",
                "onepco/gunicorn.py",  # production's settings
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(self.answers, timeout=30, what="gunicorn")
        except AssertionError:
            self.stop()
            raise

    def answers(self) -> bool:
        return site_answers(self.url)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def site_answers(url: str) -> bool:
    try:
        return http_call(f"{url}/healthz")[0] == 200
    except OSError:
        return False


def http_call(url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, str, dict]:
    """(status, body, headers) of a GET, or of a JSON POST when there is a body."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)
