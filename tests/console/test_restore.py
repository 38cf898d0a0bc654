"""Backups that always restore: a consistent export of a live site, a safe restore over an
instance, everything but sessions in the archive, and one clear sentence for a bad archive."""

import hashlib
import json
import threading
import zipfile
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from accounts.services import founder_ensure
from billing.models import Order, PaymentEvent
from cohorts.models import Submission
from console.archive import ArchiveError, export_archive, import_archive, instance_is_empty
from console.demo import demo_load
from console.models import ErasureRecord
from crm.models import Lead
from onepco.models import OutboxMessage
from tests import factories as f
from tests.console.test_archive import _rewrite, fingerprint

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("archive")]


@pytest.fixture
def business(db):
    demo_load()
    return Submission.objects.order_by("pk").first()


def _rehash(path, name: str, change) -> None:
    """Change one entry and write its new checksum into the manifest, as a hand-edit would."""
    source = path.with_suffix(".orig.zip")
    path.rename(source)
    with zipfile.ZipFile(source) as old:
        manifest = json.loads(old.read("manifest.json"))
        entries = {item.filename: old.read(item.filename) for item in old.infolist()}
    entries[name] = change(entries[name])
    manifest["checksums"][name] = hashlib.sha256(entries[name]).hexdigest()
    entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as new:
        for entry, data in entries.items():
            new.writestr(entry, data)


def _flush(settings, tmp_path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "new-server-media"


def test_an_export_taken_while_checkouts_commit_restores(business, settings, tmp_path):
    """A checkout commits (a new lead and its order, from another connection) after the leads
    have been written to the archive and before the orders are."""
    cohort = business.assignment.cohort
    order_of_tables = []

    def checkout() -> None:
        lead = f.make_lead(name="深夜下单的人", email="late@example.com")
        f.make_order(cohort, lead=lead, buyer_name=lead.name, buyer_email=lead.email)
        connection.close()

    def progress(label: str, index: int, total: int) -> None:
        order_of_tables.append(label)
        if label == "billing.order":
            writer = threading.Thread(target=checkout)
            writer.start()
            writer.join()

    archive = tmp_path / "live.zip"
    export_archive(archive, progress=progress)
    assert order_of_tables.index("crm.lead") < order_of_tables.index("billing.order")
    assert Lead.objects.filter(email="late@example.com").exists()  # it did commit meanwhile

    _flush(settings, tmp_path)
    import_archive(archive)
    assert not Order.objects.filter(buyer_email="late@example.com").exists()
    assert Order.objects.exists()


def test_replace_works_on_an_instance_that_has_taken_payments(business, tmp_path):
    order = Order.objects.filter(status="paid").first()
    PaymentEvent.objects.create(provider="stripe", event_id="evt_kept", order=order, body="{}")
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    before = fingerprint()
    import_archive(archive, replace=True)
    assert fingerprint() == before


def test_a_failed_replace_leaves_the_instances_own_files_and_rows_untouched(business, tmp_path):
    business.file.save("作业.pdf", ContentFile(b"%PDF the archive's version"))
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    # The instance moves on: the same file now holds something else, and a new lead arrives.
    with default_storage.open(business.file.name, "wb") as handle:
        handle.write(b"%PDF this instance's version")
    f.make_lead(name="之后来的人", email="after@example.com")
    before = fingerprint()
    # A hand-edited archive whose submission points at an assignment that is not in it.
    _rehash(
        archive,
        "data/cohorts.submission.jsonl",
        lambda data: data.replace(b'"assignment": ', b'"assignment": 9999', 1),
    )

    with pytest.raises(ArchiveError, match="对不上"):
        import_archive(archive, replace=True)
    assert fingerprint() == before
    with default_storage.open(business.file.name, "rb") as handle:
        assert handle.read() == b"%PDF this instance's version"


def test_a_successful_replace_gives_the_files_the_archives_content(business, tmp_path):
    business.file.save("作业.pdf", ContentFile(b"%PDF the archive's version"))
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    with default_storage.open(business.file.name, "wb") as handle:
        handle.write(b"%PDF this instance's version")
    import_archive(archive, replace=True)
    with default_storage.open(Submission.objects.get(pk=business.pk).file.name, "rb") as handle:
        assert handle.read() == b"%PDF the archive's version"


def test_the_erasure_log_admin_log_and_unsent_follow_ups_round_trip(business, founder, settings, tmp_path):
    ErasureRecord.objects.create(
        subject="lead #7", reason="邮件申请", erased_by=founder, summary={"leads": 1}
    )
    LogEntry.objects.log_actions(
        user_id=founder.pk, queryset=Lead.objects.all()[:1], action_flag=ADDITION, change_message="导入"
    )
    unsent = OutboxMessage.objects.create(job="crm.jobs.send_lead_notification", args=[1])
    archive = tmp_path / "onepco.zip"
    export_archive(archive)

    _flush(settings, tmp_path)
    import_archive(archive)
    assert ErasureRecord.objects.get().reason == "邮件申请"
    entry = LogEntry.objects.get(change_message="导入")
    assert entry.content_type == ContentType.objects.get_for_model(Lead)
    assert entry.user.email == founder.email
    restored = OutboxMessage.objects.get(pk=unsent.pk)
    assert restored.completed_at is None and restored.job == unsent.job


def test_a_fresh_instance_holding_only_its_founder_takes_the_archive(business, settings, tmp_path):
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    expected = fingerprint()
    _flush(settings, tmp_path)
    # What `up --no-demo` leaves behind on a new server: its own founder, nothing else.
    founder_ensure(email="new-server@example.com", password="a-long-password-1")
    assert User.objects.filter(is_staff=True).count() == 1
    assert instance_is_empty()

    call_command("import_all", str(archive), verbosity=0)
    assert fingerprint() == expected


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short in the middle (a failed copy)
        lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],  # flipped bytes
    ],
    ids=["truncated", "flipped-bytes"],
)
def test_a_corrupted_zip_gets_one_clear_sentence(business, settings, tmp_path, damage):
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    archive.write_bytes(damage(archive.read_bytes()))
    _flush(settings, tmp_path)
    with pytest.raises(ArchiveError) as caught:
        import_archive(archive)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300
    assert instance_is_empty()


def test_money_in_an_archive_is_restored_to_the_cent(business, settings, tmp_path):
    order = Order.objects.filter(status="paid").first()
    Order.objects.filter(pk=order.pk).update(amount=Decimal("1999.99"))
    archive = tmp_path / "onepco.zip"
    export_archive(archive)
    _flush(settings, tmp_path)
    import_archive(archive)
    assert Order.objects.get(pk=order.pk).amount == Decimal("1999.99")


def test_a_damaged_entry_inside_a_valid_zip_is_named(business, settings, tmp_path):
    archive, damaged = tmp_path / "onepco.zip", tmp_path / "damaged.zip"
    export_archive(archive)
    _rewrite(archive, damaged, change=("data/crm.lead.jsonl", lambda b: b[:-5]))
    _flush(settings, tmp_path)
    with pytest.raises(ArchiveError, match=r"crm\.lead"):
        import_archive(damaged)
