"""The zero-config path: `manage.py up` on embedded PostgreSQL and Redis, from nothing.

These tests start real processes (the embedded engines, runserver, an RQ worker, rqcron)
under a temporary data folder, talk to them over HTTP, and stop them with Ctrl-C.
"""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis
from rq import Worker
from rq.cron import CronScheduler

from tests.processes import free_port, wait_until
from tests.reliability.conftest import RedisServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("processes")


def _zero_config_env() -> dict[str, str]:
    drop = ("DATABASE_URL", "REDIS_URL", "ONEPCO_EMBEDDED", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST_")}
    env["FOUNDER_EMAIL"] = "boss@example.com"
    return env


class Up:
    """One `manage.py up` process, its output collected line by line."""

    def __init__(self, data_dir: Path, port: int, *extra: str, env: dict[str, str] | None = None):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "up", "--port", str(port), "--data-dir", str(data_dir), *extra],
            cwd=ROOT,
            env=env or _zero_config_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; output:\n{self.output}")
            time.sleep(0.2)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


def _get(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_up_starts_everything_from_nothing_serves_pages_and_stops_cleanly(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    up = Up(data_dir, port)
    try:
        up.wait_for("Press Ctrl-C to stop.")
        password = re.search(r"Password:\s+(\S+)\s+\(shown once", up.output)[1]
        assert "Loading the demo business" in up.output
        _wait_http(f"{base}/healthz")
        children = psutil.Process(up.process.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "runserver" in names and "rqworker" in names and "rqcron" in names

        # The founder signs in with the printed password and reaches the console.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page = _get(opener, f"{base}/accounts/login/")
        assert status == 200
        token = next(c.value for c in jar if c.name == "csrftoken")
        _get(
            opener,
            f"{base}/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": "boss@example.com", "password": password},
        )
        status, page = _get(opener, f"{base}/console/")
        assert status == 200 and "<h1>" in page
        # No SITE_URL given: `up --port N` made this run's address the site address (#15).
        status, page = _get(opener, f"{base}/console/settings/brand/")
        assert status == 200 and "setup-ok" in page and "setup-warning" not in page, page
    finally:
        code = up.stop()
    assert code == 0, up.output
    time.sleep(0.5)
    assert [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "the embedded PostgreSQL was left running"

    # A second `up` reuses the data: no new password, no second demo.
    again = Up(data_dir, port)
    try:
        again.wait_for("Press Ctrl-C to stop.")
        assert "shown once" not in again.output
        assert "Loading the demo business" not in again.output
        _wait_http(f"{base}/healthz")
    finally:
        assert again.stop() == 0


def test_up_explains_in_one_line_when_the_engines_cannot_start(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    result = subprocess.run(
        [sys.executable, "manage.py", "up", "--data-dir", str(blocker)],
        cwd=ROOT, env=_zero_config_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onepco: cannot create the data folder"), result.stderr
    assert "Traceback" not in result.stderr


def _debug_env() -> dict[str, str]:
    """What a zero-config run looks like to `up` (DEBUG, dev SECRET_KEY, simulated payments),
    on the test's own engines so that nothing embedded has to start."""
    return {
        **_zero_config_env(),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "DEBUG": "true",
    }


def _up_on_a_taken_port(host: str, *extra: str) -> subprocess.CompletedProcess:
    # The port is taken, so that `up` stops at its port check whenever it gets that far: nothing
    # is migrated or started, whatever the outcome.
    with socket.socket() as blocker:
        blocker.bind(("0.0.0.0", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        return subprocess.run(
            [sys.executable, "manage.py", "up", "--host", host, "--port", str(port), *extra],
            cwd=ROOT, env=_debug_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com"])
def test_up_refuses_to_serve_a_development_run_beyond_this_machine(host):
    result = _up_on_a_taken_port(host)
    assert result.returncode == 1
    assert "development mode" in result.stderr and "already in use" not in result.stderr, result.stderr
    for advice in ("DEBUG=false", "SECRET_KEY", "PAYMENT_SIMULATED=false", "127.0.0.1"):
        assert advice in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "host, extra",
    [("127.0.0.1", ()), ("localhost", ()), ("0.0.0.0", ("--allow-debug-on-network",))],
)
def test_up_serves_development_on_loopback_or_when_the_owner_insists(host, extra):
    result = _up_on_a_taken_port(host, *extra)
    # Past the refusal: it got as far as the port check.
    assert result.returncode == 1
    assert "already in use" in result.stderr and "development mode" not in result.stderr, result.stderr


# --- supervision: a child that dies comes back, and nothing outlives `up` -------------------


def _child(up: Up, word: str) -> psutil.Process | None:
    """The direct child of `up` whose command line has this word (its own forks are not)."""
    for child in psutil.Process(up.process.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if word in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                return child
    return None


def _wait_child(up: Up, word: str, other_than: int | None = None, timeout: float = 60) -> psutil.Process:
    found: list[psutil.Process] = []

    def appeared() -> bool:
        child = _child(up, word)
        if child is not None and child.pid != other_than:
            found.append(child)
            return True
        return False

    wait_until(appeared, timeout=timeout, what=f"a {word} child of up")
    return found[0]


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_up_starts_again_a_killed_worker_scheduler_redis_or_web_and_keeps_serving(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    up = Up(data_dir, port, "--no-demo")
    try:
        up.wait_for("Press Ctrl-C to stop.")
        _wait_http(f"{base}/healthz")

        # The worker, killed outright: its forked RQ scheduler must not run on alone.
        worker = _wait_child(up, "rqworker")
        wait_until(worker.children, timeout=30, what="the worker's scheduler")
        (forked_scheduler,) = worker.children()
        worker.kill()
        up.wait_for("worker stopped unexpectedly")
        assert _status(f"{base}/accounts/login/") == 200  # the site answers meanwhile
        _wait_child(up, "rqworker", other_than=worker.pid)
        wait_until(lambda: _gone(forked_scheduler), timeout=10, what="the orphaned scheduler to go")

        scheduler = _wait_child(up, "rqcron")
        scheduler.kill()
        up.wait_for("scheduler stopped unexpectedly")
        assert _status(f"{base}/accounts/login/") == 200
        _wait_child(up, "rqcron", other_than=scheduler.pid)

        # The embedded Redis comes back on the same socket: the others keep their REDIS_URL.
        engine = _wait_child(up, "redis-server")
        socket_file = next(u.laddr for u in engine.net_connections("unix") if u.laddr)
        engine.kill()
        up.wait_for("redis stopped unexpectedly")
        again = _wait_child(up, "redis-server", other_than=engine.pid)
        wait_until(lambda: _status(f"{base}/healthz") == 200, timeout=30, what="healthz after Redis")
        assert socket_file in {u.laddr for u in again.net_connections("unix")}

        web = _wait_child(up, "runserver")
        web.kill()
        up.wait_for("web stopped unexpectedly")
        _wait_child(up, "runserver", other_than=web.pid)
        _wait_http(f"{base}/healthz")
        assert up.process.poll() is None
        children = psutil.Process(up.process.pid).children(recursive=True)
    finally:
        code = up.stop()
    assert code == 0, up.output
    wait_until(lambda: all(_gone(c) for c in children), timeout=15, what="every child to stop")


def test_up_rides_out_a_redis_outage_and_leaves_no_orphan_when_killed(tmp_path):
    """Redis of the test's own (REDIS_URL), stopped under `up`: the site answers, `up` stays,
    the worker and the scheduler are back once Redis is. Then `up` is killed outright."""
    data_dir, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    server = RedisServer(free_port())
    server.start()
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1)

    def registered(*, scheduler: bool = True) -> bool:
        with contextlib.suppress(redis.RedisError):
            workers = Worker.all(connection=client)
            return bool(workers) and (not scheduler or bool(CronScheduler.all(connection=client)))
        return False

    up = Up(data_dir, port, "--no-demo", env={**_zero_config_env(), "REDIS_URL": server.url})
    try:
        up.wait_for("Press Ctrl-C to stop.")
        _wait_http(f"{base}/healthz")
        wait_until(registered, timeout=30, what="the worker and scheduler in Redis")

        server.stop()
        # rqcron meets the outage when it wakes (within a minute); not to wait for that, it is
        # restarted now: it cannot start without Redis, and `up` keeps trying.
        _wait_child(up, "rqcron").kill()
        wait_until(
            lambda: up.output.count("scheduler stopped unexpectedly") >= 2,
            timeout=30,
            what="the scheduler failing to start without Redis",
        )
        assert up.process.poll() is None, up.output
        assert _status(f"{base}/accounts/login/") == 200  # no Redis needed for this page
        assert _status(f"{base}/healthz") == 503

        server.start()  # empty: it kept no data
        # The worker registers again at its next try, the scheduler at its next start.
        wait_until(registered, timeout=60, what="the worker and scheduler back in Redis")
        assert _status(f"{base}/healthz") == 200
        assert up.process.poll() is None, up.output

        children = psutil.Process(up.process.pid).children(recursive=True)
        assert any("rqworker" in " ".join(c.cmdline()) for c in children)
        up.process.kill()  # no Ctrl-C, no clean-up code of its own
        up.process.wait()
        wait_until(lambda: all(_gone(c) for c in children), timeout=20, what="no orphan after a SIGKILL")
    finally:
        if up.process.poll() is None:
            up.stop()
        server.stop()
        # The embedded PostgreSQL is a daemon of its own (pg_ctl): stop the test's one.
        for process in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                if str(data_dir) in " ".join(process.info["cmdline"] or []):
                    process.terminate()


@pytest.mark.parametrize("cron", ["", "console/cron.py"])
def test_up_runs_rqcron_only_when_the_worker_does_not_run_the_schedule(cron, settings, monkeypatch):
    """RQ_WORKER_CRON has the worker enqueue the schedule; an rqcron beside it would do it twice."""
    from console.management.commands import up as command

    settings.RQ_WORKER_CRON = cron
    monkeypatch.setattr(command.embedded, "redis_in_foreground", lambda: None)
    monkeypatch.setattr(command.Child, "start", lambda child: None)
    children = command.Command().start_children("127.0.0.1", 8000)
    commands = {child.name: child.command for child in children}
    assert commands["worker"][-3:] == ["rqworker", "default", "--with-scheduler"]
    if cron:
        assert "scheduler" not in commands
    else:
        assert commands["scheduler"][-2:] == ["rqcron", "console/cron.py"]
