"""The benchmark as a newcomer runs it: no DATABASE_URL, no REDIS_URL, embedded engines held by
the orchestrating process for the whole run (issue 20). `--quick` runs every phase on a tiny
dataset for a few seconds; the numbers mean nothing, the run proves the benchmark works."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the benchmark needs wrk (apt-get install wrk)")
def test_the_quick_benchmark_runs_on_embedded_engines_from_start_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ONEPCO_EMBEDDED")}
    env["ONEPCO_DATA_DIR"] = str(tmp_path / "data")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert results["embedded_postgres"] is True
    # Every phase ran against the same engines, which stayed up between phases.
    assert results["data"]["counts"]["crm.lead"] > 0
    assert results["data"]["counts"]["crm.contentpiece"] == results["data"]["counts"]["crm.trackedlink"] > 0
    pages = results["pages"]["large"]
    assert len(pages) == 16
    assert {page["status"] for page in pages.values()} == {200}
    for name in ("default", "small"):
        measured = results["profiles"][name]
        assert measured["postgres_settings_applied"] is True
        assert measured["http"]["leads"]["codes"].get("201", 0) > 0
        assert measured["http"]["memory_peak_under_load"]["postgres_pss_mb"] > 0
        assert (out / "logs" / f"gunicorn-{name}-http.log").read_text().count("Booting worker") >= 1
    # The small profile's stack really ran with one gunicorn process.
    assert len(results["profiles"]["small"]["http"]["memory_after_load"]["gunicorn_workers_mb"]) == 1
    assert results["profiles"]["small"]["soak"]["requests"] > 0
    # Every Python process of the stack is counted, children too: the default profile's worker
    # forks RQ's scheduler and runs rqcron beside it; the small one runs both inside the worker.
    default = results["profiles"]["default"]["http"]["memory_after_load"]["python_by_process_pss_mb"]
    small = results["profiles"]["small"]["http"]["memory_after_load"]["python_by_process_pss_mb"]
    assert default["rq_worker_children"] > 0 and default["scheduler"] > 0
    assert small["rq_worker_children"] == small["scheduler"] == 0 and small["rq_worker"] > 0
    assert results["profiles"]["small"]["profile"]["separate_scheduler"] is False
    series = results["profiles"]["small"]["soak"]["series"]
    assert series and {"total", "py.gunicorn_workers", "py.rq_worker"} <= set(series[0])
    assert results["profiles"]["small"]["worker_memory"]["rows"] > 0
    sent = results["profiles"]["small"]["broadcast"]
    assert sent["delivered"] == sent["recipients"] > 0 and sent["delivered_twice"] == 0
    report = (out / "RESULTS.md").read_text()
    assert "Console page grading queue" in report and "small profile" in report
    assert "Console page content and return" in report and "Console page across cohorts" in report
    # Its logs are named as RESULTS.md reaches them, never by this machine's path.
    assert "`logs/gunicorn-default-http.log`" in report and str(tmp_path) not in report


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the benchmark needs wrk (apt-get install wrk)")
def test_the_soak_runs_alone_and_leaves_its_log_with_every_process_series(tmp_path):
    """`--only soak` (the hour-long proof is `--only soak --soak-minutes 60 --profiles small`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ONEPCO_EMBEDDED")}
    env["ONEPCO_DATA_DIR"] = str(tmp_path / "data")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only", "soak", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    soak = json.loads((out / "logs" / "soak-0.25min-small.json").read_text())
    assert soak["profile"] == "small" and soak["requests"] > 0 and soak["server_errors"] == []
    assert soak["series"] and soak["series"][0]["py.scheduler"] == 0  # the worker runs the cron
    assert not (out / "RESULTS.md").exists()
