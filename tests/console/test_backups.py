"""Scheduled, off-box backups: written at the founder's time, kept as long as they say, copied to
S3-compatible storage, a failure e-mailed and shown, and a restore drill that proves each one."""

import hashlib
import json
import socket
import zipfile
from datetime import time, timedelta

import boto3
import pytest
from django.core.files.storage import storages
from django.utils import timezone
from moto.server import ThreadedMotoServer

from console import backups
from console.archive import read_manifest, verify_archive
from console.demo import demo_load
from console.health import check_backup
from console.models import Backup, BackupSchedule

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("backups")]


def _at(minutes_from_now: int) -> time:
    return (
        (timezone.localtime() + timedelta(minutes=minutes_from_now)).time().replace(second=0, microsecond=0)
    )


def test_the_daily_backup_runs_once_when_its_time_has_come(db, backup_dir):
    schedule = BackupSchedule.current()
    schedule.at = _at(+60)  # today's run is an hour away; yesterday's slot is what is due now
    schedule.save()
    first = backups.backup_if_due()
    assert first is not None and first.status == "done"
    assert backups.backup_if_due() is None  # that slot is done

    # A day later (the backup is from yesterday), at the founder's time: the next one is due.
    Backup.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=23))
    schedule.at = _at(-1)
    schedule.save()
    assert backups.backup_if_due() is not None
    assert backups.backup_if_due() is None
    schedule.enabled = False
    schedule.at = _at(-1)
    schedule.save()
    Backup.objects.all().delete()
    assert backups.backup_if_due() is None  # switched off


def test_a_backup_is_a_verified_archive_and_only_the_newest_are_kept(db, backup_dir):
    demo_load()
    schedule = BackupSchedule.current()
    schedule.keep = 2
    schedule.save()
    made = [backups.backup_make(backup=Backup.objects.create(trigger="manual")) for _ in range(3)]
    kept = list(Backup.objects.order_by("created_at"))
    assert [b.pk for b in kept] == [made[1].pk, made[2].pk]
    assert sorted(p.name for p in backup_dir.iterdir()) == sorted(b.name for b in kept)
    for backup in kept:
        path = backup_dir / backup.name
        assert (
            hashlib.sha256(path.read_bytes()).hexdigest() == backup.sha256
            and path.stat().st_size == backup.size
        )
        with zipfile.ZipFile(path) as archive:
            manifest = read_manifest(archive)
            verify_archive(archive, manifest)
        assert manifest["weekly_numbers"], "the drill compares these"
    assert (backup_dir / kept[0].name).stat().st_mode & 0o077 == 0  # the founder's data: owner only


@pytest.fixture
def s3(settings, monkeypatch, backup_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client(
        "s3", endpoint_url=url, aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
    )
    client.create_bucket(Bucket="offsite")
    settings.STORAGES = {
        **settings.STORAGES,
        "offsite_backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "offsite", "endpoint_url": url, "access_key": "t", "secret_key": "t",
                "region_name": "us-east-1", "addressing_style": "path", "location": "onepco-backups",
                "file_overwrite": False, "default_acl": None,
            },
        },
    }  # fmt: skip
    yield client
    server.stop()


def test_every_backup_is_copied_off_the_box_and_pruned_there_too(db, s3):
    schedule = BackupSchedule.current()
    schedule.keep = 1
    schedule.save()
    first = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    second = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    assert second.offsite
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="offsite").get("Contents", [])]
    assert keys == [f"onepco-backups/{second.name}"]
    body = s3.get_object(Bucket="offsite", Key=keys[0])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == second.sha256
    assert not Backup.objects.filter(pk=first.pk).exists()
    # Gone from this machine, it is still there to download (and drill) from off the box.
    storages["backups"].delete(second.name)
    with backups.backup_open(second) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == second.sha256


def test_a_failed_backup_emails_the_founder_and_shows_as_broken(
    settings, tmp_path, founder, founder_client, run_jobs, mailoutbox
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {  # a backup folder that cannot exist: even root cannot write there
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "backups"},
        },
    }
    settings.STORAGES.pop("offsite_backups", None)
    settings.FOUNDER_EMAIL = "founder@example.com"
    schedule = BackupSchedule.current()
    schedule.at = _at(-1)
    schedule.save()
    failed = backups.backup_if_due()
    assert failed is not None and failed.status == "failed" and "a-file" in failed.error
    run_jobs()
    assert [m.to for m in mailoutbox] == [["founder@example.com"]]
    assert "/console/system/backups/" in mailoutbox[0].body
    assert check_backup().status == "fail"
    page = founder_client.get("/console/system/").content.decode()
    assert "备份" in page and "失败" in page
    # A failed slot is tried again a few times, not forever.
    for _attempt in range(backups.ATTEMPTS_PER_SLOT):
        backups.backup_if_due()
    assert Backup.objects.count() == backups.ATTEMPTS_PER_SLOT


def test_an_overdue_or_missing_backup_is_reported(db, backup_dir):
    assert check_backup().status == "warn"  # none yet
    backup = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    assert check_backup().status == "warn"  # on this machine only
    Backup.objects.filter(pk=backup.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert check_backup().status == "fail"


def test_the_restore_drill_restores_a_backup_and_compares_every_week(backup_dir, founder_client, run_jobs):
    demo_load()
    founder_client.post("/console/system/backups/now/")
    run_jobs()
    backup = Backup.objects.get()
    assert backup.status == "done"
    founder_client.post(f"/console/system/backups/{backup.pk}/drill/")
    run_jobs()
    backup.refresh_from_db()
    assert backup.drill_ok is True, backup.drill_report
    assert [step["ok"] for step in backup.drill_report] == [True, True, True, True]
    assert "周" in backup.drill_report[-1]["detail"] or "weeks" in backup.drill_report[-1]["detail"]
    page = founder_client.get("/console/system/backups/").content.decode()
    assert "可以恢复" in page


def test_the_drill_catches_a_backup_whose_numbers_do_not_come_back(backup_dir, tmp_path):
    demo_load()
    backup = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    source = backup_dir / backup.name
    # Rewrite the recorded numbers of one week (the manifest is not itself checksummed).
    with zipfile.ZipFile(source) as old:
        entries = {name: old.read(name) for name in old.namelist()}
    manifest = json.loads(entries["manifest.json"])
    week = next(week for week, counts in manifest["weekly_numbers"].items() if counts["leads"] != "0")
    manifest["weekly_numbers"][week]["leads"] = "999"
    entries["manifest.json"] = json.dumps(manifest).encode()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as new:
        for name, data in entries.items():
            new.writestr(name, data)
    passed, steps = backups.restore_drill(tampered)
    assert not passed and week in steps[-1]["detail"]
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    passed, steps = backups.restore_drill(damaged)
    assert not passed and [s["ok"] for s in steps] == [False]


def test_only_the_founder_reaches_the_backups(
    db, client, student_client, outsider_client, founder_client, backup_dir
):
    backup = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    urls = ["/console/system/backups/", f"/console/system/backups/{backup.pk}/download/"]
    for url in urls:
        assert client.get(url).status_code == 302
        assert student_client.get(url).status_code == 403
        assert outsider_client.get(url).status_code == 403
    assert student_client.post("/console/system/backups/now/").status_code == 403
    assert student_client.post(f"/console/system/backups/{backup.pk}/drill/").status_code == 403
    response = founder_client.get(urls[1])
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert founder_client.get("/console/system/backups/999999/download/").status_code == 404


def test_the_schedule_form_refuses_nonsense_beside_the_field(db, founder_client, backup_dir):
    response = founder_client.post("/console/system/backups/", {"enabled": "on", "at": "25:99", "keep": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "有效的时间" in html or "valid time" in html
    schedule = BackupSchedule.current()
    assert (schedule.at, schedule.keep) == (time(3, 0), 14)
    response = founder_client.post("/console/system/backups/", {"enabled": "on", "at": "02:30", "keep": "30"})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.at, schedule.keep) == (time(2, 30), 30)
