"""No Docker engine runs here, so the production compose file is checked by reading it."""

import re
import runpy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "onepco" / "settings.py").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def settings_read() -> set[str]:
    return set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", SETTINGS_SOURCE))


def test_compose_runs_the_five_services():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "scheduler"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_the_app_services_run_gunicorn_the_worker_with_its_scheduler_and_rqcron():
    services = compose()["services"]
    assert "gunicorn onepco.wsgi" in command_of(services["web"])
    assert "migrate" in command_of(services["web"])
    assert command_of(services["worker"]) == "python manage.py rqworker default --with-scheduler"
    assert command_of(services["scheduler"]) == "python manage.py rqcron console/cron.py"
    assert (ROOT / "console" / "cron.py").exists()


def test_every_service_has_a_healthcheck_or_waits_for_healthy_dependencies():
    services = compose()["services"]
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_data_lives_in_named_volumes():
    data = compose()
    assert {"pgdata", "media", "redisdata"} <= set(data["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in data["services"]["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/data/media" in data["services"][name]["volumes"]
        assert data["services"][name]["environment"]["MEDIA_ROOT"] == "/data/media"


def test_app_services_are_configured_from_env_and_the_urls_settings_read():
    services = compose()["services"]
    for name in ("web", "worker", "scheduler"):
        service = services[name]
        assert service["env_file"] == ".env"
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert set(environment) <= settings_read()


def test_every_setting_read_from_the_environment_is_documented_and_vice_versa():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    compose_only = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "WEB_PORT"}
    gunicorn = set(
        re.findall(r'os\.environ\.get\("([A-Z_]+)"', (ROOT / "onepco" / "gunicorn.py").read_text())
    )
    assert gunicorn == {"WEB_CONCURRENCY", "WEB_THREADS", "WEB_PRELOAD"}
    assert (settings_read() | gunicorn) - documented == set()
    assert documented - settings_read() - compose_only - gunicorn == set()


def test_the_image_serves_with_gunicorn_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic" in dockerfile
    assert 'CMD ["gunicorn", "onepco.wsgi"' in dockerfile


def test_the_web_server_runs_with_the_settings_file_the_benchmark_measures():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert command_of(compose()["services"]["web"]).endswith("gunicorn onepco.wsgi -c onepco/gunicorn.py")
    assert 'CMD ["gunicorn", "onepco.wsgi", "-c", "onepco/gunicorn.py"]' in dockerfile
    assert '"onepco/gunicorn.py"' in (ROOT / "bench" / "phases.py").read_text()
    config = runpy.run_path(str(ROOT / "onepco" / "gunicorn.py"))
    assert (config["worker_class"], config["preload_app"]) == ("gthread", True)
    assert config["workers"] * config["threads"] >= 4 and config["max_requests"] >= 1000


def test_gunicorn_is_published_to_this_machine_only_for_the_reverse_proxy():
    assert compose()["services"]["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8000"]


def small_profile() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.small.yml").read_text())


def test_the_small_profile_only_resizes_the_five_services():
    """docker-compose.small.yml goes over docker-compose.yml (issue 20): sizes only, no new
    service, no image, volume or command of the app changed."""
    services = small_profile()["services"]
    assert set(services) <= set(compose()["services"])
    for name in ("web", "worker"):
        assert set(services[name]) <= {"environment"}, name
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "1"


def test_the_small_profile_runs_the_schedule_in_the_worker_and_no_separate_scheduler():
    """One Python process fewer (bench/RESULTS.md): the worker runs console/cron.py itself
    (onepco/worker.py), and the scheduler service is left to a compose profile nobody enables.
    The default profile keeps its separate rqcron and a worker that runs no cron."""
    from bench import profiles

    services = small_profile()["services"]
    assert services["worker"]["environment"]["RQ_WORKER_CRON"] == "console/cron.py"
    assert set(services["scheduler"]) == {"profiles"} and services["scheduler"]["profiles"]
    assert "RQ_WORKER_CRON" not in (services["web"].get("environment") or {})
    assert (profiles.runs_scheduler("small"), profiles.runs_scheduler("default")) == (False, True)
    assert "RQ_WORKER_CRON" not in (compose()["services"]["worker"].get("environment") or {})
    assert "profiles" not in compose()["services"]["scheduler"]


def test_the_small_profile_gives_postgresql_enough_connections_for_the_real_pool():
    """max_connections matched to the pool: one connection per gunicorn thread, the worker, its
    scheduler, rqcron, and room for manage.py commands and a backup."""
    from bench import profiles

    settings = profiles.postgres_settings("small")
    app = profiles.app_env("small")
    web = int(app["WEB_CONCURRENCY"]) * int(app["WEB_THREADS"])
    assert int(settings["max_connections"]) >= web + 3 + 5
    assert settings["shared_buffers"].endswith("MB") and int(settings["shared_buffers"][:-2]) < 64
    assert profiles.redis_settings("small")["maxmemory"] == "32mb"
    # The default profile is docker-compose.yml alone.
    assert profiles.postgres_settings("default")["shared_buffers"] == "64MB"
    assert profiles.app_env("default") == {}
