"""A CSV import whose worker is killed half-way goes on where it stopped: every row once, no
duplicate touches, counters that add up, and the system page says it is stuck meanwhile."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from console.health import check_imports
from crm.models import Lead, LeadImport, LeadTouch
from crm.services import lead_import_confirm, lead_import_create, lead_imports_resume
from onepco import outbox
from tests.processes import wait_until
from tests.reliability.conftest import Worker, child_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]

ROWS = 1500


@pytest.fixture
def big_import(founder):
    body = "姓名,手机,邮箱\n" + "".join(f"学员{i},139{i:08d},s{i}@example.com\n" for i in range(ROWS))
    lead_import = lead_import_create(upload=SimpleUploadedFile("名单.csv", body.encode()), by=founder)
    return lead_import_confirm(lead_import=lead_import)


def test_an_import_killed_midway_resumes_without_duplicates(own_redis, settings, big_import, founder):
    env = child_env(own_redis.url, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    worker = Worker(env)
    # The start job hands the run to the queue; the run is what gets killed half-way.
    wait_until(
        lambda: 200 < LeadImport.objects.get(pk=big_import.pk).processed_rows < ROWS - 200,
        timeout=60,
        what="the import to be half-way",
    )
    worker.kill()
    stopped = LeadImport.objects.get(pk=big_import.pk)
    assert stopped.status == "running" and stopped.processed_rows < ROWS
    # Every committed row is counted, and nothing beyond it happened.
    assert Lead.objects.count() == stopped.processed_rows == stopped.created_leads

    assert check_imports().status == "ok"  # just stopped: not stuck yet
    # Twenty minutes later nothing has moved: the system page says so, and the sweep resumes it.
    LeadImport.objects.filter(pk=big_import.pk).update(progressed_at=timezone.now() - timedelta(minutes=20))
    stuck = check_imports()
    assert stuck.status == "fail" and "名单.csv" in stuck.detail
    assert lead_imports_resume() == 1
    outbox.outbox_sweep()
    Worker(env).wait(timeout=120)

    done = LeadImport.objects.get(pk=big_import.pk)
    assert (done.status, done.processed_rows, done.created_leads, done.updated_leads) == (
        "done",
        ROWS,
        ROWS,
        0,
    )
    assert Lead.objects.count() == ROWS
    assert LeadTouch.objects.count() == ROWS  # no row was imported twice
