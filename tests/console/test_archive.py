"""Take everything and restore it elsewhere: export_all / import_all."""

import csv
import io
import json
import zipfile

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from cohorts.models import Submission
from console.archive import ArchiveError, exported_models, import_archive, instance_is_empty
from console.demo import demo_load
from crm.models import Lead
from dashboard.models import WeeklyMetrics
from onepco.models import MessagePreference
from onepco.notify import Message, notify
from tests import factories as f
from tests.crm.formulas import FORMULAS, a_spreadsheet_would_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("archive")]


def every_weeks_numbers() -> list[dict]:
    """The dashboard's numbers for every week the demo business has data in, and around it."""
    from dashboard.selectors.numbers import weekly_numbers_range
    from onepco.weeks import Week

    now = Week.current()
    return [
        {**n.as_dict(), "computed_at": None} for n in weekly_numbers_range(now.shifted(-30), now.shifted(8))
    ]


def fingerprint() -> dict[str, list]:
    """Every row of every exported table, as values: equal fingerprints mean equal data."""
    return {
        model._meta.label_lower: list(model._default_manager.order_by("pk").values_list())
        for model in exported_models()
    }


@pytest.fixture
def business(db):
    demo_load()
    submission = Submission.objects.order_by("pk").first()
    submission.file.save("作业.pdf", ContentFile(b"%PDF-1.7 homework of a student"))
    # What the demo does not make: a WeChat binding, message preferences, a message sent.
    user = submission.student.user
    SocialAccount.objects.create(
        user=user, provider="weixin_mp", uid="o-archive-1", extra_data={"nickname": "小明"}
    )
    MessagePreference.objects.create(user=user, kind="feedback", email=False, wechat=True)
    notify(kind="enrollment", key="archive:1", user=user, message=Message(subject="s", body="b"))
    return submission


def _rewrite(source, target, *, drop=(), change=None):
    """Copy an archive, dropping entries or changing one entry's bytes."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename in drop:
                continue
            data = old.read(item.filename)
            if change and item.filename == change[0]:
                data = change[1](data)
            new.writestr(item, data)


def _wipe(settings, tmp_path):
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "new-server-media"
    assert instance_is_empty()


def test_export_then_import_into_an_empty_instance_restores_everything(business, settings, tmp_path, capsys):
    before = fingerprint()
    numbers_before = every_weeks_numbers()
    assert sum(week["deals"] for week in numbers_before) > 0, "the demo business must have sales to compare"
    archive = tmp_path / "onepco.zip"
    call_command("export_all", str(archive), verbosity=0)
    assert "Exported" in capsys.readouterr().out

    _wipe(settings, tmp_path)
    call_command("import_all", str(archive), verbosity=0)
    assert "Restored" in capsys.readouterr().out
    assert fingerprint() == before
    assert (
        before["socialaccount.socialaccount"]
        and before["onepco.delivery"]
        and before["onepco.messagepreference"]
    )
    assert every_weeks_numbers() == numbers_before
    restored = Submission.objects.get(pk=business.pk)
    assert restored.file.name == business.file.name
    with default_storage.open(restored.file.name, "rb") as handle:
        assert handle.read() == b"%PDF-1.7 homework of a student"
    # New rows get fresh ids after a restore (the sequences were moved past the old ones).
    assert Submission.objects.create(
        assignment=restored.assignment, student=restored.student, attempt=99
    ).pk > max(pk for pk, *_ in before["cohorts.submission"])


def test_the_archive_has_excel_friendly_csv_and_a_manifest_with_checksums(business, tmp_path):
    archive = tmp_path / "onepco.zip"
    call_command("export_all", str(archive), verbosity=0)
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))
        raw = z.read("csv/crm.lead.csv")
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert "姓名" in rows[0] and "渠道" in rows[0]
        assert len(rows) - 1 == manifest["tables"]["crm.lead"]["rows"]
        assert any(name.startswith("media/submissions/") for name in z.namelist())
    assert set(manifest["schema"]) >= {"crm", "cohorts", "billing", "dashboard", "accounts"}
    assert all(len(digest) == 64 for digest in manifest["checksums"].values())


def test_a_non_empty_instance_is_refused_unless_told(business, tmp_path):
    archive = tmp_path / "onepco.zip"
    call_command("export_all", str(archive), verbosity=0)
    with pytest.raises(CommandError, match="已有数据"):
        call_command("import_all", str(archive), verbosity=0)
    before = fingerprint()
    call_command("import_all", str(archive), "--replace", verbosity=0)
    assert fingerprint() == before


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            {"change": ("data/crm.lead.jsonl", lambda b: b.replace(b'"name": "', b'"name": "X', 1))},
            "校验值不符",
        ),
        ({"drop": ("data/cohorts.student.jsonl",)}, "缺少 data/cohorts.student.jsonl"),
        (
            {"change": ("manifest.json", lambda b: b.replace(b'"crm": [', b'"crm": ["9999_future", ', 1))},
            "不同版本",
        ),
        ({"drop": ("manifest.json",)}, "缺少 manifest.json"),
    ],
    ids=["bad-checksum", "missing-file", "wrong-schema", "no-manifest"],
)
def test_a_damaged_archive_is_refused_and_nothing_is_half_imported(
    business, settings, tmp_path, damage, message
):
    archive, damaged = tmp_path / "onepco.zip", tmp_path / "damaged.zip"
    call_command("export_all", str(archive), verbosity=0)
    _rewrite(archive, damaged, **damage)
    _wipe(settings, tmp_path)
    with pytest.raises(ArchiveError, match=message):
        import_archive(damaged)
    assert instance_is_empty()
    assert not (tmp_path / "new-server-media").exists()


def test_a_file_that_is_not_a_zip_is_refused_clearly(db, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(CommandError, match="不是可读取的 zip"):
        call_command("import_all", str(junk), verbosity=0)


def test_the_founder_gets_the_archive_by_email_and_downloads_it(
    founder, founder_client, business, run_jobs, mailoutbox
):
    response = founder_client.post("/console/system/exports/")
    assert response.status_code == 302
    run_jobs()
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/console/system/exports/" in line)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    download = founder_client.get(path)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    data = b"".join(download.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")


def test_strangers_cannot_download_an_archive(
    founder, founder_client, business, run_jobs, student_client, client
):
    founder_client.post("/console/system/exports/")
    run_jobs()
    from console.models import DataExport

    token = DataExport.objects.get().token
    assert student_client.get(f"/console/system/exports/{token}/").status_code == 403
    assert client.get(f"/console/system/exports/{token}/").status_code == 302
    assert founder_client.get("/console/system/exports/not-the-token/").status_code == 404


def _csv_tables(archive) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(archive) as z:
        return {
            name: list(csv.reader(io.StringIO(z.read(name).decode("utf-8-sig"), newline="")))
            for name in z.namelist()
            if name.startswith("csv/")
        }


def test_no_csv_cell_in_the_archive_starts_a_formula_and_the_json_keeps_the_exact_values(
    db, settings, tmp_path
):
    f.make_cohort(name="=1+1 期")
    for n, formula in enumerate(FORMULAS):
        f.make_lead(name=formula, message=formula, utm_source=formula, phone=f"+86138001380{n:02d}")
    f.make_student(f.make_user(name="@SUM(1)"), wechat="-1+2")
    f.make_feedback_template(title="＝1", body="\t=1+1")
    # No row holds a negative number today; one that did must stay a number, not become text.
    WeeklyMetrics.objects.create(week="2026-W01", week_start="2025-12-29", revenue="-5.00")
    before = fingerprint()
    archive = tmp_path / "onepco.zip"
    call_command("export_all", str(archive), verbosity=0)

    tables = _csv_tables(archive)
    running = [(name, cell) for name, rows in tables.items() for row in rows for cell in row]
    formulas = [(name, cell) for name, cell in running if a_spreadsheet_would_run(cell)]
    assert formulas == [("csv/dashboard.weeklymetrics.csv", "-5.00")]  # a number, on purpose
    leads = tables["csv/crm.lead.csv"]
    message = leads[0].index("留言")
    assert sorted(row[message] for row in leads[1:]) == sorted("'" + formula for formula in FORMULAS)
    assert any("'=1+1 期" in row for row in tables["csv/cohorts.cohort.csv"])
    assert "-5.00" in tables["csv/dashboard.weeklymetrics.csv"][1]

    with zipfile.ZipFile(archive) as z:
        names = {json.loads(line)["fields"]["name"] for line in z.read("data/crm.lead.jsonl").splitlines()}
    assert names == set(FORMULAS)

    _wipe(settings, tmp_path)
    call_command("import_all", str(archive), verbosity=0)
    assert fingerprint() == before
    assert sorted(Lead.objects.values_list("message", flat=True)) == sorted(FORMULAS)
