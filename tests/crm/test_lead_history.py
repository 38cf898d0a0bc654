"""A lead's history reads in the reader's language, and a refused status change says why where
the founder looks, keeping what they chose."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from crm import services
from crm.models import LeadNote
from crm.personal import lead_anonymise
from tests import factories as f

backfill = importlib.import_module("crm.migrations.0007_lead_note_facts_from_history")
CHINESE_STATUS = ("新线索", "已联系", "咨询中", "已成交", "已流失", "体验课", "已进行")


@pytest.fixture
def lead(db):
    return f.make_lead(name="王小明", phone="+8613800138000")


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _timeline(client, lead) -> str:
    html = client.get(f"/console/leads/{lead.pk}/").content.decode()
    return html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]


def test_status_changes_made_in_chinese_read_in_english_in_english_mode(founder_client, lead):
    founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "contacted"})
    consultation = f.make_consultation(lead, kind="trial")
    founder_client.post(f"/console/leads/{lead.pk}/consultations/{consultation.pk}/", {"status": "held"})
    founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "lost", "reason": "预算不够"})
    chinese = _timeline(founder_client, lead)
    assert (
        "新线索 → 已联系" in chinese
        and "体验课：已进行" in chinese
        and "咨询中 → 已流失（预算不够）" in chinese
    )

    english = _timeline(_english(founder_client), lead)
    assert "New → Contacted" in english and "Trial class: Held" in english
    assert "Consulting → Lost (预算不够)" in english  # the founder's own words stay theirs
    assert not any(word in english for word in CHINESE_STATUS)


def test_the_stored_history_stays_readable_as_written(lead, founder):
    with translation.override("zh-hans"):
        services.lead_set_status(lead=lead, status="lost", reason="没时间", by=founder)
    note = lead.notes.get()
    assert note.body == "新线索 → 已流失（没时间）"
    assert note.facts == {"from": "new", "to": "lost", "reason": "没时间"}


@pytest.mark.parametrize(
    "kind, body, facts",
    [
        ("status", "新线索 → 已流失（预算不够）", {"from": "new", "to": "lost", "reason": "预算不够"}),
        ("status", "咨询中 → 已成交", {"from": "consulting", "to": "won"}),
        (
            "status",
            "Contacted → Lost (no budget)",
            {"from": "contacted", "to": "lost", "reason": "no budget"},
        ),
        ("status", "状态：成交", {"to": "won"}),
        ("system", "体验课: 已进行", {"consultation": "trial", "status": "held"}),
        ("system", "1:1 call: No-show", {"consultation": "call", "status": "no_show"}),
        ("status", "something else", {}),
        ("note", "新线索 → 已流失", {}),
    ],
)
def test_history_written_before_it_had_facts_gets_them_from_its_text(lead, kind, body, facts):
    note = LeadNote.objects.create(lead=lead, kind=kind, body=body)
    backfill.backfill(apps, None)
    note.refresh_from_db()
    assert (note.facts, note.body) == (facts, body)


def test_old_history_reads_in_english_once_it_has_its_facts(founder_client, lead):
    LeadNote.objects.create(lead=lead, kind="status", body="状态：成交")
    LeadNote.objects.create(lead=lead, kind="status", body="手写的一行")
    backfill.backfill(apps, None)
    english = _timeline(_english(founder_client), lead)
    assert "Status: Won" in english and "状态" not in english
    assert "手写的一行" in english  # what cannot be read shows as written


def test_erasing_the_lead_drops_the_reason_from_the_facts_too(lead, founder):
    with translation.override("en"):
        services.lead_set_status(lead=lead, status="lost", reason="my divorce", by=founder)
    lead_anonymise(lead=lead)
    note = lead.notes.get()
    assert "divorce" not in note.body and "divorce" not in str(note.facts)
    assert note.facts == {"from": "new", "to": "lost"}


def test_a_lost_status_without_a_reason_shows_the_error_beside_the_reason_and_keeps_lost(
    founder_client, lead
):
    response = founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "lost", "reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    reason_field = html.split('id="field-reason"', 1)[1].split("</div>", 1)[0]
    assert "请说明流失原因" in reason_field
    assert '<option value="lost" selected>' in html
    lead.refresh_from_db()
    assert (lead.status, lead.notes.count()) == ("new", 0)
