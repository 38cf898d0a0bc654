"""Writes of the system itself: the founder's data exports, failed-job retries, and a person's
requests to download their data by e-mail."""

import secrets
import tempfile
from datetime import timedelta
from enum import StrEnum
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from rq.registry import FailedJobRegistry

from console import backups, jobs
from console.archive import erased_rows_since, export_archive, stored_archive_scrub
from console.models import DataAccessRequest, DataExport, ErasureRecord
from console.personal import account_for_email, personal_data_archive, personal_data_held
from onepco.models import MessageKind
from onepco.notify import Message, notify
from onepco.outbox import get_queue, outbox_enqueue
from onepco.site import site_name

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
    started = timezone.now()
    with tempfile.TemporaryFile() as scratch:
        export_archive(scratch)
        export.size = scratch.tell()
        scratch.seek(0)
        export.file_name = default_storage.save(name, File(scratch, name=name))
    # An erasure that committed while the snapshot was being read may be in it: scrub that too.
    late = erased_rows_since(started)
    if late and (scrubbed := stored_archive_scrub(default_storage, export.file_name, late)) is not None:
        export.file_name, export.size = scrubbed.name, scrubbed.size
    export.finished_at = timezone.now()
    export.expires_at = export.finished_at + EXPORT_LIFETIME
    export.save(update_fields=["file_name", "size", "finished_at", "expires_at"])
    if export.requested_by:
        link = settings.SITE_URL + reverse("system_export_download", args=[export.token])
        body = _(
            "The archive of all your data is ready to download for the next 48 hours:\n\n%(link)s\n\n"
            "It holds one CSV per table (opens in Excel), a JSON copy that `manage.py import_all` "
            "restores, and every uploaded file."
        ) % {"link": link}
        notify(
            kind=MessageKind.SYSTEM_ALERT,
            key=f"export_ready:{export.pk}",
            user=export.requested_by,
            message=Message(subject=_("Your onepco data export is ready"), body=body, url=link),
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
    exports and the backups, here and off the box), so that no copy of the person outlives the
    erasure. Returns the archives changed."""
    return exports_scrub(rows=record.rows) + backups.backups_scrub(rows=record.rows)


def exports_scrub(*, rows: dict[str, list]) -> int:
    rewritten = 0
    for export in DataExport.objects.exclude(file_name=""):
        scrubbed = stored_archive_scrub(default_storage, export.file_name, rows)
        if scrubbed is not None:
            export.file_name, export.size = scrubbed.name, scrubbed.size
            export.save(update_fields=["file_name", "size"])
            rewritten += 1
    return rewritten


def failed_job_retry(*, job_id: str) -> bool:
    """Put a failed job back in the queue. False if it is not (or no longer) in the failed list."""
    registry = FailedJobRegistry(queue=get_queue())
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True


# --- a person's data, asked for by e-mail ----------------------------------------------------


class CodeCheck(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    BLOCKED = "blocked"


def _code_hash(access_request: DataAccessRequest, code: str) -> str:
    # Keyed with SECRET_KEY and bound to the request: a copy of the table cannot be searched
    # through the million codes, and one code never fits another request.
    value = f"{access_request.token}:{code}"
    return salted_hmac("console.data-access-code", value, algorithm="sha256").hexdigest()


@transaction.atomic
def data_access_request_create(*, email: str, language: str = "") -> DataAccessRequest:
    """Ask for a download code for an address.

    The same row and the same follow-up job whether or not anything is held for the address:
    the job looks it up, so the answer gives nothing away, not even by how long it takes.
    """
    now = timezone.now()
    access_request = DataAccessRequest.objects.create(
        email=email.strip().lower(),
        language=language,
        created_at=now,
        expires_at=now + DataAccessRequest.CODE_LIFETIME,
    )
    outbox_enqueue(jobs.send_data_access_code, access_request.pk)
    return access_request


def data_access_code_send(*, access_request: DataAccessRequest) -> None:
    """If anything is held for the address, e-mail it a fresh code; otherwise send nothing.

    Runs once per request (from the outbox, in its transaction): the code exists only in the
    e-mail, its hash is saved with the row. Run again after a crash, it sends a new code.
    """
    if access_request.held_data is not None:
        return
    access_request.held_data = personal_data_held(access_request.email)
    if not access_request.held_data or access_request.is_expired:
        access_request.save(update_fields=["held_data"])
        return
    code = f"{secrets.randbelow(10**6):06d}"
    access_request.code_hash = _code_hash(access_request, code)
    access_request.code_sent_at = timezone.now()
    access_request.save(update_fields=["held_data", "code_hash", "code_sent_at"])
    _data_access_code_email_send(access_request=access_request, code=code)


def _data_access_code_email_send(*, access_request: DataAccessRequest, code: str) -> None:
    """The code, in the language of the page it was asked for on, with a link back to it."""
    link = settings.SITE_URL + reverse("my_data_code", args=[access_request.token])
    with translation.override(access_request.language or settings.LANGUAGE_CODE):
        facts = {"site": site_name(), "code": code, "minutes": access_request.CODE_MINUTES}
        subject = _("%(site)s: your code to download your data") % facts
        lines = [
            _("Someone, we hope you, asked to download the data %(site)s holds for this e-mail address.")
            % facts,
            "",
            _("Your code: %(code)s") % facts,
            "",
            _("Enter it on the page you came from, or here:"),
            link,
            _("It works once, for %(minutes)s minutes.") % facts,
            "",
            _("If you did not ask, ignore this e-mail: without the code nobody can download anything."),
        ]
    send_mail(subject, "\n".join(lines), None, [access_request.email])


def data_access_request_closed(access_request: DataAccessRequest) -> CodeCheck | None:
    """Why no code works for this request any more, whatever is typed (None while one may)."""
    if access_request.is_blocked:
        return CodeCheck.BLOCKED
    if access_request.is_expired:
        return CodeCheck.EXPIRED
    return None


def data_access_download(
    *, access_request: DataAccessRequest, code: str
) -> tuple[CodeCheck, IO[bytes] | None]:
    """Check a code typed for a request; the right one, once, gives the zip of the address.

    A wrong code uses one of the request's tries. Whether the code was already used is said
    only to someone who typed it right. The zip is built before the request is marked
    downloaded commits, so a failure leaves the code unused.
    """
    with transaction.atomic():
        locked = DataAccessRequest.objects.select_for_update().get(pk=access_request.pk)
        closed = data_access_request_closed(locked)
        if closed is not None:
            return closed, None
        # Hashed whether or not a code was sent, so that an unknown address answers as fast.
        typed = _code_hash(locked, code)
        if not (constant_time_compare(locked.code_hash, typed) and locked.code_hash):
            locked.attempts += 1
            locked.save(update_fields=["attempts"])
            access_request.attempts = locked.attempts
            return (CodeCheck.BLOCKED if locked.is_blocked else CodeCheck.WRONG), None
        if locked.downloaded_at is not None:
            return CodeCheck.USED, None
        locked.downloaded_at = timezone.now()
        locked.save(update_fields=["downloaded_at"])
        archive = personal_data_archive(email=locked.email, user=account_for_email(locked.email))
    return CodeCheck.RIGHT, archive
