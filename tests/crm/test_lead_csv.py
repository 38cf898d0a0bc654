"""CSV import (UTF-8, UTF-8 with BOM, GBK; preview with row errors; background job) and export."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.models import Lead, LeadImport, LeadTouch
from crm.services import lead_import_run
from tests import factories as f
from tests.crm.formulas import FORMULAS, a_spreadsheet_would_run

GOOD = "姓名,手机,邮箱,微信,渠道,活动,日期\n陈一,13800138001,,chen_1,zhihu,spring,2026-03-05\n林二,,lin@example.com,,xiaohongshu,,2026/3/6 14:20\n"


def upload(client, text: str, encoding: str = "utf-8", name: str = "leads.csv"):
    data = text.encode(encoding)
    return client.post("/console/leads/import/", {"file": SimpleUploadedFile(name, data, "text/csv")})


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_file_from_excel_is_previewed_then_imported_by_a_background_job(founder_client, run_jobs, encoding):
    response = upload(founder_client, GOOD, encoding)
    assert response.status_code == 302
    lead_import = LeadImport.objects.get()
    assert lead_import.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 BOM", "gbk": "GBK"}[encoding]
    preview = founder_client.get(response.url)
    html = preview.content.decode()
    assert "陈一" in html and "林二" in html
    assert not Lead.objects.exists()  # nothing before confirmation

    founder_client.post(response.url)
    assert LeadImport.objects.get().status == "queued"
    run_jobs()
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed_rows, lead_import.created_leads) == ("done", 2, 2)
    chen = Lead.objects.get(name="陈一")
    assert (chen.phone, chen.wechat, chen.channel, chen.utm_campaign) == (
        "+8613800138001",
        "chen_1",
        "zhihu",
        "spring",
    )
    assert chen.source == Lead.Source.IMPORT
    assert timezone.localtime(chen.created_at).date().isoformat() == "2026-03-05"
    lin = Lead.objects.get(name="林二")
    assert timezone.localtime(lin.created_at).strftime("%Y-%m-%d %H:%M") == "2026-03-06 14:20"
    progress = founder_client.get(response.url, HTTP_HX_REQUEST="true")
    assert "100%" in progress.content.decode()


def test_bad_rows_are_listed_in_the_preview_and_skipped(founder_client, run_jobs):
    text = "name,phone,email,created_at\n好人,13800138001,,\n,13800138002,,\n坏号码,12345,,\n没联系方式,,,\n坏日期,13800138003,,yesterday\n"
    response = upload(founder_client, text)
    lead_import = LeadImport.objects.get()
    rows = {item["row"]: set(item["errors"]) for item in lead_import.row_errors}
    assert rows == {3: {"name"}, 4: {"phone"}, 5: {"phone"}, 6: {"created_at"}}
    html = founder_client.get(response.url).content.decode()
    assert "有错误的行" in html and "跳过" in html and "<strong>手机号</strong>：" in html
    founder_client.post(response.url)
    run_jobs()
    assert list(Lead.objects.values_list("name", flat=True)) == ["好人"]
    lead_import.refresh_from_db()
    assert lead_import.processed_rows == 5 and lead_import.created_leads == 1


def test_imported_rows_are_deduplicated_like_the_form(founder_client, run_jobs):
    existing = f.make_lead(name="老客户", phone="+8613800138001", channel="wechat")
    text = "name,phone,email,channel\n老客户,138 0013 8001,old@example.com,zhihu\n新客户,13800138002,,zhihu\n新客户,+86 13800138002,,bilibili\n"
    response = upload(founder_client, text)
    founder_client.post(response.url)
    run_jobs()
    assert Lead.objects.count() == 2
    existing.refresh_from_db()
    assert existing.channel == "wechat" and existing.email == "old@example.com"
    assert LeadTouch.objects.filter(lead__name="新客户").count() == 2
    lead_import = LeadImport.objects.get()
    assert (lead_import.created_leads, lead_import.updated_leads) == (1, 2)


def test_an_import_sends_no_new_lead_emails(founder_client, run_jobs, mailoutbox):
    response = upload(founder_client, GOOD)
    founder_client.post(response.url)
    run_jobs()
    assert Lead.objects.count() == 2 and mailoutbox == []


def test_a_finished_import_run_again_changes_nothing(founder_client, run_jobs):
    response = upload(founder_client, GOOD)
    founder_client.post(response.url)
    founder_client.post(response.url)  # a double click queues nothing more
    run_jobs()
    lead_import_run(lead_import_id=LeadImport.objects.get().pk)
    assert LeadTouch.objects.count() == 2


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"", "empty.csv", "空文件"),
        (b"\n\n", "blank.csv", "文件是空的"),
        ("电话号码,备注\n1,2\n".encode(), "x.csv", "姓名"),
        ("姓名,备注\n张三,hi\n".encode(), "x.csv", "邮箱"),
        (b"\x00\xff\xfe\xfa" * 10, "bin.csv", "既不是 UTF-8 也不是 GBK"),
        (b"name,phone\n", "leads.xlsx", "请上传 .csv 文件"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_message(founder_client, content, name, message):
    response = founder_client.post(
        "/console/leads/import/", {"file": SimpleUploadedFile(name, content, "text/csv")}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LeadImport.objects.exists()


def test_a_large_file_reports_progress_while_it_runs(founder_client, run_jobs):
    rows = "\n".join(f"学员{i},139{i:08d}" for i in range(300))
    response = upload(founder_client, "姓名,手机\n" + rows + "\n")
    founder_client.post(response.url)
    html = founder_client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'role="progressbar"' in html
    run_jobs()
    lead_import = LeadImport.objects.get()
    assert (lead_import.processed_rows, lead_import.percent) == (300, 100)
    assert Lead.objects.count() == 300


def reimport(client, run_jobs, body: bytes) -> None:
    """Delete every lead, then import an exported file: it must read back without a row error."""
    Lead.objects.all().delete()
    client.post("/console/leads/import/", {"file": SimpleUploadedFile("export.csv", body, "text/csv")})
    lead_import = LeadImport.objects.get()
    assert lead_import.row_errors == []
    client.post(f"/console/leads/import/{lead_import.pk}/")
    run_jobs()


def test_the_export_opens_in_excel_and_round_trips_through_the_import(founder_client, run_jobs):
    f.make_lead(
        name="张三", phone="+8613800138000", channel="zhihu", utm_campaign="spring", message="=HYPERLINK(1)"
    )
    f.make_lead(name="李四", email="li@example.com", status="contacted")
    f.make_lead(name="机器人", email="bot@example.com", is_spam=True)
    response = founder_client.get("/console/leads/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == {"张三", "李四"}  # spam is not exported unless filtered for
    zhang = next(r for r in rows if r["name"] == "张三")
    assert zhang["message"] == "'=HYPERLINK(1)"  # never a live formula in Excel

    filtered = founder_client.get("/console/leads/export.csv?status=contacted")
    assert "李四" in b"".join(filtered.streaming_content).decode("utf-8-sig")

    reimport(founder_client, run_jobs, body)
    again = Lead.objects.get(name="张三")
    assert (again.phone, again.channel, again.utm_campaign) == ("+8613800138000", "zhihu", "spring")
    assert Lead.objects.filter(name="李四", email="li@example.com").exists()


def test_the_export_runs_a_constant_number_of_queries(founder_client, db, django_assert_max_num_queries):
    for _ in range(30):
        f.make_lead()
    with django_assert_max_num_queries(6):
        b"".join(founder_client.get("/console/leads/export.csv").streaming_content)


TEXT_COLUMNS = (
    "name",
    "wechat",
    "message",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
)


def exported_rows(client) -> list[dict]:
    body = b"".join(client.get("/console/leads/export.csv").streaming_content)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("formula", FORMULAS, ids=repr)
def test_no_exported_cell_starts_a_formula(founder_client, formula):
    f.make_lead(phone="+8613800138000", **dict.fromkeys(TEXT_COLUMNS, formula))
    [row] = exported_rows(founder_client)
    for column in TEXT_COLUMNS:
        assert row[column] == "'" + formula, column
    assert not any(a_spreadsheet_would_run(cell) for cell in row.values())


def test_ordinary_text_is_written_as_it_is_and_a_phone_number_as_text(founder_client):
    # A phone number starting with + is quoted too: Excel would otherwise read +8613800138000
    # as a formula or a number in scientific notation; behind the quote it stays text.
    ordinary = {"name": "张三", "message": "a=b - c @ d", "wechat": "'zhang'", "utm_campaign": "2026-spring"}
    lead = f.make_lead(phone="+8613800138000", email="zhang@example.com", **ordinary)
    [row] = exported_rows(founder_client)
    assert {k: row[k] for k in ordinary} == ordinary
    assert (row["phone"], row["email"], row["ID"]) == ("'+8613800138000", "zhang@example.com", str(lead.pk))
    assert row["is_spam"] == "0"


def test_escaped_cells_read_back_exactly_through_the_import(founder_client, run_jobs):
    values = ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(1)", "＝1", "'=already quoted", "'plain"]
    names = ["-Bob", "'-Bob", "张三", "李四", "王五", "赵六", "'Ann"]  # what the name check lets in
    for n, (name, value) in enumerate(zip(names, values, strict=True)):
        f.make_lead(name=name, message=value, phone=f"+861380013800{n}", utm_campaign=value)
    body = b"".join(founder_client.get("/console/leads/export.csv").streaming_content)
    before = sorted(Lead.objects.values_list("name", "message", "phone", "utm_campaign"))
    reimport(founder_client, run_jobs, body)
    assert sorted(Lead.objects.values_list("name", "message", "phone", "utm_campaign")) == before
