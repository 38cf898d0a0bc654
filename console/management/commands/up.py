"""`manage.py up`: everything a newcomer needs, in one command.

Migrates, creates the founder on first run, loads the demo on first run, then runs the web
server, one RQ worker (with its scheduler, so retries work) and the rqcron scheduler as child
processes until Ctrl-C. The children share the database and Redis this process started (their
URLs are in the environment), and stop with it: on Ctrl-C / SIGTERM they are asked to stop,
then killed if they linger, and on Linux they also die if this process is killed outright.
"""

import contextlib
import ctypes
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.services import founder_ensure
from console.demo import demo_load

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 10


def _die_with_parent() -> None:
    """Runs in each child before exec: no orphans even if `up` is killed with SIGKILL."""
    # Elsewhere than Linux, Ctrl-C and SIGTERM still stop the children.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


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

    def start_children(self, host: str, port: int) -> dict[str, subprocess.Popen]:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        commands = {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*manage, "rqworker", "default", "--with-scheduler"],
            "scheduler": [*manage, "rqcron", "console/cron.py"],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return {
            name: subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                # Own session: Ctrl-C reaches only `up`, which then stops each child in order.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            for name, command in commands.items()
        }

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

    def supervise(self, children: dict[str, subprocess.Popen]) -> int:
        exit_code = 0
        while not self.stop_requested:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(
                        f"{name} stopped unexpectedly (exit code {child.returncode}); stopping everything."
                    )
                    self.stop_requested, exit_code = True, 1
                    break
            else:
                time.sleep(0.3)
        self.stdout.write("\nStopping…")
        self.stop_children(children)
        self.stdout.write("Stopped.")
        return exit_code

    def stop_children(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
