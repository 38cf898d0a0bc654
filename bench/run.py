"""The benchmark suite: one command, results in bench/RESULTS.md.

    uv run python -m bench.run [--scale 1.0] [--seconds 15] [--clients 50]

With DATABASE_URL / REDIS_URL set it uses those servers (databases `onepco_bench` and
`onepco_bench_demo` are created fresh on the same PostgreSQL); without them it starts its own
embedded engines under var/bench/. Each phase runs in its own process:

1. data       — the large dataset (bench.dataset) and, beside it, the demo business;
2. backfill   — 156 weekly snapshots of the large dataset;
   inprocess  — dashboard API latency and queries on a live week (large vs demo), list-page
                query counts (large vs demo);
   dashboard-page — the 经营看板 page: the last complete week, the running week and a live
                past week, median of 30 and queries (large vs demo);
   today      — 今天 (GET /console/): median and queries, large vs demo;
3. http       — gunicorn with production's settings (onepco/gunicorn.py), an RQ worker and the
                scheduler. Saturated with wrk (50 connections back to back): the lead API
                against a raw-INSERT view and a bare "ok" view, for throughput. Paced with
                bench/paced.py (50 clients, random think times, a fixed offered load), for
                latency. 1 MB homework uploads both ways, 20 signed payment notifications at
                once, a 100 MB upload, and the memory of every process (peak PSS sampled once
                a second during the load).
   worker-memory, broadcast (small profile) — one long-lived RQ worker: its memory around a
                big CSV import and a full export, and around a broadcast of 5,000 e-mails sent
                over SMTP to a local sink (time, memory, nobody delivered twice).

BENCH_GUNICORN_EXTRA adds gunicorn options for an experiment, e.g. "--threads 2". What was
found and changed with it is in bench/NOTES.md, which RESULTS.md includes.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import profiles

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# BENCH_DATABASE names them on a shared PostgreSQL (default onepco_bench, onepco_bench_demo).
PREFIX = os.environ.get("BENCH_DATABASE", "onepco_bench")
DATABASES = {"large": PREFIX, "demo": f"{PREFIX}_demo"}


# --- orchestration ---------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ONEPCO_DATA_DIR", str(ROOT / "var" / "bench"))
    env["PYTHONPATH"] = str(ROOT)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    return env


def server_urls(env: dict[str, str], profile: str) -> dict[str, str]:
    """The engines every phase shares: DATABASE_URL / REDIS_URL when set, otherwise embedded
    ones started here and held by this process for the whole run (pgserver stops its server
    with the last handle, so a child that started it would take it down when it exits). The
    embedded PostgreSQL runs with the profile's settings, and Redis gets its memory limit."""
    data_dir = Path(env["ONEPCO_DATA_DIR"])
    urls = {
        "DATABASE_URL": env.get("DATABASE_URL") or embedded_postgres(data_dir, profile),
        "REDIS_URL": env.get("REDIS_URL") or embedded_redis(data_dir),
    }
    redis_limits(urls["REDIS_URL"], profile)
    return urls


def redis_limits(url: str, profile: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key, value in profiles.redis_settings(profile).items():
        client.config_set(key, value)


_engines: list = []  # held until this process exits: dropping a handle stops its server


def embedded_postgres(data_dir: Path, profile: str) -> str:
    """pgserver's PostgreSQL under data_dir/pg, restarted once if the profile's settings need it."""
    import logging
    import warnings

    import psycopg

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver

    pgdata = data_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM RESET ALL")
        for key, value in profiles.postgres_settings(profile).items():
            conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)
        pending = conn.execute("SELECT count(*) FROM pg_settings WHERE pending_restart").fetchone()[0]
    if pending:
        server.cleanup()  # the last handle: stops it
        server = pgserver.get_server(pgdata)
    _engines.append(server)
    return server.get_uri()


def embedded_redis(data_dir: Path) -> str:
    from onepco import embedded

    return embedded.start_redis(data_dir)


def with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate(url: str, name: str) -> None:
    import psycopg

    admin = with_database(url, "postgres")
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def phase(name: str, env: dict[str, str], *args: str) -> dict:
    """Run one phase in a child process; it prints one JSON line last."""
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "bench.run", "--phase", name, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(out.stderr[-4000:] if out.returncode else "")
    if out.returncode:
        raise SystemExit(f"phase {name} failed:\n{out.stdout[-2000:]}")
    print(f"  {name} {' '.join(args)} done in {time.monotonic() - started:.0f} s", flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --quick: every phase on a tiny dataset for a few seconds (the test suite starts it so);
# the numbers mean nothing, the run proves the benchmark works.
QUICK = {
    "scale": 0.01,
    "seconds": 2,
    "clients": 4,
    "soak_minutes": 0.25,
    "import_rows": 2_000,
    "broadcast_recipients": 300,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="onepco benchmarks")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", default="large", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", default="default", choices=sorted(profiles.FILES), help=argparse.SUPPRESS
    )
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--soak-minutes",
        type=float,
        default=10,
        help="length of the small profile's soak at a solo founder's rate (the full proof: 60)",
    )
    parser.add_argument("--import-rows", type=int, default=50_000, help="rows of the worker-memory import")
    parser.add_argument(
        "--broadcast-recipients", type=int, default=5_000, help="recipients of the broadcast phase's e-mail"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny, seconds-long run that proves the bench works"
    )
    parser.add_argument("--out", help="folder for RESULTS.md, results.json and the logs (default bench/)")
    parser.add_argument("--reuse-data", action="store_true", help="keep the databases of the last run")
    parser.add_argument(
        "--only",
        choices=["http", "soak"],
        help="only this phase, of each profile that has it (--profiles), on a fresh dataset or with "
        "--reuse-data the last run's; writes logs/<phase>-….json instead of RESULTS.md",
    )
    parser.add_argument(
        "--profiles", default="default,small", help="with --only: the profiles, comma-separated"
    )
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.phase:
        from bench import phases

        print(json.dumps(getattr(phases, args.phase.replace("-", "_"))(args), default=str))
        return

    out = Path(args.out).resolve() if args.out else BENCH
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = base_env()
    embedded = not env.get("DATABASE_URL")
    env.update(server_urls(env, "default"))
    print("onepco benchmarks", flush=True)
    envs = {}
    for key, name in DATABASES.items():
        envs[key] = {**env, "DATABASE_URL": with_database(env["DATABASE_URL"], name)}
        if not args.reuse_data:
            recreate(env["DATABASE_URL"], name)
    results: dict = {"machine": machine(), "quick": args.quick, "embedded_postgres": embedded}
    if args.only:
        only(args, env, envs, logs, results)
        return
    if not args.reuse_data:
        results["data"] = phase("data", envs["large"], "--scale", str(args.scale))
        phase("demo", envs["demo"])
    results["backfill"] = phase("backfill", envs["large"])
    results["inprocess"] = {key: phase("inprocess", envs[key], "--db", key) for key in DATABASES}
    results["dashboard_page"] = {key: phase("dashboard-page", envs[key], "--db", key) for key in DATABASES}
    results["today"] = {key: phase("today", envs[key], "--db", key) for key in DATABASES}
    results["pages"] = {
        key: phase("pages", envs[key], "--db", key, *(["--quick"] if args.quick else [])) for key in DATABASES
    }
    load = ["--seconds", str(args.seconds), "--clients", str(args.clients)]
    results["profiles"] = {}
    for name in ("default", "small"):
        if embedded:  # restarted with the profile's settings (an external one keeps its own)
            embedded_postgres(Path(env["ONEPCO_DATA_DIR"]), name)
        redis_limits(env["REDIS_URL"], name)
        large = {**envs["large"], "DATABASE_URL": with_database(env["DATABASE_URL"], DATABASES["large"])}
        log = lambda what, name=name: str(logs / f"gunicorn-{name}-{what}.log")  # noqa: E731
        measured: dict = {"profile": profiles.describe(name), "postgres_settings_applied": embedded}
        measured["http"] = phase("http", large, *load, "--profile", name, "--log", log("http"))
        if name == "small":
            measured["soak"] = phase(
                "soak",
                large,
                "--soak-minutes",
                str(args.soak_minutes),
                "--profile",
                name,
                "--log",
                log("soak"),
            )
            # The worker's jobs are the same in both profiles: measured once, in the small one.
            measured["worker_memory"] = phase(
                "worker-memory", large, "--import-rows", str(args.import_rows), "--profile", name
            )
            measured["broadcast"] = phase(
                "broadcast",
                large,
                "--broadcast-recipients",
                str(args.broadcast_recipients),
                "--profile",
                name,
            )
        results["profiles"][name] = measured
    results["http"] = results["profiles"]["default"]["http"]
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    from bench.report import write_report

    write_report(results, out / "RESULTS.md")
    print(f"written {out / 'RESULTS.md'}")
    answered, logged = server_errors(results)
    if answered or logged:  # a 5xx fails its row, and the run: the logs say why
        raise SystemExit(
            f"{answered} 5xx answers, {logged} errors logged in the run; gunicorn's logs: {logs}"
        )


def only(args, env: dict[str, str], envs: dict[str, dict[str, str]], logs: Path, results: dict) -> None:
    """One phase of the chosen profiles, alone (the hour-long soak: `--only soak --soak-minutes
    60 --profiles small --reuse-data`). Each profile's result goes to its own JSON beside the
    gunicorn logs; a 5xx or a logged error fails the run as in the full one."""
    if not args.reuse_data:
        results["data"] = phase("data", envs["large"], "--scale", str(args.scale))
    large = envs["large"]
    answered = logged = 0
    for name in args.profiles.split(","):
        if args.only == "soak" and name != "small":
            continue  # the soak is the small profile's
        if results["embedded_postgres"]:  # restarted with the profile's settings
            embedded_postgres(Path(env["ONEPCO_DATA_DIR"]), name)
        redis_limits(env["REDIS_URL"], name)
        log = str(logs / f"gunicorn-{name}-{args.only}.log")
        if args.only == "soak":
            run = phase(
                "soak", large, "--soak-minutes", str(args.soak_minutes), "--profile", name, "--log", log
            )
            target = logs / f"soak-{args.soak_minutes:g}min-{name}.json"
            codes = run["codes"]
        else:
            load = ["--seconds", str(args.seconds), "--clients", str(args.clients)]
            run = phase("http", large, *load, "--profile", name, "--log", log)
            target = logs / f"http-{name}.json"
            from bench.report import _codes

            codes = _codes(run)
        target.write_text(json.dumps({"machine": results["machine"], **run}, indent=1, default=str))
        print(f"written {target}")
        answered += sum(n for code, n in codes.items() if code.startswith("5"))
        logged += len(run.get("server_errors") or [])
    if answered or logged:
        raise SystemExit(f"{answered} 5xx answers, {logged} errors logged; gunicorn's logs: {logs}")


def server_errors(results: dict) -> tuple[int, int]:
    """(5xx answers, errors in gunicorn's logs) of every HTTP run and soak, in every profile."""
    from bench.report import _codes

    answered = logged = 0
    for measured in results.get("profiles", {}).values():
        runs = [measured["http"]] + ([measured["soak"]] if "soak" in measured else [])
        for run in runs:
            codes = _codes(run) if run is measured["http"] else run["codes"]
            answered += sum(n for code, n in codes.items() if code.startswith("5"))
            logged += len(run.get("server_errors") or [])
    return answered, logged


def machine() -> dict:
    import psutil

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        # Other work on the machine moves every figure: its load as the run starts.
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


if __name__ == "__main__":
    main()
