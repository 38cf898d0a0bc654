"""Writes of the system itself: the founder's data exports and failed-job retries."""

import shutil
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rq.registry import FailedJobRegistry

from console import jobs
from console.archive import archive_scrub, export_archive
from console.models import DataExport, ErasureRecord
from onepco.outbox import get_queue, outbox_enqueue

EXPORT_LIFETIME = timedelta(hours=48)


@transaction.atomic
def data_export_request(*, user) -> DataExport:
    """Ask for an archive of everything; it is built in the background and its link e-mailed."""
    export = DataExport.objects.create(requested_by=user)
    outbox_enqueue(jobs.build_data_export, export.pk)
    return export


def data_export_build(*, export: DataExport) -> DataExport:
    """Write the archive to storage, then e-mail the requester a link valid for 48 hours."""
    if export.finished_at:
        return export
    name = f"exports/onepco-{timezone.localtime():%Y%m%d-%H%M}-{export.token[:8]}.zip"
    with tempfile.TemporaryFile() as scratch:
        export_archive(scratch)
        export.size = scratch.tell()
        scratch.seek(0)
        export.file_name = default_storage.save(name, File(scratch, name=name))
    export.finished_at = timezone.now()
    export.expires_at = export.finished_at + EXPORT_LIFETIME
    export.save(update_fields=["file_name", "size", "finished_at", "expires_at"])
    if export.requested_by and export.requested_by.email:
        link = settings.SITE_URL + reverse("system_export_download", args=[export.token])
        send_mail(
            _("Your onepco data export is ready"),
            _(
                "The archive of all your data is ready to download for the next 48 hours:\n\n%(link)s\n\n"
                "It holds one CSV per table (opens in Excel), a JSON copy that `manage.py import_all` "
                "restores, and every uploaded file."
            )
            % {"link": link},
            None,
            [export.requested_by.email],
        )
    return export


def data_exports_purge(*, now=None) -> int:
    """Delete expired archives from storage (their rows stay, as a record)."""
    now = now or timezone.now()
    purged = 0
    for export in DataExport.objects.filter(expires_at__lte=now).exclude(file_name=""):
        default_storage.delete(export.file_name)
        export.file_name = ""
        export.save(update_fields=["file_name"])
        purged += 1
    return purged


def archives_scrub(*, record: ErasureRecord) -> int:
    """Rewrite every stored archive that still holds rows this erasure changed (the founder's
    exports), so that no copy of the person outlives the erasure. Returns the archives changed."""
    rewritten = 0
    for export in DataExport.objects.exclude(file_name=""):
        if _stored_archive_scrub(default_storage, export.file_name, record.rows):
            export.size = default_storage.size(export.file_name)
            export.save(update_fields=["size"])
            rewritten += 1
    return rewritten


def _stored_archive_scrub(storage: Storage, name: str, rows: dict[str, list]) -> bool:
    if not storage.exists(name):
        return False
    with tempfile.TemporaryFile() as original, tempfile.TemporaryFile() as scrubbed:
        with storage.open(name, "rb") as source:
            shutil.copyfileobj(source, original)
        original.seek(0)
        if not archive_scrub(original, scrubbed, rows):
            return False
        scrubbed.seek(0)
        storage.delete(name)
        saved = storage.save(name, File(scrubbed, name=name))
    if saved != name:  # a storage that refused the name: keep the record pointing at the file
        raise RuntimeError(f"archive {name} was saved as {saved}")
    return True


def failed_job_retry(*, job_id: str) -> bool:
    """Put a failed job back in the queue. False if it is not (or no longer) in the failed list."""
    registry = FailedJobRegistry(queue=get_queue())
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True
