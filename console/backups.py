"""Backups that always restore: a daily archive on this machine and off it, kept for as many
days as the founder says, and a restore drill that proves a backup restores.

The archive is the same one `export_all` writes (console/archive.py): one consistent snapshot,
checksums for every entry and, in its manifest, the numbers of every ended week. A drill
restores it into a scratch database with the documented command (`import_all`), in a process
of its own, and compares the numbers; the live database is never touched.
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from console import jobs
from console.archive import (
    ArchiveError,
    erased_rows_since,
    export_archive,
    read_manifest,
    stored_archive_scrub,
    verify_archive,
)
from console.models import Backup, BackupSchedule
from onepco.config import database_url
from onepco.models import MessageKind
from onepco.notify import Message, notify_founder
from onepco.outbox import outbox_enqueue
from onepco.site import site_name

log = logging.getLogger(__name__)

# A backup still "running" after this long lost its worker.
RUNNING_AT_MOST = timedelta(hours=2)
# A scheduled slot that failed is tried again this many times (every cron tick) before waiting
# for the next day; the founder is e-mailed each time.
ATTEMPTS_PER_SLOT = 3


def local_storage() -> Storage:
    return storages["backups"]


def offsite_storage() -> Storage | None:
    return storages["offsite_backups"] if "offsite_backups" in settings.STORAGES else None


# --- making them ---------------------------------------------------------------------------


def backup_slot(schedule: BackupSchedule, now: datetime) -> datetime:
    """The latest moment the schedule asked for a backup, at or before now."""
    local = timezone.localtime(now)
    slot = timezone.make_aware(datetime.combine(local.date(), schedule.at))
    return slot if slot <= now else slot - timedelta(days=1)


def backup_due(*, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    schedule = BackupSchedule.current()
    if not schedule.enabled:
        return False
    Backup.objects.filter(status=Backup.Status.RUNNING, created_at__lt=now - RUNNING_AT_MOST).update(
        status=Backup.Status.FAILED, error=_("The backup stopped without finishing (its worker ended)."),
        finished_at=now,
    )  # fmt: skip
    since = Backup.objects.filter(
        trigger=Backup.Trigger.SCHEDULED, created_at__gte=backup_slot(schedule, now)
    )
    if since.exclude(status=Backup.Status.FAILED).exists():
        return False
    return since.count() < ATTEMPTS_PER_SLOT


def backup_if_due() -> Backup | None:
    """The scheduler's entry (every 15 minutes): the daily backup when its time has come."""
    with transaction.atomic():
        # One scheduler, but a manual run or a retry must not start a second backup alongside.
        BackupSchedule.objects.select_for_update().filter(pk=BackupSchedule.current().pk).first()
        if not backup_due():
            return None
        backup = Backup.objects.create(trigger=Backup.Trigger.SCHEDULED)
    return backup_make(backup=backup)


def backup_request(*, by) -> Backup:
    """The founder's "back up now": made by the worker, like the scheduled one."""
    with transaction.atomic():
        backup = Backup.objects.create(trigger=Backup.Trigger.MANUAL)
        outbox_enqueue(jobs.make_backup, backup.pk)
    return backup


def backup_make(*, backup: Backup) -> Backup:
    """Write the archive to this machine's backup folder and off the box, then apply the
    retention. Any failure is recorded on the backup and e-mailed to the founder."""
    if backup.status != Backup.Status.RUNNING:
        return backup
    name = f"onepco-{timezone.localtime(backup.created_at):%Y%m%d-%H%M%S}-{backup.pk}.zip"
    try:
        with tempfile.TemporaryFile() as scratch:
            export_archive(scratch)
            backup.size = scratch.tell()
            scratch.seek(0)
            backup.sha256 = _sha256(scratch)
            scratch.seek(0)
            backup.name = local_storage().save(name, File(scratch, name=name))
            offsite = offsite_storage()
            if offsite is not None:
                scratch.seek(0)
                offsite.save(backup.name, File(scratch, name=backup.name))
                backup.offsite = True
    except Exception as exc:
        log.exception("backup %s failed", backup.pk)
        return _backup_failed(backup, exc)
    backup.status = Backup.Status.DONE
    backup.finished_at = timezone.now()
    backup.save(update_fields=["name", "size", "sha256", "offsite", "status", "finished_at"])
    # An erasure that committed while the snapshot was being read may be in it: scrub that too.
    late = erased_rows_since(backup.created_at)
    if late:
        _backup_scrub(backup, late, [s for s in [offsite_storage()] if s is not None])
    backups_prune(keep=BackupSchedule.current().keep)
    return backup


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _backup_failed(backup: Backup, exc: Exception) -> Backup:
    backup.status = Backup.Status.FAILED
    backup.error = f"{type(exc).__name__}: {exc}"[:2000]
    backup.finished_at = timezone.now()
    backup.save(update_fields=["name", "size", "sha256", "offsite", "status", "error", "finished_at"])
    with transaction.atomic():
        outbox_enqueue(jobs.alert_backup_failed, backup.pk)
    return backup


def backups_scrub(*, rows: dict[str, list]) -> int:
    """Rewrite every backup that holds rows an erasure changed, here and off the box."""
    rewritten = 0
    offsite = [storage] if (storage := offsite_storage()) is not None else []
    for backup in Backup.objects.filter(status=Backup.Status.DONE).exclude(name=""):
        if _backup_scrub(backup, rows, offsite):
            rewritten += 1
    return rewritten


def _backup_scrub(backup: Backup, rows: dict[str, list], offsite: list[Storage]) -> bool:
    local = local_storage()
    if local.exists(backup.name):
        scrubbed = stored_archive_scrub(
            local, backup.name, rows, also=[s for s in offsite if s.exists(backup.name)]
        )
    elif offsite:
        scrubbed = stored_archive_scrub(offsite[0], backup.name, rows)
    else:
        return False
    if scrubbed is None:
        return False
    backup.name, backup.size, backup.sha256 = scrubbed.name, scrubbed.size, scrubbed.sha256
    backup.save(update_fields=["name", "size", "sha256"])
    return True


def backups_prune(*, keep: int) -> int:
    """Delete all but the newest `keep` finished backups, on this machine and off it."""
    stale = Backup.objects.filter(status=Backup.Status.DONE).order_by("-created_at", "-id")[keep:]
    pruned = 0
    for backup in list(stale):
        for storage in filter(None, (local_storage(), offsite_storage())):
            if backup.name and storage.exists(backup.name):
                storage.delete(backup.name)
        backup.delete()
        pruned += 1
    return pruned


def backup_failed_alert_send(*, backup: Backup) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Backup failed: %(site)s") % {"site": site_name()}
        body = "\n".join(
            [
                _("The backup started at %(when)s did not finish:")
                % {"when": timezone.localtime(backup.created_at).strftime("%Y-%m-%d %H:%M")},
                "",
                backup.error,
                "",
                _("Open the backups page to try again, and check the disk and the storage settings:"),
                settings.SITE_URL + reverse("backups"),
            ]
        )
    message = Message(subject=subject, body=body, url=settings.SITE_URL + reverse("backups"))
    notify_founder(kind=MessageKind.SYSTEM_ALERT, key=f"backup_failed:{backup.pk}", message=message)


def backup_open(backup: Backup):
    """The backup's file, from this machine or (if it is gone here) from off the box."""
    for storage in filter(None, (local_storage(), offsite_storage())):
        if backup.name and storage.exists(backup.name):
            return storage.open(backup.name, "rb")
    raise FileNotFoundError(backup.name)


# --- proving they restore ------------------------------------------------------------------


def restore_drill(path: str | Path) -> tuple[bool, list[dict]]:
    """Verify an archive, restore it into a scratch database with `import_all` (in a process
    of its own), and compare the restored weekly numbers with the ones the archive recorded.
    Returns (passed, steps): each step {"step", "ok", "detail"}. The scratch database is
    dropped afterwards, whatever happened."""
    steps: list[dict] = []

    def step(name: str, ok: bool, detail: str = "") -> bool:
        steps.append({"step": name, "ok": ok, "detail": detail})
        return ok

    try:
        with zipfile.ZipFile(path) as archive:
            manifest = read_manifest(archive)
            verify_archive(archive, manifest)
    except (ArchiveError, zipfile.BadZipFile, OSError) as exc:
        step(_("Checksums"), False, str(exc))
        return False, steps
    step(_("Checksums"), True, _("%(n)s entries unchanged") % {"n": len(manifest["checksums"])})

    scratch = f"onepco_drill_{get_random_string(8).lower()}"
    media = tempfile.mkdtemp(prefix="onepco-drill-media-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict, name=scratch),
        "MEDIA_ROOT": media,
        "S3_BUCKET": "",  # the drill's files stay in its own folder, never in the live bucket
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "onepco.settings"),
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{scratch}"')
    except DatabaseError as exc:  # e.g. a database role without CREATEDB
        step(_("Empty instance"), False, _("cannot create a scratch database: %(error)s") % {"error": exc})
        return False, steps
    try:
        migrate = subprocess.run(
            [*manage, "migrate", "--noinput", "-v", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if not step(_("Empty instance"), migrate.returncode == 0, _last_line(migrate)):
            return False, steps
        restore = subprocess.run(
            [*manage, "import_all", str(path), "--numbers", "-v", "0"],
            env=env, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        if not step(_("Restore"), restore.returncode == 0, _last_line(restore) if restore.returncode else ""):
            return False, steps
        try:
            restored = json.loads((restore.stdout.strip().splitlines() or [""])[-1])
        except ValueError:
            step(_("Weekly numbers"), False, _("the restore printed no numbers"))
            return False, steps
        recorded = manifest.get("weekly_numbers", {})
        differing = sorted(
            week for week in set(recorded) | set(restored) if recorded.get(week) != restored.get(week)
        )
        detail = (
            _("%(n)s weeks compared, all equal") % {"n": len(recorded)}
            if not differing
            else _("different in %(weeks)s") % {"weeks": ", ".join(differing[:10])}
        )
        step(_("Weekly numbers"), not differing, detail)
        return not differing, steps
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(media, ignore_errors=True)


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1][:500] if lines else ""


def backup_drill(*, backup: Backup) -> Backup:
    """The console's restore drill of one backup; the report is kept on the backup."""
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        try:
            with backup_open(backup) as source:
                shutil.copyfileobj(source, copy)
            copy.flush()
            passed, steps = restore_drill(copy.name)
        except FileNotFoundError:
            passed, steps = False, [{"step": _("Checksums"), "ok": False, "detail": _("The file is gone.")}]
        except (subprocess.SubprocessError, OSError) as exc:  # a restore that hung past its limit
            passed, steps = False, [{"step": _("Restore"), "ok": False, "detail": str(exc)[:500]}]
    backup.drill_at, backup.drill_ok, backup.drill_report = timezone.now(), passed, steps
    backup.save(update_fields=["drill_at", "drill_ok", "drill_report"])
    return backup


def backup_drill_request(*, backup: Backup) -> None:
    with transaction.atomic():
        Backup.objects.filter(pk=backup.pk).update(drill_at=None, drill_ok=None, drill_report=[])
        outbox_enqueue(jobs.drill_backup, backup.pk)
