"""The phases of bench.run, each run in its own process (see bench/run.py)."""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_LOG = Path(tempfile.gettempdir()) / "onepco-bench-gunicorn.log"
LIVE_WEEK = "2026-W47"
# The fixed offered loads of the latency runs, per client (50 clients): 100 signups a second
# and 10 one-megabyte homework uploads a second, each far beyond a solo business's peak.
LEADS_RATE_PER_CLIENT = 2.0
UPLOADS_RATE_PER_CLIENT = 0.2  # the dataset's last full week; no snapshot exists before the backfill


def setup() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def founder():
    from accounts.models import User

    user = User.objects.filter(is_staff=True).first()
    return user or User.objects.create_superuser(email="bench-founder@example.com", password="bench")


def data(args) -> dict:
    setup()
    from bench.dataset import generate

    started = time.monotonic()
    counts = generate(scale=args.scale, out=lambda line: print(line, file=sys.stderr))
    return {"counts": counts, "seconds": round(time.monotonic() - started, 1)}


def demo(args) -> dict:
    setup()
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    return {}


def timed_get(client, url: str, runs: int) -> tuple[float, int, int]:
    """(median seconds, SQL queries of one request, status)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates, caches
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    count = len(queries)  # read now: the slice is taken lazily from the connection's log
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), count, status


def list_pages() -> list[tuple[str, str]]:
    """(who, url) of every list page, with objects that exist in both datasets."""
    from cohorts.models import Cohort, Enrollment

    cohort = Cohort.objects.order_by("-starts_on").first()
    enrollment = Enrollment.objects.filter(cohort=cohort, status="active").select_related("student").first()
    pages = [
        ("founder", "/console/"),
        ("founder", "/console/leads/"),
        ("founder", "/console/orders/"),
        ("founder", "/console/cohorts/"),
        ("founder", f"/console/cohorts/{cohort.pk}/"),
        ("founder", "/console/grading/"),
        ("founder", "/console/dashboard/"),
    ]
    if enrollment:
        pages += [
            ("founder", f"/console/students/{enrollment.student_id}/"),
            ("student", "/learn/"),
            ("student", f"/learn/cohorts/{cohort.pk}/"),
            ("student", "/learn/progress/"),
        ]
    return pages


def inprocess(args) -> dict:
    setup()  # the first phase to open each database (the demo's too): migrated, as backfill
    from django.conf import settings
    from django.test import Client

    from cohorts.models import Cohort, Enrollment
    from dashboard.models import WeeklyMetrics
    from onepco.weeks import Week

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    staff = Client()
    staff.force_login(founder())
    cohort = Cohort.objects.order_by("-starts_on").first()
    enrollment = (
        Enrollment.objects.filter(cohort=cohort, status="active").select_related("student__user").first()
    )
    learner = Client()
    if enrollment:
        learner.force_login(enrollment.student.user)

    # Pages first, with every past week snapshotted as on a running instance (the backfill ran).
    pages = {}
    for who, url in list_pages():
        seconds, count, status = timed_get(staff if who == "founder" else learner, url, runs=3)
        pages[re.sub(r"/\d+/", "/<id>/", url)] = {
            "queries": count,
            "status": status,
            "ms": round(seconds * 1000, 1),
        }

    # Then the API on a live week (no snapshot): the dataset's last full week, and a week of the
    # demo business older than the twelve it snapshots when it loads.
    week = LIVE_WEEK if args.db == "large" else Week.current().shifted(-13).label
    WeeklyMetrics.objects.filter(week=week).delete()
    seconds, queries, status = timed_get(staff, f"/api/dashboard/weekly?week={week}", runs=30)
    source = staff.get(f"/api/dashboard/weekly?week={week}").json().get("source")
    dashboard = {
        "median_ms": round(seconds * 1000, 1),
        "queries": queries,
        "status": status,
        "source": source,
    }
    return {"dashboard": dashboard, "pages": pages}


# The 经营看板 page (issue 14): what the founder opens every Monday, and the running week.
DASHBOARD_PAGE_RUNS = 30


def dashboard_page(args) -> dict:
    """GET /console/dashboard/ as the founder: the default (the last complete week, frozen),
    the running week (本周至今, live and partial) and a past week answered live (no snapshot),
    each its median over 30 runs and its SQL queries."""
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from dashboard.models import WeeklyMetrics
    from dashboard.services import weekly_metrics_snapshot
    from onepco.weeks import Week

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum keeps them on a running instance
    staff = Client()
    staff.force_login(founder())
    # Every ended week frozen, as the Monday job leaves them (the inprocess phase unfroze one),
    # then one past week unfrozen again for the live measurement, last: the dataset's last full
    # week, or the demo's last week (its twelve weeks before are frozen, as the large one's are).
    live = Week.parse(LIVE_WEEK) if args.db == "large" else Week.current().previous()
    weekly_metrics_snapshot(week=live)
    pages = {
        "last complete week": "/console/dashboard/",
        "running week": f"/console/dashboard/?week={Week.current().label}",
        "past week, live": f"/console/dashboard/?week={live.label}",
    }
    out = {}
    for name, url in pages.items():
        if name == "past week, live":
            WeeklyMetrics.objects.filter(week=live.label).delete()
        seconds, queries, status = timed_get(staff, url, runs=DASHBOARD_PAGE_RUNS)
        out[name] = {"ms": round(seconds * 1000, 1), "queries": queries, "status": status}
    return out


# Every console page the founder opens (issue 20), each its median and p95 over this many runs.
PAGES_RUNS = 30
PAGE_MEDIAN_MS, PAGE_P95_MS = 150, 300


def console_pages() -> dict[str, str]:
    """{name: url} of every console page, on the fullest objects the dataset has: the newest
    cohort that has students, its latest lesson, the newest lead, order and submission."""
    from django.db.models import Count

    from billing.models import Order
    from cohorts.models import Cohort, Enrollment, Lesson, Submission
    from crm.models import Lead

    cohort = (
        Cohort.objects.annotate(n=Count("enrollments")).filter(n__gt=0).order_by("-starts_on", "-pk").first()
    )
    lesson = Lesson.objects.filter(cohort=cohort).order_by("-starts_at").first()
    student = (
        Enrollment.objects.filter(cohort=cohort).order_by("pk").values_list("student_id", flat=True).first()
    )
    lead = Lead.objects.order_by("-pk").first()
    order = Order.objects.order_by("-pk").first()
    submission = Submission.objects.order_by("-pk").first()
    return {
        "今天": "/console/",
        "leads": "/console/leads/",
        "a lead": f"/console/leads/{lead.pk}/",
        "orders": "/console/orders/",
        "an order": f"/console/orders/{order.number}/",
        "cohorts": "/console/cohorts/",
        "a cohort": f"/console/cohorts/{cohort.pk}/",
        "attendance": f"/console/lessons/{lesson.pk}/attendance/",
        "grading queue": "/console/grading/",
        "a submission": f"/console/submissions/{submission.pk}/",
        "assessments": f"/console/cohorts/{cohort.pk}/assessments/",
        "dashboard": "/console/dashboard/",
        "content and return": "/console/leads/pieces/?weeks=12",
        "across cohorts": f"/console/dashboard/courses/{cohort.course_id}/",
        "a student": f"/console/students/{student}/",
        "system": "/console/system/",
    }


def pages(args) -> dict:
    """Every console page as the founder: median and p95 of PAGES_RUNS gets, and its queries."""
    setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dashboard.services import weekly_metrics_snapshot
    from onepco.weeks import Week

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum keeps the statistics on a running instance
    follow_ups_planned()
    # Every ended week frozen, as the Monday job leaves them: the earlier phases each unfroze one
    # to measure it live (the dashboard would compute it again in 7 more queries).
    for week in {Week.parse(LIVE_WEEK), Week.current().previous()}:
        weekly_metrics_snapshot(week=week)
    staff = Client()
    staff.force_login(founder())
    runs = 3 if args.quick else PAGES_RUNS
    out = {}
    for name, url in console_pages().items():
        staff.get(url)  # warm: templates, caches
        with CaptureQueriesContext(connection) as queries:
            status = staff.get(url).status_code
        count = len(queries)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            staff.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        out[name] = {
            "url": url,
            "status": status,
            "queries": count,
            "median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
        }
    return out


def follow_ups_planned() -> int:
    """Give one lead in a hundred a next follow-up date, from 30 days ago to 30 days on, as a
    founder who uses 今天 would have them (the dataset predates the field). Idempotent."""
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Lead

    if Lead.objects.filter(next_follow_up_on__isnull=False).exists():
        return 0
    ids = list(Lead.objects.filter(is_spam=False).order_by("pk").values_list("pk", flat=True))[::100]
    today = timezone.localdate()
    for offset in range(61):
        Lead.objects.filter(pk__in=ids[offset::61]).update(
            next_follow_up_on=today + timedelta(days=offset - 30)
        )
    return len(ids)


def today(args) -> dict:
    """GET /console/ (今天, the founder's home): median of 30 and its SQL queries, with what its
    lists held."""
    setup()
    from django.conf import settings
    from django.test import Client

    from console.today import today_overview

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    planned = follow_ups_planned()
    staff = Client()
    staff.force_login(founder())
    seconds, queries, status = timed_get(staff, "/console/", runs=30)
    overview = today_overview()
    lists = {
        name: overview[name].count
        for name in ("follow_ups", "consultations", "transfers", "expiring", "grading", "at_risk")
    }
    return {
        "median_ms": round(seconds * 1000, 1),
        "queries": queries,
        "status": status,
        "lists": lists,
        "follow_ups_planned": planned,
    }


def backfill(args) -> dict:
    setup()  # migrated: with --reuse-data the databases may come from an older checkout
    from dashboard.models import WeeklyMetrics
    from dashboard.services import weekly_metrics_backfill
    from onepco.weeks import Week

    first, last = Week.parse("2023-W48"), Week.parse(LIVE_WEEK)
    started = time.monotonic()
    weekly_metrics_backfill(first=first, last=last)
    seconds = time.monotonic() - started
    weeks = WeeklyMetrics.objects.filter(week__gte=first.label, week__lte=last.label).count()
    # Untimed: the weeks that ended between the dataset's last week and today, as the Monday
    # job would have frozen them on a running instance (the pages are measured on that state).
    weekly_metrics_backfill(first=last.next(), last=Week.current().previous())
    # The daily backup is off here: on a fresh dataset it is due at once, and the three-year
    # archive (minutes of work) would hold the worker inside whichever phase met the scheduler's
    # next tick, failing that phase's wait for its follow-up jobs. Backups have their own drill.
    from console.models import BackupSchedule

    BackupSchedule.objects.filter(pk=BackupSchedule.current().pk).update(enabled=False)
    return {"weeks": weeks, "seconds": round(seconds, 1)}


# --- the HTTP phase --------------------------------------------------------------------------


RECORD_START = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\[\d{4}-\d\d-\d\d )")


def logged_errors(text: str) -> list[str]:
    """Every ERROR / CRITICAL record of a log (Django's format or gunicorn's), each as its first
    line and, for a traceback, its last (the exception)."""
    records: list[list[str]] = []
    for line in text.splitlines():
        if RECORD_START.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    out = []
    for lines in records:
        head = lines[0]
        if " ERROR " in head or " CRITICAL " in head or "[ERROR]" in head or "[CRITICAL]" in head:
            tail = next((line.strip() for line in reversed(lines[1:]) if line.strip()), "")
            out.append(f"{head} … {tail}" if tail else head)
    return out


def profile_env(name: str) -> dict[str, str]:
    """The app services' environment of a deployment profile (bench/profiles.py)."""
    from bench import profiles

    return profiles.app_env(name)


def runs_scheduler(name: str) -> bool:
    from bench import profiles

    return profiles.runs_scheduler(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """gunicorn (with production's settings), one RQ worker and the scheduler, as child
    processes, in a profile's environment. gunicorn's error log (Django's errors included:
    bench.settings logs them to stderr) goes to `log`, the worker's and the scheduler's beside it."""

    def __init__(self, env: dict[str, str], port: int, log: Path | None = None, *, scheduler: bool = True):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log or GUNICORN_LOG
        self.log.parent.mkdir(parents=True, exist_ok=True)
        manage = [sys.executable, "manage.py"]
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.web = subprocess.Popen(
            [
                gunicorn,
                "bench.wsgi",
                "-c",
                "onepco/gunicorn.py",  # production's settings
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "/dev/null",
                *os.environ.get("BENCH_GUNICORN_EXTRA", "").split(),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),  # a pipe nobody reads would stall gunicorn once full
        )
        self.worker = subprocess.Popen(
            [*manage, "rqworker", "default", "--with-scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.with_suffix(".worker.log").open("w"),
        )
        # A profile whose worker runs the cron itself (RQ_WORKER_CRON) starts no rqcron.
        self.scheduler = (
            subprocess.Popen(
                [*manage, "rqcron", "console/cron.py"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=self.log.with_suffix(".scheduler.log").open("w"),
            )
            if scheduler
            else None
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                import urllib.request

                urllib.request.urlopen(f"{self.url}/bench/ok", data=b"", timeout=2)  # noqa: S310 - our server
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer")

    def errors(self) -> list[str]:
        """The server errors in gunicorn's log: each logged error's first line and its
        exception's last line (the cause)."""
        return logged_errors(self.log.read_text(errors="replace"))

    def stop(self) -> None:
        processes = [p for p in (self.web, self.worker, self.scheduler) if p is not None]
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def web_workers(self) -> list:
        import psutil

        return psutil.Process(self.web.pid).children()


def wrk(url: str, path: str, kind: str, seconds: int, clients: int, **env: str) -> dict:
    """One wrk run with bench/post.lua; status counts, p50/p99 (ms) and requests per second."""
    script = ROOT / "bench" / "post.lua"
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
        env={**os.environ, "BENCH_PATH": path, "BENCH_KIND": kind, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    codes = json.loads(re.search(r"CODES (\{.*\})", out).group(1))
    return {
        "codes": codes,
        "p50_ms": int(re.search(r"P50 (\d+)", out).group(1)) / 1000,
        "p99_ms": int(re.search(r"P99 (\d+)", out).group(1)) / 1000,
        "rps": float(re.search(r"RPS ([\d.]+)", out).group(1)),
    }


def rss_mb(pid: int) -> float:
    """A process's resident memory; 0 for one that ended meanwhile (a recycled web worker)."""
    import psutil

    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except psutil.NoSuchProcess:
        return 0.0


def pss_bytes(pid: int) -> int:
    import psutil

    try:
        return psutil.Process(pid).memory_full_info().pss
    except psutil.NoSuchProcess:
        return 0


def http(args) -> dict:
    setup()
    from django.db import connection

    from bench.urls import TABLE
    from crm.models import Lead

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, created_at timestamptz)"
        )
    from bench.notify import SECRET

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "STRIPE_SECRET_KEY": "sk_test_bench_only",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "UPLOAD_MAX_MB": "200",  # the 100 MB upload
    }
    env.update(profile_env(args.profile))
    stack = Stack(
        env, free_port(), Path(args.log) if args.log else None, scheduler=runs_scheduler(args.profile)
    )
    result: dict = {
        "profile": args.profile,
        "log": str(stack.log.relative_to(ROOT)) if stack.log.is_relative_to(ROOT) else str(stack.log),
    }
    peak = PeakMemory(lambda: stack_memory(stack), key="total_mb", every=1.0)
    try:
        run = lambda path, kind, **extra: wrk(stack.url, path, kind, args.seconds, args.clients, **extra)  # noqa: E731
        # Saturation: every client sends its next request as soon as the last is answered.
        result["ok"] = run("/bench/ok", "empty")
        result["insert"] = run("/bench/insert", "empty")
        before = Lead.objects.count()
        result["leads"] = run("/api/leads", "json-lead")
        result["leads"]["rows_saved"] = count_when_quiet(Lead) - before
        wait_for_background_work()
        # Latency: the same number of clients at a fixed offered load well inside what the
        # server takes (at saturation p99 measures the queue in front of the workers).
        from bench.paced import paced

        before = Lead.objects.count()
        result["leads_paced"] = paced(
            stack.url,
            "/api/leads",
            lead_request,
            clients=args.clients,
            rate_per_client=LEADS_RATE_PER_CLIENT,
            seconds=args.seconds,
        )
        result["leads_paced"]["rows_saved"] = Lead.objects.count() - before
        wait_for_background_work()
        uploads = submissions_load(stack, args)
        result["submissions"], result["submissions_paced"] = uploads["saturated"], uploads["paced"]
        wait_for_background_work()
        result["notifications"] = notifications_burst(stack)
        result["memory_after_load"] = stack_memory(stack)
        result["memory_peak_under_load"] = peak.stop()
        result["upload_100mb"] = big_upload(stack)
    finally:
        peak.stop()
        stack.stop()
        result["server_errors"] = stack.errors()
    return result


class PeakMemory:
    """Reads memory every `every` seconds in a thread and keeps the reading whose `key` was
    highest: the stack's total under load, or one worker's RSS through its jobs. Starts at once;
    `stop()` (or leaving a `with` block) ends it and gives the peak."""

    def __init__(self, read: Callable[[], dict], *, key: str, every: float):
        import threading

        self.read, self.key, self.every = read, key, every
        self.peak: dict = {key: 0.0}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        import psutil

        while not self.done.wait(self.every):
            try:
                now = self.read()
            except psutil.Error:
                continue  # a process came or went while being read
            if now[self.key] > self.peak[self.key]:
                self.peak = now

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        return self.peak

    def __enter__(self) -> "PeakMemory":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def stack_memory(stack: Stack) -> dict:
    """The memory of every process of the stack, PostgreSQL and Redis included: RSS per Python
    process (as before), and the PSS that the totals add up (shared pages split between the
    processes sharing them), per process and per PostgreSQL process kind. Every Python process
    counts, the children too: gunicorn's workers, the RQ scheduler the worker forks, the
    scheduler's (none since it forks nothing)."""
    import psutil

    web = [rss_mb(p.pid) for p in stack.web_workers()]
    worker_children = [p.pid for p in _children(stack.worker.pid)]
    memory = {
        "gunicorn_workers_mb": web,
        "gunicorn_master_mb": rss_mb(stack.web.pid),
        "rq_worker_mb": max([rss_mb(stack.worker.pid)] + [rss_mb(pid) for pid in worker_children]),
        "scheduler_mb": rss_mb(stack.scheduler.pid) if stack.scheduler else 0.0,
    }
    engines = {"postgres": 0.0, "redis": 0.0}
    postgres_kinds: dict[str, float] = {}
    for key, pids in engine_pids().items():
        for pid, kind in pids.items():
            try:
                pss = psutil.Process(pid).memory_full_info().pss / 2**20
            except (psutil.AccessDenied, psutil.NoSuchProcess):
                continue
            engines[key] += pss
            if key == "postgres":
                postgres_kinds[kind] = postgres_kinds.get(kind, 0.0) + pss
    memory["postgres_pss_mb"] = round(engines["postgres"], 1)
    memory["postgres_by_kind_mb"] = {kind: round(mb, 1) for kind, mb in sorted(postgres_kinds.items())}
    memory["redis_pss_mb"] = round(engines["redis"], 1)
    python = {
        "gunicorn_master": [stack.web.pid],
        "gunicorn_workers": [p.pid for p in stack.web_workers()],
        "rq_worker": [stack.worker.pid],
        "rq_worker_children": worker_children,
        "scheduler": [stack.scheduler.pid] if stack.scheduler else [],
    }
    memory["python_by_process_pss_mb"] = {
        name: round(sum(pss_bytes(pid) for pid in pids) / 2**20, 1) for name, pids in python.items()
    }
    memory["python_pss_mb"] = round(sum(memory["python_by_process_pss_mb"].values()), 1)
    memory["total_mb"] = round(
        memory["python_pss_mb"] + memory["postgres_pss_mb"] + memory["redis_pss_mb"], 1
    )
    return memory


def _children(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def engine_pids() -> dict[str, dict[int, str]]:
    """The processes of the engines this benchmark uses, and no others: on a shared machine the
    same PostgreSQL serves other databases and other redis-servers run beside ours. PostgreSQL:
    the postmaster, its background processes and the backends of the benchmark's databases;
    Redis: the server the benchmark's REDIS_URL reaches."""
    import psutil
    from django.db import connection

    from onepco import outbox

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_type FROM pg_stat_activity WHERE datname IS NULL OR datname LIKE %s",
            [os.environ.get("BENCH_DATABASE", "onepco_bench") + "%"],
        )
        postgres = dict(cursor.fetchall())
        # The sampler's own backend is the benchmark's, not the stack's: closed right after.
        cursor.execute("SELECT pg_backend_pid()")
        postgres.pop(cursor.fetchone()[0], None)
    connection.close()
    # A backend may end between the query and this look (an autovacuum worker, a closed
    # connection): it is simply no longer there to count.
    for pid in list(postgres):
        try:
            postgres.setdefault(psutil.Process(pid).ppid(), "postmaster")
        except psutil.NoSuchProcess:
            postgres.pop(pid)
    redis = {int(outbox.redis_connection().info("server")["process_id"]): "redis"}
    return {"postgres": postgres, "redis": redis}


def student_session(stack: Stack) -> tuple[str, str, int]:
    """A signed-in student's cookie header, CSRF token and an assignment of their cohort."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from cohorts.models import Assignment, Enrollment

    enrollment = (
        Enrollment.objects.filter(status="active")
        .select_related("student__user")
        .order_by("-cohort__starts_on")
        .first()
    )
    assignment = Assignment.objects.filter(cohort=enrollment.cohort).order_by("-due_at").first()
    client = Client()
    client.force_login(enrollment.student.user)  # a real session, stored where the server reads it
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = _get_new_csrf_string()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie, csrf, assignment.pk


def count_when_quiet(model, timeout: float = 60) -> int:
    """The model's row count once it stops growing. wrk hangs up at the end of its run while
    requests it sent still wait in the server's queue: they are served (and saved) after,
    without the 201 reaching anyone, and must not spill into the next run's figures."""
    deadline = time.monotonic() + timeout
    count = model.objects.count()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = model.objects.count()
        if now == count:
            return count
        count = now
    raise RuntimeError(f"{model.__name__} rows still arriving after {timeout} s")


def wait_for_background_work(timeout: float = 120) -> None:
    """Let the worker finish the follow-up jobs of the last run, so that the next one is
    measured on a quiet machine (and no job is lost: each run's rows are counted)."""
    from onepco.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(completed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not finish the follow-up jobs in time")
        time.sleep(0.5)


def submissions_load(stack: Stack, args) -> dict:
    """1 MB homework uploads of one signed-in student: saturated (wrk), then paced."""
    from bench.paced import paced
    from cohorts.models import Submission

    cookie, csrf, assignment = student_session(stack)
    content = b"%PDF-1.4\n" + os.urandom(1024 * 1024)
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as handle:
        handle.write(content)
    try:
        before = Submission.objects.count()
        saturated = wrk(
            stack.url,
            "/api/submissions",
            "multipart",
            args.seconds,
            args.clients,
            BENCH_COOKIE=cookie,
            BENCH_CSRF=csrf,
            BENCH_FILE=handle.name,
            BENCH_ASSIGNMENT=str(assignment),
        )
        saturated["rows_saved"] = count_when_quiet(Submission) - before
    finally:
        os.unlink(handle.name)
    wait_for_background_work()

    head, tail, headers = homework_upload(stack, cookie, csrf, assignment)
    body = head + content + tail
    before = Submission.objects.count()
    steady = paced(
        stack.url,
        "/api/submissions",
        lambda client, n: (body, headers),
        clients=args.clients,
        rate_per_client=UPLOADS_RATE_PER_CLIENT,
        seconds=args.seconds,
    )
    steady["rows_saved"] = Submission.objects.count() - before
    return {"saturated": saturated, "paced": steady}


def homework_upload(stack: Stack, cookie: str, csrf: str, assignment: int) -> tuple[bytes, bytes, dict]:
    """The multipart body around a homework file (head, tail) and the signed-in student's headers."""
    boundary = "----onepcobench"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="assignment"\r\n\r\n{assignment}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": cookie,
        "X-CSRFToken": csrf,
        "Referer": stack.url + "/",
    }
    return head, f"\r\n--{boundary}--\r\n".encode(), headers


def lead_request(client: int, n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"name": "压测学员", "email": f"paced-{time.time_ns()}-{client}-{n}@example.com", "consent": True,
         "channel": "bench"}
    )  # fmt: skip
    return body.encode(), {"Content-Type": "application/json", "Referer": "http://127.0.0.1/"}


def notifications_burst(stack: Stack) -> dict:
    """Twenty identical, correctly signed deliveries of one payment at once."""
    from bench.notify import burst

    return burst(stack.url)


def big_upload(stack: Stack) -> dict:
    """One 100 MB homework file with the limit raised: the worker's memory must not follow it."""
    import urllib.request

    cookie, csrf, assignment = student_session(stack)
    workers = stack.web_workers()
    before = {p.pid: rss_mb(p.pid) for p in workers}
    size = 100 * 1024 * 1024
    head, tail, headers = homework_upload(stack, cookie, csrf, assignment)
    head += b"%PDF-1.4\n"

    def body():
        yield head
        chunk = b"0" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            yield chunk
        yield tail

    length = len(head) + size + len(tail)
    request = urllib.request.Request(  # noqa: S310 - our server
        f"{stack.url}/api/submissions",
        data=body(),
        method="POST",
        headers={**headers, "Content-Length": str(length)},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    after = {p.pid: rss_mb(p.pid) for p in stack.web_workers()}
    growth = max(after.get(pid, 0) - mb for pid, mb in before.items())
    return {"status": status, "worker_growth_mb": round(growth, 1)}


# --- the soak: a solo founder's day, sped up, on one stack for a long time ----------------------

SOAK_SAMPLE_SECONDS = 10
# Each second one action, in this rotation: the founder's console pages most of the time, a
# signup every 5 s, a 1 MB homework upload every 15 s, a payment every minute.
SOAK_ROTATION = 60


def soak(args) -> dict:
    """The stack of a profile under a realistic mix for --soak-minutes: its memory every 10 s,
    the peak, and the trend (least-squares slope over the samples after the first quarter)."""
    setup()
    import http.client

    from bench.notify import SECRET, deliver_once

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "STRIPE_SECRET_KEY": "sk_test_bench_only",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        **profile_env(args.profile),
    }
    stack = Stack(
        env, free_port(), Path(args.log) if args.log else None, scheduler=runs_scheduler(args.profile)
    )
    cookie, csrf, assignment = student_session(stack)
    founder_cookie = founder_session()
    pages_to_walk = list(console_pages().values())
    head, tail, upload_headers = homework_upload(stack, cookie, csrf, assignment)
    upload_body = head + b"%PDF-1.4\n" + os.urandom(1024 * 1024) + tail
    codes: dict[str, int] = {}
    samples: list[tuple[float, float]] = []
    series: list[dict] = []  # every sample per process: which one grows
    peak: dict = {"total_mb": 0.0}
    started = time.monotonic()
    deadline = started + args.soak_minutes * 60
    next_sample = started
    tick = 0

    def send(method: str, path: str, body: bytes | None, headers: dict) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    try:
        while time.monotonic() < deadline:
            slot = tick % SOAK_ROTATION
            if slot % 60 == 59:
                status = deliver_once(stack.url)
            elif slot % 15 == 7:
                status = send("POST", "/api/submissions", upload_body, upload_headers)
            elif slot % 5 == 2:
                body, headers = lead_request(0, tick)
                status = send("POST", "/api/leads", body, headers)
            else:
                status = send(
                    "GET", pages_to_walk[tick % len(pages_to_walk)], None, {"Cookie": founder_cookie}
                )
            codes[str(status)] = codes.get(str(status), 0) + 1
            tick += 1
            now = time.monotonic()
            if now >= next_sample:
                memory = stack_memory(stack)
                samples.append((now - started, memory["total_mb"]))
                series.append(_series_point(now - started, memory))
                if memory["total_mb"] > peak["total_mb"]:
                    peak = memory
                next_sample = now + SOAK_SAMPLE_SECONDS
            time.sleep(max(0.0, started + tick - time.monotonic()))
    finally:
        stack.stop()
    kept = samples[len(samples) // 4 :]
    return {
        "profile": args.profile,
        "minutes": args.soak_minutes,
        "requests": tick,
        "codes": codes,
        "samples": len(samples),
        "first_mb": samples[0][1] if samples else None,
        "last_mb": samples[-1][1] if samples else None,
        "peak": peak,
        "slope_mb_per_hour": round(slope(kept) * 3600, 1) if len(kept) >= 3 else None,
        "slope_by_part_mb_per_hour": slopes_by_part(series[len(series) // 4 :]),
        "server_errors": stack.errors(),
        "series": series,
    }


def _series_point(seconds: float, memory: dict) -> dict:
    """One soak sample, flat: seconds, the total, and each part's PSS in MB."""
    return {
        "s": round(seconds),
        "total": memory["total_mb"],
        **{f"py.{name}": mb for name, mb in memory["python_by_process_pss_mb"].items()},
        **{f"pg.{kind}": mb for kind, mb in memory["postgres_by_kind_mb"].items()},
        "redis": memory["redis_pss_mb"],
    }


def slopes_by_part(series: list[dict]) -> dict[str, float]:
    """MB/h of each part of the stack over the soak's kept samples (a part missing from a
    sample, such as a PostgreSQL process that came and went, counts 0 there)."""
    if len(series) < 3:
        return {}
    parts = sorted({key for point in series for key in point if key != "s"})
    return {
        part: round(slope([(point["s"], point.get(part, 0.0)) for point in series]) * 3600, 1)
        for part in parts
    }


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points, y per x."""
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def founder_session() -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(founder())
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- the long-lived worker's memory ------------------------------------------------------------


def process_memory(pid: int) -> dict:
    """A process's RSS and PSS in MB (the worker: it forks nothing for its jobs)."""
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return {"rss_mb": round(info.rss / 2**20, 1), "pss_mb": round(info.pss / 2**20, 1)}


# --- the worker after an import and an export ------------------------------------------------


def worker_memory(args) -> dict:
    """The long-lived RQ worker's memory (RSS and PSS) before and after a --import-rows CSV
    import and a full data export, run by it as the founder would start them."""
    setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from console.models import DataExport
    from console.services import data_export_request
    from crm.models import LeadImport
    from crm.services import lead_import_confirm, lead_import_create

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", **profile_env(args.profile)}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def memory() -> dict:
        return process_memory(worker.pid)

    def run_import(rows: int, tag: str) -> float:
        lines = ["name,email,phone,channel"] + [
            f"导入学员{i},import-{tag}-{time.time_ns()}-{i}@example.com,,bench" for i in range(rows)
        ]
        upload = SimpleUploadedFile(f"{tag}.csv", "\n".join(lines).encode(), content_type="text/csv")
        lead_import = lead_import_create(upload=upload, by=founder())
        began = time.monotonic()
        lead_import_confirm(lead_import=lead_import)
        wait_until(lambda: LeadImport.objects.get(pk=lead_import.pk).status == LeadImport.Status.DONE, 3600)
        return round(time.monotonic() - began, 1)

    def run_export() -> float:
        began = time.monotonic()
        export = data_export_request(user=founder())
        wait_until(lambda: DataExport.objects.get(pk=export.pk).finished_at is not None, 3600)
        return round(time.monotonic() - began, 1)

    try:
        time.sleep(3)
        run_import(20, "warm")  # the code paths loaded: what a worker that has run jobs holds
        start = memory()
        with PeakMemory(memory, key="rss_mb", every=0.5) as sampler:
            import_seconds = run_import(args.import_rows, "big")
            after_import = memory()
            export_seconds = run_export()
            time.sleep(2)
            after_export = memory()
        peak = sampler.peak
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    return {
        "profile": args.profile,
        "rows": args.import_rows,
        "import_seconds": import_seconds,
        "export_seconds": export_seconds,
        "start": start,
        "after_import": after_import,
        "after_export": after_export,
        "peak": peak,
        "growth_mb": round(after_export["rss_mb"] - start["rss_mb"], 1),
    }


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for the worker")
        time.sleep(0.5)


# --- a broadcast of thousands through the worker ------------------------------------------------


class SmtpSink:
    """A local SMTP server that accepts everything and counts each address it delivered to,
    so the bench sees what a real SMTP session costs and that nobody got a broadcast twice."""

    def __init__(self) -> None:
        import collections
        import socketserver
        import threading

        self.received: collections.Counter[str] = collections.Counter()
        lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 bench sink")
                recipients: list[str] = []
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-bench sink")
                        self.reply("250 8BITMIME")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip().strip("<>").lower())
                        self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        while (data := self.rfile.readline()) and data != b".\r\n":
                            pass
                        with lock:
                            sink.received.update(recipients)
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # HELO, RSET, NOOP
                        self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def broadcast(args) -> dict:
    """A broadcast of --broadcast-recipients consenting leads, sent by one long-lived RQ worker
    over SMTP (a local sink): how long it takes, and the worker's memory before and after."""
    setup()

    from django.utils import timezone

    from console.broadcasts import broadcast_create
    from console.models import Broadcast
    from crm.models import Lead

    sink = SmtpSink()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        **profile_env(args.profile),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_USE_SSL": "false",
        # The rate a real provider allows is not what is measured: the worker's own cost is.
        "BROADCAST_RATE_PER_MINUTE": "100000000",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def memory() -> dict:
        return process_memory(worker.pid)

    def send(recipients: int, tag: str) -> float:
        campaign = f"bench-broadcast-{tag}-{time.time_ns()}"
        Lead.objects.bulk_create(
            [
                Lead(
                    name=f"群发{i}",
                    email=f"{campaign}-{i}@example.com",
                    consent_at=timezone.now(),
                    channel="bench",
                    utm_campaign=campaign,
                )
                for i in range(recipients)
            ],
            batch_size=2000,
        )
        began = time.monotonic()
        sent = broadcast_create(
            subject="新一期开课了",
            body="你好！\n\n**第 3 期** 下周一开始：[报名](https://example.com/courses/x/)。\n\n- 8 周\n- 每周两次直播",
            segment=Broadcast.Segment.LEADS,
            filters={"campaign": campaign},
            segment_label=campaign,
            send_at=None,
            created_by=founder(),
        )
        wait_until(lambda: Broadcast.objects.get(pk=sent.pk).status == Broadcast.Status.SENT, 3600)
        return round(time.monotonic() - began, 1)

    try:
        time.sleep(3)
        send(50, "warm")  # the code paths loaded: what a worker that has run jobs holds
        sink.received.clear()
        start = memory()
        with PeakMemory(memory, key="rss_mb", every=0.5) as sampler:
            seconds = send(args.broadcast_recipients, "big")
            time.sleep(1)
            after = memory()
        peak = sampler.peak
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        sink.stop()
    return {
        "profile": args.profile,
        "recipients": args.broadcast_recipients,
        "seconds": seconds,
        "per_second": round(args.broadcast_recipients / seconds, 1) if seconds else None,
        "delivered": sum(sink.received.values()),
        "delivered_twice": sum(1 for n in sink.received.values() if n > 1),
        "start": start,
        "after": after,
        "peak": peak,
        "growth_mb": round(after["rss_mb"] - start["rss_mb"], 1),
    }
