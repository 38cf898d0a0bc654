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

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "RESULTS.md"
DATABASES = {"large": "onepco_bench", "demo": "onepco_bench_demo"}


# --- orchestration ---------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ONEPCO_DATA_DIR", str(ROOT / "var" / "bench"))
    env["PYTHONPATH"] = str(ROOT)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    return env


def server_urls(env: dict[str, str]) -> dict[str, str]:
    """Start (or join) the engines once and learn their URLs, so every phase shares them."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; django.setup(); print(os.environ['DATABASE_URL']); print(os.environ['REDIS_URL'])",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    database_url, redis_url = out.stdout.strip().splitlines()[-2:]
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url}


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


def main() -> None:
    parser = argparse.ArgumentParser(description="onepco benchmarks")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", default="large", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--reuse-data", action="store_true", help="keep the databases of the last run")
    args = parser.parse_args()
    if args.phase:
        from bench import phases

        print(json.dumps(getattr(phases, args.phase.replace("-", "_"))(args), default=str))
        return

    env = base_env()
    env.update(server_urls(env))
    print("onepco benchmarks", flush=True)
    envs = {}
    for key, name in DATABASES.items():
        envs[key] = {**env, "DATABASE_URL": with_database(env["DATABASE_URL"], name)}
        if not args.reuse_data:
            recreate(env["DATABASE_URL"], name)
    results: dict = {"machine": machine()}
    if not args.reuse_data:
        results["data"] = phase("data", envs["large"], "--scale", str(args.scale))
        phase("demo", envs["demo"])
    results["backfill"] = phase("backfill", envs["large"])
    results["inprocess"] = {key: phase("inprocess", envs[key], "--db", key) for key in DATABASES}
    results["dashboard_page"] = {key: phase("dashboard-page", envs[key], "--db", key) for key in DATABASES}
    results["today"] = {key: phase("today", envs[key], "--db", key) for key in DATABASES}
    results["http"] = phase(
        "http", envs["large"], "--seconds", str(args.seconds), "--clients", str(args.clients)
    )
    (BENCH / "results.json").write_text(json.dumps(results, indent=2, default=str))
    from bench.report import write_report

    write_report(results, RESULTS)
    print(f"written {RESULTS.relative_to(ROOT)}")


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
    }


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


if __name__ == "__main__":
    main()
