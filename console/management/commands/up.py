"""`manage.py up`: everything a newcomer needs, in one command.

Migrates, creates the founder on first run, loads the demo on first run, then runs the web
server, one RQ worker (with its scheduler, so retries work) and the rqcron scheduler (none when
RQ_WORKER_CRON has the worker run the schedule) as child processes until Ctrl-C; with no REDIS_URL, the embedded Redis runs as a child too. The
children share the database and Redis this process started (their URLs are in the
environment).

`up` supervises them: a child that dies is started again after a pause that doubles from 1 s
to 30 s while it keeps dying, and is back to 1 s once it has stayed up for a minute. The other
children go on meanwhile, so the site keeps answering while the worker, the scheduler or Redis
comes back. The embedded Redis comes back on the same socket, with its data.

Nothing outlives `up`: each child runs in its own process group (a child's own children, such
as the worker's scheduler, are stopped with it, also when it dies), on Ctrl-C / SIGTERM they
are asked to stop, then killed if they linger, and on Linux they also die if `up` is killed
outright.
"""

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.services import founder_ensure
from console.demo import demo_load
from onepco import embedded
from onepco.lifetime import die_with_parent

STOP_GRACE_SECONDS = 10
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
# A child that stayed up this long is healthy again: its next restart waits FIRST_RESTART_DELAY.
STABLE_AFTER = 60.0
POLL_SECONDS = 0.3


class Child:
    """One supervised process: started, watched, started again after a growing pause."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.delay = 0.0  # the pause before the next restart; 0 while it has not failed
        self.restart_at = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            # Own session and process group: Ctrl-C reaches only `up`, which then stops each
            # child in order, and whatever a child forks is stopped with it.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.started_at = time.monotonic()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def died(self) -> int | None:
        """The exit code if the child has just died (the group's leftovers are killed)."""
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        self.kill_group()
        self.process = None
        now = time.monotonic()
        healthy = now - self.started_at >= STABLE_AFTER
        self.delay = (
            FIRST_RESTART_DELAY if healthy or not self.delay else min(self.delay * 2, MAX_RESTART_DELAY)
        )
        self.restart_at = now + self.delay
        return code

    def due(self) -> bool:
        return self.process is None and time.monotonic() >= self.restart_at

    def signal_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def kill_group(self) -> None:
        """What the child left behind (the RQ worker's forked scheduler) goes with it."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.process.wait()
        self.kill_group()
        self.process = None


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may well resolve to an address others can reach


def _refuse_development_beyond_loopback(host: str) -> None:
    """A development run is for this machine only: on any other address, anyone who reaches it
    sees tracebacks with the settings, and with the simulated provider takes a seat without
    paying (and with the published development SECRET_KEY could forge a session)."""
    if not settings.DEBUG or _is_loopback(host):
        return
    risks = ["DEBUG=true shows the code and settings on error pages"]
    if settings.PAYMENT_SIMULATED:
        risks.append("the simulated payment provider pays without money")
    if not os.environ.get("SECRET_KEY"):
        risks.append("the SECRET_KEY is the published development one")
    raise CommandError(
        f"refusing to listen on {host}: this run is in development mode ({'; '.join(risks)}). "
        "Bind to 127.0.0.1 (the default), or run it as a real site: set DEBUG=false, your own "
        "SECRET_KEY and PAYMENT_SIMULATED=false (see .env.example). "
        "To expose the development site anyway, add --allow-debug-on-network."
    )


def _is_unspecified(host: str) -> bool:
    """0.0.0.0 or :: (every address): not one a browser can open."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return not host


def _site_url_default(host: str, port: int) -> None:
    """Without SITE_URL in the environment (or .env), links in e-mails and the link builder
    point at the address this run serves, not at localhost:8000; the children inherit it."""
    if os.environ.get("SITE_URL"):
        return
    shown = "127.0.0.1" if _is_unspecified(host) else host
    url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    os.environ["SITE_URL"] = url
    settings.SITE_URL = url


class Command(BaseCommand):
    help = (
        "Run onepco: migrate, create the founder and the demo on first run, serve web + worker + scheduler."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Web port (default 8000).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--data-dir", help="Where the embedded engines and uploads live (default var/).")
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo business on first run."
        )
        parser.add_argument(
            "--allow-debug-on-network",
            action="store_true",
            help="Serve a development run (DEBUG, simulated payments) on an address other than loopback.",
        )

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        if not options["allow_debug_on_network"]:
            _refuse_development_beyond_loopback(host)
        if not _port_is_free(host, port):
            raise CommandError(f"port {port} on {host} is already in use; pick another with --port")
        _site_url_default(host, port)

        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        founder, first_run, password = founder_ensure(
            email=settings.FOUNDER_EMAIL, password=settings.FOUNDER_PASSWORD
        )
        if first_run and not options["no_demo"]:
            self.stdout.write("Loading the demo business…")
            demo_load()
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        if "FileSystemStorage" in settings.STORAGES["default"]["BACKEND"]:
            Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)

        # Catch Ctrl-C before the children exist: one pressed while they start must still stop
        # them cleanly, not leave `up` to die of a KeyboardInterrupt.
        self.stop_requested = False
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        children = self.start_children(host, port)
        self.print_banner(host, port, founder.email, password, first_run)
        sys.exit(self.supervise(children))

    def request_stop(self, signum, frame) -> None:
        self.stop_requested = True

    def start_children(self, host: str, port: int) -> list[Child]:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        children = []
        redis_command = embedded.redis_in_foreground()
        if redis_command:
            redis_child = Child("redis", redis_command, env)
            redis_child.start()
            self.wait_for_redis(redis_child)
            children.append(redis_child)
        commands = {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*manage, "rqworker", "default", "--with-scheduler"],
            "scheduler": [*manage, "rqcron", "console/cron.py"],
        }
        if settings.RQ_WORKER_CRON:  # the worker runs the schedule itself: a second would enqueue twice
            del commands["scheduler"]
        for name, command in commands.items():
            child = Child(name, command, env)
            child.start()
            children.append(child)
        return children

    def wait_for_redis(self, child: Child, timeout: float = 10) -> None:
        """The others start once the embedded Redis answers, so that none starts only to fail."""
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and child.running:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)

    def print_banner(self, host: str, port: int, email: str, password: str | None, first_run: bool) -> None:
        url = f"http://{host}:{port}/"
        lines = [
            "",
            self.style.SUCCESS("onepco is running"),
            f"  Site:       {url}",
            f"  Console:    {url}console/",
            f"  Founder:    {email}",
        ]
        if password:
            lines.append(f"  Password:   {password}   (shown once: note it down)")
        elif first_run:
            lines.append("  Password:   the one in FOUNDER_PASSWORD")
        else:
            lines.append(f"  Password:   as set before (forgot it? manage.py changepassword {email})")
        if os.environ.get("ONEPCO_EMBEDDED"):
            lines.append(f"  Data:       {settings.DATA_DIR} (embedded PostgreSQL and Redis)")
        lines += [
            "  E-mails (sign-in codes too) are printed in this terminal.",
            "  Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def supervise(self, children: list[Child]) -> int:
        while not self.stop_requested:
            for child in children:
                code = child.died()
                if code is not None:
                    self.stderr.write(
                        f"{child.name} stopped unexpectedly (exit code {code}); "
                        f"starting it again in {child.delay:.0f} s."
                    )
                elif child.due() and not self.stop_requested:
                    child.start()
                    self.stdout.write(f"{child.name} started again.")
            time.sleep(POLL_SECONDS)
        self.stdout.write("\nStopping…")
        self.stop_children(children)
        self.stdout.write("Stopped.")
        return 0

    def stop_children(self, children: list[Child]) -> None:
        """The web, the worker and the scheduler first (the worker tells Redis it stops), then
        Redis; each is killed if it lingers."""
        engines = [c for c in children if c.name == "redis"]
        for group in ([c for c in children if c not in engines], engines):
            for child in group:
                child.signal_group(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for child in group:
                child.stop(deadline)
