"""The two deployment profiles the benchmark measures, read from the compose files themselves
(so that what is measured is what the founder runs):

- default: docker-compose.yml;
- small:   docker-compose.yml with docker-compose.small.yml over it (the 512 MB VPS).

A profile gives the PostgreSQL settings (the `-c name=value` of the postgres service), the
Redis options (`--maxmemory …` of the redis service) and the environment of the app services
(gunicorn's processes and threads, the allocator's arenas). The embedded PostgreSQL of a run
without DATABASE_URL is started with the profile's settings; an external one keeps its own
(the results say so), and an external Redis is given the profile's memory limit for the run.
"""

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "default": ["docker-compose.yml"],
    "small": ["docker-compose.yml", "docker-compose.small.yml"],
}
APP_SERVICES = ("web", "worker", "scheduler")
# The app's environment the benchmark passes on (the rest of compose's is about containers).
APP_KNOBS = (
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "WEB_PRELOAD",
    "MALLOC_ARENA_MAX",
    "MALLOC_TRIM_THRESHOLD_",
    "PYTHONMALLOC",
    "RQ_WORKER_NICE",
    "RQ_WORKER_CRON",
)


def _merged(names: list[str]) -> dict[str, Any]:
    """compose's own merge of override files, for what the benchmark reads: a service's
    command is replaced, its environment merged."""
    services: dict[str, dict[str, Any]] = {}
    for name in names:
        data = yaml.safe_load((ROOT / name).read_text())
        for service, spec in (data.get("services") or {}).items():
            into = services.setdefault(service, {})
            for key, value in spec.items():
                if key == "environment" and isinstance(value, dict):
                    into["environment"] = {**into.get("environment", {}), **value}
                else:
                    into[key] = value
    return services


def _options(command: list[str], flag: str) -> list[str]:
    return [command[i + 1] for i, word in enumerate(command[:-1]) if word == flag]


def postgres_settings(name: str) -> dict[str, str]:
    """{"shared_buffers": "64MB", …}: the postgres service's `-c` options."""
    command = _merged(FILES[name])["postgres"]["command"]
    return dict(option.split("=", 1) for option in _options(command, "-c"))


def redis_settings(name: str) -> dict[str, str]:
    """{"maxmemory": "64mb", "maxmemory-policy": "noeviction"}: the redis service's memory options."""
    command = _merged(FILES[name])["redis"]["command"]
    return {
        key: _options(command, f"--{key}")[0]
        for key in ("maxmemory", "maxmemory-policy")
        if f"--{key}" in command
    }


def app_env(name: str) -> dict[str, str]:
    """The knobs of the app services' environment, merged over web, worker and scheduler (each
    process reads only its own: RQ_WORKER_CRON is the worker's, WEB_* gunicorn's)."""
    services = _merged(FILES[name])
    env: dict[str, str] = {}
    for service in APP_SERVICES:
        for key, value in (services[service].get("environment") or {}).items():
            if key in APP_KNOBS:
                env[key] = str(value)
    return env


def runs_scheduler(name: str) -> bool:
    """Whether the profile starts the separate scheduler (rqcron): a service given `profiles`
    is started only when one of them is asked for, which the founder's command never does."""
    return not _merged(FILES[name])["scheduler"].get("profiles")


def describe(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "files": FILES[name],
        "postgres": postgres_settings(name),
        "redis": redis_settings(name),
        "app": app_env(name),
        "separate_scheduler": runs_scheduler(name),
    }
