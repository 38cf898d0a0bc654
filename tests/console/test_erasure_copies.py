"""An erasure reaches the copies too: the uploaded import files the person came from, and every
archive stored before it (the founder's exports), so that no copy outlives the request."""

import hashlib
import io
import json
import zipfile

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from console import backups
from console.archive import archive_scrub, export_archive, instance_is_empty, read_manifest, verify_archive
from console.models import Backup, DataExport, ErasureRecord
from crm.models import Lead, LeadImport
from tests.console.conftest import PERSONAL_STRINGS


def erase(founder_client, kind: str, pk: int) -> None:
    response = founder_client.post(
        f"/console/data-requests/erase/{kind}/{pk}/", {"reason": "邮件申请删除", "confirm": "on"}
    )
    assert response.status_code == 302


def test_an_erased_imported_lead_leaves_the_uploaded_file(
    founder_client, run_jobs, django_capture_on_commit_callbacks
):
    body = "姓名,手机,邮箱\n王小明,13800138000,xiaoming@example.com\n李四,13900139000,lisi@example.com\n"
    founder_client.post("/console/leads/import/", {"file": SimpleUploadedFile("名单.csv", body.encode())})
    lead_import = LeadImport.objects.get()
    founder_client.post(f"/console/leads/import/{lead_import.pk}/")
    run_jobs()
    lead = Lead.objects.get(email="xiaoming@example.com")

    with django_capture_on_commit_callbacks(execute=True):  # the file changes once it commits
        erase(founder_client, "lead", lead.pk)
    with default_storage.open(LeadImport.objects.get().file.name, "rb") as handle:
        text = handle.read().decode("utf-8-sig")
    assert "王小明" not in text and "13800138000" not in text and "xiaoming@" not in text
    assert "李四,13900139000,lisi@example.com" in text
    assert len(text.strip().splitlines()) == 3  # the row keeps its place (progress counts rows)


def _export(founder_client, run_jobs) -> DataExport:
    founder_client.post("/console/system/exports/")
    run_jobs()
    export = DataExport.objects.get()
    assert export.file_name
    return export


def _archive_text(name: str) -> tuple[zipfile.ZipFile, str]:
    with default_storage.open(name, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    text = "".join(archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist())
    return archive, text


def test_an_export_made_before_the_erasure_no_longer_holds_the_person(
    founder_client, run_jobs, buyer, student
):
    export = _export(founder_client, run_jobs)
    before, text = _archive_text(export.file_name)
    assert "王小明" in text and any(n.startswith("media/submissions/") for n in before.namelist())

    erase(founder_client, "student", student.pk)
    run_jobs()  # the scrub job
    export.refresh_from_db()
    archive, text = _archive_text(export.file_name)
    assert [s for s in PERSONAL_STRINGS if s in text] == []
    # The erased files are gone from it; the archive is still whole and verifiable.
    assert not any(n.startswith(("media/submissions/", "media/billing/proofs/")) for n in archive.namelist())
    manifest = read_manifest(archive)
    verify_archive(archive, manifest)
    assert manifest["tables"] == read_manifest(before)["tables"]  # no business row went missing
    assert DataExport.objects.get().size == default_storage.size(export.file_name)


def test_scrubbing_twice_changes_nothing_more(founder_client, run_jobs, buyer, student, tmp_path):
    export = _export(founder_client, run_jobs)
    erase(founder_client, "student", student.pk)
    run_jobs()
    record = ErasureRecord.objects.get()
    assert record.rows["crm.lead"] == [buyer.pk]
    export.refresh_from_db()
    with default_storage.open(export.file_name, "rb") as handle:
        assert archive_scrub(handle, tmp_path / "again.zip", record.rows) == 0


def test_an_older_archive_naming_users_by_email_loses_the_address_too(
    founder_client, run_jobs, buyer, student, tmp_path
):
    """Archives made before users were written by id named them by e-mail in other rows."""
    export = _export(founder_client, run_jobs)
    with default_storage.open(export.file_name, "rb") as handle:
        old = zipfile.ZipFile(io.BytesIO(handle.read()))
    entries = {n: old.read(n) for n in old.namelist()}
    lines = [json.loads(line) for line in entries["data/cohorts.student.jsonl"].splitlines()]
    for row in lines:
        if row["pk"] == student.pk:
            row["fields"]["user"] = ["student@example.com"]
    entries["data/cohorts.student.jsonl"] = b"".join(
        json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in lines
    )
    manifest = json.loads(entries["manifest.json"])
    manifest["checksums"]["data/cohorts.student.jsonl"] = hashlib.sha256(
        entries["data/cohorts.student.jsonl"]
    ).hexdigest()
    entries["manifest.json"] = json.dumps(manifest).encode()
    legacy = tmp_path / "legacy.zip"
    with zipfile.ZipFile(legacy, "w") as new:
        for name, data in entries.items():
            new.writestr(name, data)

    erase(founder_client, "student", student.pk)
    scrubbed = tmp_path / "scrubbed.zip"
    assert archive_scrub(legacy, scrubbed, ErasureRecord.objects.get().rows) > 0
    with zipfile.ZipFile(scrubbed) as archive:
        assert all(b"student@example.com" not in archive.read(n) for n in archive.namelist())


@pytest.mark.parametrize("kind", ["lead", "student"])
def test_the_admin_history_of_an_erased_person_loses_their_name(
    founder, founder_client, buyer, student, kind
):
    LogEntry.objects.log_actions(
        user_id=founder.pk,
        queryset=Lead.objects.filter(pk=buyer.pk),
        action_flag=CHANGE,
        change_message="改了电话",
    )
    assert "王小明" in LogEntry.objects.get().object_repr
    erase(founder_client, kind, student.pk if kind == "student" else buyer.pk)
    entry = LogEntry.objects.get()
    assert "王小明" not in entry.object_repr and entry.change_message == ""
    assert entry.action_flag == CHANGE  # what was done, and when, stays


def _text(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist())


def test_a_backup_made_before_the_erasure_no_longer_holds_the_person(
    founder_client, run_jobs, buyer, student, backup_dir
):
    backup = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    assert backup.status == "done" and "王小明" in _text(backup_dir / backup.name)
    old_name = backup.name

    erase(founder_client, "student", student.pk)
    run_jobs()  # the scrub job
    backup.refresh_from_db()
    path = backup_dir / backup.name
    assert [s for s in PERSONAL_STRINGS if s in _text(path)] == []
    # Written beside the old one, which is gone only after: a failed save loses nothing.
    assert backup.name != old_name and not (backup_dir / old_name).exists()
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest() == backup.sha256 and path.stat().st_size == backup.size
    )
    with zipfile.ZipFile(path) as archive:
        verify_archive(archive, read_manifest(archive))


def test_an_archive_whose_snapshot_began_before_an_erasure_is_scrubbed_once_written(
    founder_client, buyer, student, backup_dir, monkeypatch
):
    """The snapshot was read before the erasure committed (a long backup), so it holds the
    person; it is scrubbed as soon as it is written."""
    backup = Backup.objects.create(trigger="manual")
    snapshot = io.BytesIO()
    export_archive(snapshot)  # what the backup's snapshot read, before the erasure
    erase(founder_client, "student", student.pk)
    monkeypatch.setattr(backups, "export_archive", lambda target: target.write(snapshot.getvalue()))
    made = backups.backup_make(backup=backup)
    assert made.status == "done"
    assert [s for s in PERSONAL_STRINGS if s in _text(backup_dir / made.name)] == []


def test_an_export_no_longer_holds_the_import_file_the_erased_lead_came_from(
    founder_client, run_jobs, django_capture_on_commit_callbacks
):
    body = "姓名,手机,邮箱\n王小明,13800138000,xiaoming@example.com\n李四,13900139000,lisi@example.com\n"
    founder_client.post("/console/leads/import/", {"file": SimpleUploadedFile("名单.csv", body.encode())})
    founder_client.post(f"/console/leads/import/{LeadImport.objects.get().pk}/")
    run_jobs()
    export = _export(founder_client, run_jobs)
    lead = Lead.objects.get(email="xiaoming@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        erase(founder_client, "lead", lead.pk)
    run_jobs()
    export.refresh_from_db()
    with default_storage.open(export.file_name, "rb") as handle, zipfile.ZipFile(handle) as archive:
        media = {
            n: archive.read(n).decode("utf-8-sig", "replace")
            for n in archive.namelist()
            if n.startswith("media/crm")
        }
        verify_archive(archive, read_manifest(archive))
    assert media and all("李四" in text for text in media.values())
    assert [n for n, text in media.items() if "13800138000" in text or "王小明" in text] == []


def test_a_fresh_instance_whose_scheduler_already_ticked_still_counts_as_empty(founder, backup_dir):
    assert instance_is_empty()
    backups.backup_due()  # what the scheduler asks every 15 minutes from its first minute
    Backup.objects.create(trigger="scheduled", status="failed", error="disk full")
    assert instance_is_empty()
