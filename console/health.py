"""Is everything running? The checks behind `manage.py doctor` and the console's system page.

Each check answers in one line a founder can act on: ok, warn (look soon) or fail (broken now).
"""

import contextlib
import os
import shutil
import smtplib
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import redis
from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rq import Worker
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry

from console.models import Backup, BackupSchedule
from crm.models import Lead
from crm.services import lead_imports_stalled
from dashboard.models import WeeklyMetrics
from onepco.models import OutboxMessage
from onepco.outbox import get_queue, redis_connection
from onepco.worker import WORKER_TTL

OK, WARN, FAIL = "ok", "warn", "fail"
# An idle worker heartbeats every WORKER_TTL - 15 s (onepco/worker.py); one silent for longer
# is dead. A busy one does not heartbeat until its job ends: RQ keeps it registered until the
# job's own timeout has passed.
WORKER_SILENT_AFTER = timedelta(seconds=WORKER_TTL)
# rqcron heartbeats at least once a minute.
SCHEDULER_SILENT_AFTER = timedelta(minutes=3)
# Connecting to the mail server must not hold up the system page.
SMTP_TIMEOUT_SECONDS = 3
OUTBOX_LATE_AFTER = timedelta(minutes=10)
SNAPSHOT_STALE_AFTER = timedelta(days=8)
# The sweep queues a stalled import again after IMPORT_STALL_MINUTES; still still, it is stuck.
IMPORT_STUCK_AFTER = timedelta(minutes=15)
# A daily backup older than this means a day was missed.
BACKUP_OVERDUE_AFTER = timedelta(hours=26)
DISK_FAIL_BYTES = 1 * 1024**3
DISK_WARN_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != FAIL


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
    except DatabaseError as exc:
        return Check(_("Database"), FAIL, _("unreachable: %(error)s") % {"error": exc})
    return Check(_("Database"), OK, version)


def check_redis() -> Check:
    try:
        info = redis_connection().info("server")
    except redis.RedisError as exc:
        return Check(_("Redis"), FAIL, _("unreachable: %(error)s") % {"error": exc})
    return Check(_("Redis"), OK, f"Redis {info.get('redis_version', '?')}")


def _process_gone(registered) -> bool:
    """A process registered from this machine whose pid no longer runs died without saying so
    (killed, out of memory): dead now, not when its heartbeat runs out."""
    if registered.hostname != socket.gethostname() or not registered.pid:
        return False
    try:
        os.kill(registered.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _alive(find: Callable, silent_after: timedelta) -> list:
    """Registered processes (RQ keeps them in Redis) that still run: a recent heartbeat, or a
    worker in the middle of a job (RQ keeps it registered for the job's timeout)."""
    now = timezone.now()
    return [
        p
        for p in find(connection=redis_connection())
        if not _process_gone(p)
        and (
            (p.last_heartbeat and now - p.last_heartbeat < silent_after)
            or (isinstance(p, Worker) and p.get_state() == "busy")
        )
    ]


def check_worker() -> Check:
    name = _("Worker")
    try:
        alive = _alive(Worker.all, WORKER_SILENT_AFTER)
    except redis.RedisError:
        return Check(name, FAIL, _("cannot tell: Redis is unreachable"))
    if not alive:
        return Check(name, FAIL, _("no worker is running: e-mails and snapshots are not being sent"))
    return Check(name, OK, _("%(count)d running") % {"count": len(alive)})


def check_scheduler() -> Check:
    name = _("Scheduler")
    try:
        alive = _alive(CronScheduler.all, SCHEDULER_SILENT_AFTER)
    except redis.RedisError:
        return Check(name, FAIL, _("cannot tell: Redis is unreachable"))
    if not alive:
        return Check(name, FAIL, _("the scheduler (rqcron) is not running: no weekly snapshot, no sweeps"))
    since = timezone.localtime(alive[0].created_at).strftime("%Y-%m-%d %H:%M")
    return Check(name, OK, _("running since %(since)s") % {"since": since})


def check_outbox() -> Check:
    name = _("Follow-up jobs")
    late = OutboxMessage.objects.filter(
        completed_at__isnull=True, created_at__lt=timezone.now() - OUTBOX_LATE_AFTER
    ).count()
    waiting = OutboxMessage.objects.filter(completed_at__isnull=True).count()
    if late:
        return Check(name, FAIL, _("%(late)d waiting for more than 10 minutes") % {"late": late})
    return Check(name, OK, _("%(waiting)d waiting") % {"waiting": waiting})


def failed_job_count() -> int | None:
    """How many jobs failed and wait on the system page; None when Redis cannot be asked."""
    try:
        return FailedJobRegistry(queue=get_queue()).count
    except redis.RedisError:
        return None


def check_failed_jobs() -> Check:
    name = _("Failed jobs")
    failed = failed_job_count()
    if failed is None:
        return Check(name, FAIL, _("cannot tell: Redis is unreachable"))
    if failed:
        return Check(name, FAIL, _("%(count)d failed: see the system page to retry them") % {"count": failed})
    return Check(name, OK, _("none"))


def email_backend_name() -> str:
    """The short name of the e-mail backend in use: "smtp", "console", "locmem", …"""
    return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]


def check_email() -> Check:
    name = _("E-mail")
    backend = email_backend_name()
    if backend in ("console", "locmem", "dummy", "filebased"):
        status = WARN if settings.DEBUG else FAIL
        return Check(
            name, status, _("mails are not sent (backend: %(backend)s); set EMAIL_URL") % {"backend": backend}
        )
    if backend != "smtp":
        return Check(name, OK, backend)
    return _check_smtp(name)


def _check_smtp(name: str) -> Check:
    """Connect to the mail server and sign in, as sending a mail would (and nothing more)."""
    server = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    mail = get_connection(settings.EMAIL_BACKEND, fail_silently=False, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        mail.open()
    except smtplib.SMTPAuthenticationError as exc:
        return Check(
            name,
            FAIL,
            _("the mail server %(server)s refused the user name or password (%(error)s): check EMAIL_URL")
            % {"server": server, "error": exc.smtp_code},
        )
    except (OSError, smtplib.SMTPException) as exc:
        return Check(
            name,
            FAIL,
            _("cannot reach the mail server %(server)s (%(error)s): no e-mail is being sent; check EMAIL_URL")
            % {"server": server, "error": str(exc) or type(exc).__name__},
        )
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            mail.close()
    return Check(name, OK, _("the mail server %(server)s answers") % {"server": server})


def _unwritable_reason(folder: Path) -> str | None:
    """Why uploads cannot be stored in this folder, or None: it is tried, not guessed."""
    if not folder.exists():
        return _("the upload folder %(folder)s does not exist: create it or set MEDIA_ROOT") % {
            "folder": folder
        }
    if not folder.is_dir():
        return _("MEDIA_ROOT %(folder)s is not a folder") % {"folder": folder}
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return _("uploads cannot be written to %(folder)s (%(error)s)") % {
            "folder": folder,
            "error": exc.strerror or exc,
        }
    return None


def check_disk() -> Check:
    name = _("Upload storage")
    backend = settings.STORAGES["default"]["BACKEND"]
    if "FileSystemStorage" not in backend:
        return Check(name, OK, _("object storage (%(backend)s)") % {"backend": backend.rsplit(".", 1)[-1]})
    folder = Path(settings.MEDIA_ROOT)
    problem = _unwritable_reason(folder)
    if problem:
        return Check(name, FAIL, problem)
    usage = shutil.disk_usage(folder)
    free_gb = usage.free / 1024**3
    detail = _("%(free).1f GB free of %(total).1f GB") % {"free": free_gb, "total": usage.total / 1024**3}
    if usage.free < DISK_FAIL_BYTES:
        return Check(name, FAIL, detail)
    if usage.free < DISK_WARN_BYTES:
        return Check(name, WARN, detail)
    return Check(name, OK, detail)


def check_snapshot() -> Check:
    name = _("Weekly snapshot")
    latest = WeeklyMetrics.objects.order_by("-computed_at").first()
    now = timezone.now()
    if latest is None:
        oldest = Lead.objects.order_by("created_at").values_list("created_at", flat=True).first()
        status = FAIL if oldest and now - oldest > SNAPSHOT_STALE_AFTER else WARN
        return Check(name, status, _("no week has been snapshotted yet"))
    age = now - latest.computed_at
    detail = _("last computed %(when)s (%(week)s)") % {
        "when": timezone.localtime(latest.computed_at).strftime("%Y-%m-%d %H:%M"),
        "week": latest.week,
    }
    return Check(name, FAIL if age > SNAPSHOT_STALE_AFTER else OK, detail)


def check_imports() -> Check:
    name = _("CSV imports")
    stuck = list(lead_imports_stalled(older_than=IMPORT_STUCK_AFTER)[:3])
    if not stuck:
        return Check(name, OK, _("none stuck"))
    detail = "; ".join(
        _("%(file)s stuck at %(done)s/%(total)s")
        % {"file": i, "done": i.processed_rows, "total": i.total_rows}
        for i in stuck
    )
    return Check(name, FAIL, detail)


def check_backup() -> Check:
    name = _("Backups")
    schedule = BackupSchedule.current()
    last = Backup.objects.exclude(status=Backup.Status.RUNNING).order_by("-created_at").first()
    if not schedule.enabled:
        return Check(name, WARN, _("the daily backup is switched off"))
    if last is None:
        return Check(name, WARN, _("no backup yet"))
    when = timezone.localtime(last.created_at).strftime("%Y-%m-%d %H:%M")
    if last.status == Backup.Status.FAILED:
        return Check(
            name,
            FAIL,
            _("the backup of %(when)s failed: %(error)s") % {"when": when, "error": last.error[:200]},
        )
    if timezone.now() - last.created_at > BACKUP_OVERDUE_AFTER:
        return Check(name, FAIL, _("the last backup is from %(when)s") % {"when": when})
    where = _("here and off the box") if last.offsite else _("on this machine only")
    return Check(
        name, OK if last.offsite else WARN, _("last %(when)s, %(where)s") % {"when": when, "where": where}
    )


CHECKS: list[Callable[[], Check]] = [
    check_database,
    check_redis,
    check_worker,
    check_scheduler,
    check_outbox,
    check_failed_jobs,
    check_email,
    check_disk,
    check_snapshot,
    check_imports,
    check_backup,
]


def worst(checks: list[Check]) -> str:
    """The verdict of the whole page: that of its worst row."""
    statuses = {check.status for check in checks}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else OK


def run_checks() -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check())
        except DatabaseError as exc:
            results.append(Check(check.__name__.removeprefix("check_"), FAIL, f"database error: {exc}"))
    return results
