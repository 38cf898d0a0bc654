"""Background jobs of the console: thin, idempotent, loading by id.

Jobs and services name each other through their modules (`services.x`, `jobs.y`), so that
either module may be imported first.
"""

from console import backups, broadcasts, services
from console.models import Backup, Broadcast, DataAccessRequest, DataExport, ErasureRecord
from onepco.outbox import get_queue


def build_data_export(export_id: int) -> None:
    export = DataExport.objects.filter(pk=export_id).first()
    if export is not None:
        services.data_export_build(export=export)


def purge_data_exports() -> int:
    return services.data_exports_purge()


def scrub_archives(record_id: int) -> int:
    record = ErasureRecord.objects.filter(pk=record_id).first()
    return services.archives_scrub(record=record) if record is not None else 0


def send_data_access_code(access_request_id: int) -> None:
    access_request = DataAccessRequest.objects.filter(pk=access_request_id).first()
    if access_request is not None:
        services.data_access_code_send(access_request=access_request)


def backup_if_due() -> int | None:
    """Every 15 minutes (console/cron.py): the daily backup, once its time has come."""
    backup = backups.backup_if_due()
    return backup.pk if backup is not None else None


# A backup or a drill can take longer than a follow-up job may: the outbox hands each to an RQ
# job of its own with room to finish.
LONG_JOB_SECONDS = 3 * 3600


def make_backup(backup_id: int) -> None:
    get_queue().enqueue(run_backup, backup_id, job_timeout=LONG_JOB_SECONDS)


def run_backup(backup_id: int) -> None:
    backup = Backup.objects.filter(pk=backup_id).first()
    if backup is not None:
        backups.backup_make(backup=backup)


def alert_backup_failed(backup_id: int) -> None:
    backup = Backup.objects.filter(pk=backup_id, status=Backup.Status.FAILED).first()
    if backup is not None:
        backups.backup_failed_alert_send(backup=backup)


def drill_backup(backup_id: int) -> None:
    get_queue().enqueue(run_drill, backup_id, job_timeout=LONG_JOB_SECONDS)


def run_drill(backup_id: int) -> None:
    backup = Backup.objects.filter(pk=backup_id, status=Backup.Status.DONE).first()
    if backup is not None:
        backups.backup_drill(backup=backup)


def start_broadcast(broadcast_id: int) -> None:
    """Through the outbox when a broadcast is written: queue its first batch (at its time)."""
    broadcast = Broadcast.objects.filter(pk=broadcast_id).first()
    if broadcast is not None and broadcast.is_open:
        broadcasts.broadcast_queue(broadcast=broadcast)


def send_broadcast_batch(broadcast_id: int) -> int:
    return broadcasts.broadcast_send_batch(broadcast_id=broadcast_id)


def resume_broadcasts() -> int:
    """Every minute (console/cron.py): broadcasts due, and those whose next batch was lost."""
    return broadcasts.broadcasts_resume()
